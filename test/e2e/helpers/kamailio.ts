// A real SIP server (Debian's Kamailio) in a lab's PBX namespace and a real attack tool (sipp, Debian's
// sip-tester) in its attacker namespace, for the end-to-end suite. What reached the server is read
// from the server's own log, never from sipwarden.
import { execa, type ResultPromise } from 'execa';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, type Lab } from './lab.js';

/** The registrar's script; also used by `npm run demo`. */
export const KAMAILIO_CFG = fileURLToPath(new URL('../kamailio/kamailio.cfg', import.meta.url));
const SYSLOG_SINK = fileURLToPath(new URL('../kamailio/syslog-sink.mjs', import.meta.url));
const SIPP_DIR = fileURLToPath(new URL('../sipp/', import.meta.url));
/** The one password the registrar accepts (kamailio.cfg). */
export const SIP_PASSWORD = 'correct-horse-battery';
/** Where Kamailio's log_custom engine sends its log inside the PBX namespace (kamailio.cfg). */
const SINK_PORT = 5514;

/** One request the server logged on arrival (`swlab: recv ...`). */
export interface Received {
  time: number;
  method: string;
  proto: string;
  src: string;
}

export interface KamailioServer {
  /** The log file sipwarden tails (format kamailio). */
  logPath: string;
  /** Requests that reached the server, optionally only from `src` and of `method`. */
  received(filter?: { src?: string; method?: string }): Received[];
  /** Times of failed authentications the server logged with sipwarden's line, per source address. */
  failures(src: string): number[];
  /** Everything Kamailio printed before its log went to syslog (start-up errors). */
  output(): string;
  stop(): Promise<void>;
}

const RECV = /^(\S+) \S+ kamailio\[\d+\]: INFO: <script>: swlab: recv method=(\S+) proto=(\S+) src=(\S+)$/;
const FAILED = /^(\S+) \S+ kamailio\[\d+\]: NOTICE: <script>: sipwarden: auth-failed method=\S+ src=(\S+) /;

function readLines(path: string): string[] {
  return existsSync(path)
    ? readFileSync(path, 'latin1')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. */
async function terminate(child: ResultPromise, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.catch(() => undefined);
  clearTimeout(timer);
}

/** Kills every process left in a lab namespace (all of them were started by this suite). */
export async function killNamespaceProcesses(netns: string): Promise<void> {
  const result = await execa('ip', ['netns', 'pids', netns], { reject: false });
  for (const pid of String(result.stdout)
    .split('\n')
    .filter((p) => /^\d+$/.test(p))) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Starts the syslog sink and Kamailio in `lab`'s PBX namespace; resolves once Kamailio answers OPTIONS. */
export async function startKamailio(lab: Lab, dir: string): Promise<KamailioServer> {
  mkdirSync(join(dir, 'run'), { recursive: true });
  const logPath = join(dir, 'kamailio.log');
  writeFileSync(logPath, '');
  const sink = execa('ip', ['netns', 'exec', lab.pbx, process.execPath, SYSLOG_SINK, String(SINK_PORT), logPath], { reject: false });
  await new Promise<void>((resolve, reject) => {
    sink.stdout?.once('data', () => resolve());
    void sink.then((r) => reject(new Error(`syslog sink exited: ${String(r.stderr)}`)));
  });
  let output = '';
  const kamailio = execa(
    'ip',
    [
      'netns',
      'exec',
      lab.pbx,
      'kamailio',
      '-DD',
      '-f',
      KAMAILIO_CFG,
      '-m',
      '32',
      '-M',
      '8',
      '-P',
      join(dir, 'run', 'kamailio.pid'),
      '-Y',
      join(dir, 'run'),
      '-w',
      dir,
    ],
    { reject: false, all: true, buffer: false },
  );
  kamailio.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const server: KamailioServer = {
    logPath,
    received(filter = {}) {
      const list: Received[] = [];
      for (const line of readLines(logPath)) {
        const m = RECV.exec(line);
        if (m === null) continue;
        const entry = { time: Date.parse(m[1] ?? ''), method: m[2] ?? '', proto: m[3] ?? '', src: m[4] ?? '' };
        if ((filter.src === undefined || entry.src === filter.src) && (filter.method === undefined || entry.method === filter.method)) list.push(entry);
      }
      return list;
    },
    failures(src) {
      const times: number[] = [];
      for (const line of readLines(logPath)) {
        const m = FAILED.exec(line);
        if (m !== null && m[2] === src) times.push(Date.parse(m[1] ?? ''));
      }
      return times;
    },
    output: () => output,
    async stop() {
      await terminate(kamailio);
      await terminate(sink);
    },
  };
  // Ready when it answers an OPTIONS sent from the PBX itself.
  const started = Date.now();
  for (;;) {
    const probe = await sipp(lab, {
      scenario: 'options',
      from: '198.51.100.1',
      to: '198.51.100.1',
      calls: 1,
      rate: 1,
      userAgent: 'swlab-probe',
      inPbx: true,
      dir,
    });
    if (probe.exitCode === 0) break;
    if (kamailio.exitCode !== null || Date.now() - started > 15_000) {
      await server.stop();
      throw new Error(`Kamailio did not start:\n${output}`);
    }
    await sleep(200);
  }
  return server;
}

/** A SIP message sipp put on the wire, from its -trace_msg file. */
export interface SentMessage {
  /** When sipp sent it, ms since the epoch. */
  time: number;
  method: string;
}

export interface SippResult {
  /** 0: every call succeeded; 1: some failed (timed out, refused); anything else is an error. */
  exitCode: number;
  sent: SentMessage[];
  output: string;
  /** Wall time the run took, ms. */
  tookMs: number;
}

export interface SippOptions {
  scenario: 'register-bruteforce' | 'invite-flood' | 'options';
  from: string;
  to: string;
  transport?: 'udp' | 'tcp';
  calls: number;
  /** Calls per second. */
  rate: number;
  userAgent: string;
  /** The user (-s) the requests are for, and the auth user. */
  user?: string;
  password?: string;
  /** A dir for sipp's files. */
  dir: string;
  /** Run in the PBX namespace (the readiness probe) instead of the attacker's. */
  inPbx?: boolean;
}

let sippSerial = 0;

/** sipp's -trace_msg file -> the messages it sent. */
function parseTrace(text: string): SentMessage[] {
  const sent: SentMessage[] = [];
  const blocks = text.split(/^-{10,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)$/m);
  for (let i = 1; i + 1 < blocks.length; i += 2) {
    const body = (blocks[i + 1] ?? '').trimStart();
    if (!/^(?:UDP|TCP) message sent/.test(body)) continue;
    const requestLine = body.split('\n').find((l, n) => n > 0 && l.trim() !== '') ?? '';
    // sipp writes local time, in the time zone this process shares with it.
    const [whole = '', fraction = '0'] = (blocks[i] ?? '').replace(' ', 'T').split('.');
    sent.push({ time: Date.parse(whole) + Number(`0.${fraction}`) * 1000, method: requestLine.split(' ')[0] ?? '' });
  }
  return sent;
}

/** Runs one sipp scenario from `from` (an address of the attacker namespace) to `to`:5060. */
export async function sipp(lab: Lab, options: SippOptions): Promise<SippResult> {
  const { scenario, from, to, transport = 'udp', calls, rate, userAgent, user = '100', password = 'wrong-password', dir } = options;
  const serial = ++sippSerial;
  const trace = join(dir, `sipp-${serial}-messages.log`);
  const remote = to.includes(':') ? `[${to}]:5060` : `${to}:5060`;
  const args = [
    remote,
    '-i',
    from,
    '-p',
    String(5100 + serial),
    '-sf',
    join(SIPP_DIR, `${scenario}.xml`),
    '-s',
    user,
    '-au',
    user,
    '-ap',
    password,
    '-key',
    'ua',
    userAgent,
    '-m',
    String(calls),
    '-r',
    String(rate),
    '-rp',
    '1000',
    '-l',
    String(calls),
    '-t',
    transport === 'tcp' ? 't1' : 'u1',
    '-nr',
    '-recv_timeout',
    '1000',
    '-timeout',
    '30s',
    '-nostdin',
    '-trace_msg',
    '-message_file',
    trace,
  ];
  const netns = options.inPbx === true ? lab.pbx : lab.attacker;
  const started = Date.now();
  const result = await execa('ip', ['netns', 'exec', netns, 'sipp', ...args], { reject: false, cwd: dir, all: true, stdin: 'ignore' });
  const tookMs = Date.now() - started;
  const exitCode = result.exitCode ?? -1;
  const output = String(result.all ?? '');
  if (exitCode !== 0 && exitCode !== 1) throw new Error(`sipp ${scenario} from ${from} exited ${exitCode}:\n${output.slice(-3000)}`);
  return { exitCode, sent: existsSync(trace) ? parseTrace(readFileSync(trace, 'latin1')) : [], output, tookMs };
}

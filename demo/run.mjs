// `sudo npm run demo`: sipwarden defends a real SIP server against a real attack tool, in a sandbox.
//
// Two network namespaces joined by a virtual cable, with documentation addresses only: the PBX runs
// Kamailio (a registrar with digest authentication, Debian's package) and the sipwarden daemon
// (nftables, NFLOG packet evidence); the other side, "the internet", holds an office phone and the
// attackers, who use sipp (Debian's sip-tester). The sandbox is torn down at the end, on Ctrl-C and
// on failure; the host's own firewall, services and files are not touched. The Kamailio script, its
// syslog sink and the sipp scenarios are the end-to-end suite's (test/e2e/kamailio, test/e2e/sipp).
import { execa } from 'execa';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const KAMAILIO_CFG = join(ROOT, 'test', 'e2e', 'kamailio', 'kamailio.cfg');
const SYSLOG_SINK = join(ROOT, 'test', 'e2e', 'kamailio', 'syslog-sink.mjs');
const SIPP_DIR = join(ROOT, 'test', 'e2e', 'sipp');

const PBX_NS = 'swdemo-pbx';
const NET_NS = 'swdemo-internet';
const PBX4 = '198.51.100.1';
const PBX6 = '2001:db8::1';
const PHONE4 = '198.51.100.20';
const GUESSER4 = '203.0.113.5';
const SCANNER4 = '203.0.113.7';
const FLOODER6 = '2001:db8:bad::9';
/** The password the demo's Kamailio accepts (test/e2e/kamailio/kamailio.cfg). */
const PASSWORD = 'correct-horse-battery';
const MAX_FAILURES = 5;
const LIMIT = { enabled: true, value: 5, unit: 'second', burst: 3 };
const NFLOG_GROUP = 5060;

const TOOLS = [
  { command: 'ip', pkg: 'iproute2' },
  { command: 'nft', pkg: 'nftables' },
  { command: 'tcpdump', pkg: 'tcpdump' },
  { command: 'kamailio', pkg: 'kamailio' },
  { command: 'sipp', pkg: 'sip-tester' },
];

const say = (text = '') => process.stdout.write(`${text}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `command` is an executable on PATH (or in the sbin folders sudo adds). */
function installed(command) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Newest modification time under `dir` (ms). */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Builds dist/ when it is missing or older than src/, as the user who ran sudo (so dist/ stays theirs). */
async function buildIfNeeded() {
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newest(join(ROOT, 'src'))) return;
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) fail('the build tools are not installed; run `npm ci` first (as yourself, not root)');
  say('Building sipwarden (tsc)...');
  const uid = Number(process.env.SUDO_UID);
  const gid = Number(process.env.SUDO_GID);
  const asUser = Number.isInteger(uid) && uid > 0 && Number.isInteger(gid) ? { uid, gid } : {};
  const build = start(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit', ...asUser });
  if ((await build).exitCode !== 0) throw new Error('the build failed (see above)');
}

function fail(message) {
  process.stderr.write(`sipwarden demo: ${message}\n`);
  process.exit(1);
}

/** Runs a command; throws with its stderr when it fails. */
async function run(file, args, options = {}) {
  const result = await execa(file, args, { reject: false, ...options });
  if (result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${result.exitCode}: ${String(result.stderr).trim()}`);
  return String(result.stdout);
}

const inPbx = (file, args, options) => run('ip', ['netns', 'exec', PBX_NS, file, ...args], options);

// ---------------------------------------------------------------------------------------------
// The sandbox: everything it starts is recorded here and stopped by teardown().

const state = { dir: null, children: [], tornDown: false, interrupted: false };

async function namespaceExists(name) {
  return (await execa('ip', ['netns', 'list'], { reject: false })).stdout.split('\n').some((l) => l.split(' ')[0] === name);
}

/** Kills what runs inside a demo namespace, then removes it (also a leftover of an interrupted run). */
async function removeNamespace(name) {
  if (!(await namespaceExists(name))) return;
  const pids = (await execa('ip', ['netns', 'pids', name], { reject: false })).stdout.split('\n').filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await execa('ip', ['netns', 'del', name], { reject: false });
}

async function teardown() {
  if (state.tornDown) return;
  state.tornDown = true;
  for (const child of state.children.reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([child.catch(() => undefined), sleep(3000)]);
    }
  }
  await removeNamespace(PBX_NS);
  await removeNamespace(NET_NS);
  if (state.dir !== null) rmSync(state.dir, { recursive: true, force: true });
}

async function createSandbox() {
  await removeNamespace(PBX_NS);
  await removeNamespace(NET_NS);
  await run('ip', ['netns', 'add', PBX_NS]);
  await run('ip', ['netns', 'add', NET_NS]);
  await run('ip', ['link', 'add', 'swdemo-p', 'netns', PBX_NS, 'type', 'veth', 'peer', 'name', 'swdemo-i', 'netns', NET_NS]);
  const pbx = (...args) => run('ip', ['-n', PBX_NS, ...args]);
  const net = (...args) => run('ip', ['-n', NET_NS, ...args]);
  await pbx('addr', 'add', `${PBX4}/24`, 'dev', 'swdemo-p');
  await pbx('addr', 'add', `${PBX6}/64`, 'dev', 'swdemo-p', 'nodad');
  for (const a of [`${PHONE4}/24`, `${GUESSER4}/24`, `${SCANNER4}/24`]) await net('addr', 'add', a, 'dev', 'swdemo-i');
  await net('addr', 'add', `${FLOODER6}/48`, 'dev', 'swdemo-i', 'nodad');
  for (const [ip, dev] of [
    [pbx, 'swdemo-p'],
    [net, 'swdemo-i'],
  ]) {
    await ip('link', 'set', 'lo', 'up');
    await ip('link', 'set', dev, 'up');
  }
  await pbx('route', 'add', '203.0.113.0/24', 'dev', 'swdemo-p');
  await pbx('-6', 'route', 'add', '2001:db8:bad::/48', 'dev', 'swdemo-p');
  await net('-6', 'route', 'add', `${PBX6}/128`, 'dev', 'swdemo-i');
}

/** Starts a long-running process and records it for teardown. */
function start(file, args, options = {}) {
  const child = execa(file, args, { reject: false, ...options });
  state.children.push(child);
  return child;
}

/** Resolves when `child` prints `text` (stdout or stderr); rejects if it exits first. */
function waitForOutput(child, text, what, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs / 1000} s:\n${seen}`)), timeoutMs);
    const check = (chunk) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    void child.then(() => {
      clearTimeout(timer);
      reject(new Error(`${what} exited:\n${seen}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Kamailio, sipp and the daemon.

function kamailioLog() {
  return existsSync(join(state.dir, 'kamailio.log')) ? readFileSync(join(state.dir, 'kamailio.log'), 'latin1').split('\n') : [];
}

/** Requests Kamailio logged on arrival from `src` (of `method`, if given). */
function reached(src, method) {
  return kamailioLog().filter((line) => {
    const m = / swlab: recv method=(\S+) proto=\S+ src=(\S+)$/.exec(line);
    return m !== null && m[2] === src && (method === undefined || m[1] === method);
  }).length;
}

let sippSerial = 0;

/** One sipp scenario from the internet side; returns sipp's exit code (0: every call succeeded). */
async function sipp({ scenario, from, to, calls, rate, userAgent, password = 'guess', netns = NET_NS }) {
  const remote = to.includes(':') ? `[${to}]:5060` : `${to}:5060`;
  const args = [remote, '-i', from, '-p', String(5100 + ++sippSerial), '-sf', join(SIPP_DIR, `${scenario}.xml`), '-s', '100', '-au', '100', '-ap', password];
  args.push(
    '-key',
    'ua',
    userAgent,
    '-m',
    String(calls),
    '-r',
    String(rate),
    '-l',
    String(calls),
    '-nr',
    '-recv_timeout',
    '1000',
    '-timeout',
    '30s',
    '-nostdin',
  );
  const result = await execa('ip', ['netns', 'exec', netns, 'sipp', ...args], { reject: false, cwd: state.dir, stdin: 'ignore' });
  if (result.exitCode !== 0 && result.exitCode !== 1) throw new Error(`sipp ${scenario} exited ${result.exitCode}:\n${String(result.stdout).slice(-2000)}`);
  return result.exitCode;
}

async function startKamailio() {
  const sink = start('ip', ['netns', 'exec', PBX_NS, process.execPath, SYSLOG_SINK, '5514', join(state.dir, 'kamailio.log'), 'pbx']);
  await waitForOutput(sink, 'ready', 'the syslog sink');
  const run = join(state.dir, 'run');
  const kamailio = start(
    'ip',
    ['netns', 'exec', PBX_NS, 'kamailio', '-DD', '-f', KAMAILIO_CFG, '-m', '32', '-M', '8', '-P', join(run, 'kamailio.pid'), '-Y', run, '-w', state.dir],
    { all: true },
  );
  const started = Date.now();
  while ((await sipp({ scenario: 'options', from: PBX4, to: PBX4, calls: 1, rate: 1, userAgent: 'demo-probe', netns: PBX_NS })) !== 0) {
    if (kamailio.exitCode !== null || Date.now() - started > 15_000) throw new Error(`Kamailio did not start:\n${(await kamailio).all ?? ''}`);
    await sleep(200);
  }
}

async function startDaemon(configPath) {
  const daemon = start('ip', ['netns', 'exec', PBX_NS, process.execPath, CLI, 'daemon', '--config', configPath], { env: { ...process.env, TZ: 'UTC' } });
  let pending = '';
  daemon.stderr?.on('data', (chunk) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line !== '') say(`      sipwarden | ${line}`);
  });
  await waitForOutput(daemon, 'sipwarden daemon started', 'the sipwarden daemon');
  // Its tcpdump reads the NFLOG group once the kernel lists the group as bound.
  const started = Date.now();
  while (!(await inPbx('cat', ['/proc/net/netfilter/nfnetlink_log'])).split('\n').some((l) => l.trim().split(/\s+/)[0] === String(NFLOG_GROUP))) {
    if (Date.now() - started > 5000) throw new Error('the daemon did not start reading NFLOG packets (tcpdump)');
    await sleep(50);
  }
}

async function sipwarden(args) {
  const result = await execa('ip', ['netns', 'exec', PBX_NS, process.execPath, CLI, '--config', join(state.dir, 'sipwarden.yml'), ...args], {
    reject: false,
    env: { ...process.env, TZ: 'UTC' },
  });
  return `${String(result.stdout)}${result.stderr ? `\n${String(result.stderr)}` : ''}`.trimEnd();
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (process.platform !== 'linux') fail('this demo needs Linux (network namespaces and nftables).');
  if (process.getuid?.() !== 0) {
    fail(
      'this demo needs root: it creates two network namespaces joined by a virtual cable, loads\n' +
        'nftables rules inside one of them and starts Kamailio and the sipwarden daemon there, all of\n' +
        'which only root may do. It touches nothing outside that sandbox and removes it when done.\n' +
        'Run it as: sudo npm run demo',
    );
  }
  const missing = TOOLS.filter((t) => !installed(t.command));
  if (missing.length > 0) {
    fail(
      `missing ${missing.map((t) => t.command).join(', ')}. This demo does not install anything itself; on Debian or Ubuntu:\n` +
        `  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.map((t) => t.pkg).join(' ')}\n` +
        (missing.some((t) => t.command === 'kamailio')
          ? "Debian starts and enables Kamailio's own service when it installs the package; the demo runs its own\n" +
            'copy inside the sandbox and does not need it: sudo systemctl disable --now kamailio\n'
          : ''),
    );
  }
  await buildIfNeeded();

  const began = Date.now();
  state.dir = mkdtempSync(join(tmpdir(), 'swdemo-'));
  say('sipwarden demo: a real SIP server, a real attack tool, in a sandbox of two network namespaces.');
  say(`  ${PBX_NS}       the PBX, ${PBX4} and ${PBX6}: Kamailio (registrar, digest auth) + the sipwarden daemon`);
  say(`  ${NET_NS}  the internet: an office phone ${PHONE4}, attackers ${GUESSER4}, ${SCANNER4}, ${FLOODER6} (sipp)`);
  say();
  await createSandbox();
  await startKamailio();
  const configPath = join(state.dir, 'sipwarden.yml');
  writeFileSync(
    configPath,
    stringify({
      stateDir: join(state.dir, 'state'),
      daemon: { socket: join(state.dir, 'run', 'sipwarden.sock') },
      sources: [{ path: join(state.dir, 'kamailio.log'), format: 'kamailio' }],
      register: { maxFailures: MAX_FAILURES },
      invite: { rateLimit: LIMIT },
      blocking: { dynamicBlockTime: '10m' },
      kernel: { evidence: 'nflog', nflogGroup: NFLOG_GROUP },
    }),
  );
  say(`Kamailio is up. Starting sipwarden: tails Kamailio's log, reads packet evidence over NFLOG, enforces with nftables;`);
  say(`blocks after ${MAX_FAILURES} failed logins a minute, limits INVITEs to ${LIMIT.value} a second after a burst of ${LIMIT.burst} (fast, for the demo).`);
  await startDaemon(configPath);
  say();

  say(`[1/5] The office phone ${PHONE4} registers with the right password.`);
  const phoneBefore = await sipp({ scenario: 'register', from: PHONE4, to: PBX4, calls: 1, rate: 1, userAgent: 'Yealink SIP-T46S', password: PASSWORD });
  say(`      ${phoneBefore === 0 ? 'Registered (200 OK).' : 'Registration FAILED.'}`);

  const guesses = 12;
  say(`[2/5] REGISTER brute force from ${GUESSER4}: ${guesses} wrong passwords, 5 a second (sipp).`);
  await sipp({ scenario: 'register-bruteforce', from: GUESSER4, to: PBX4, calls: guesses, rate: 5, userAgent: 'sipcli/v1.8' });
  await sleep(200);
  const guessed = reached(GUESSER4, 'REGISTER') / 2;
  say(`      Kamailio refused ${guessed} guesses; the other ${guesses - guessed} never reached it: the kernel dropped them.`);

  const probes = 3;
  say(`[3/5] A scanner, User-Agent friendly-scanner, probes from ${SCANNER4}: ${probes} OPTIONS, 2 a second.`);
  await sipp({ scenario: 'options', from: SCANNER4, to: PBX4, calls: probes, rate: 2, userAgent: 'friendly-scanner' });
  await sleep(200);
  const scanned = reached(SCANNER4);
  say(`      Kamailio saw ${scanned} of ${probes}: the first packet's copy over NFLOG showed the User-Agent, and the source was blocked.`);

  const invites = 100;
  say(`[4/5] INVITE flood over IPv6 from ${FLOODER6}: ${invites} INVITEs in 2 s (50 a second).`);
  await sipp({ scenario: 'invite-flood', from: FLOODER6, to: PBX6, calls: invites, rate: 50, userAgent: 'sipcli/v1.8' });
  await sleep(300);
  const flooded = reached(FLOODER6, 'INVITE');
  say(
    `      Kamailio received ${flooded} of ${invites}: the burst of ${LIMIT.burst}, then one every ${1000 / LIMIT.value} ms; the kernel dropped ${invites - flooded}.`,
  );

  say(`[5/5] The office phone registers again.`);
  const phoneAfter = await sipp({ scenario: 'register', from: PHONE4, to: PBX4, calls: 1, rate: 1, userAgent: 'Yealink SIP-T46S', password: PASSWORD });
  say(`      ${phoneAfter === 0 ? 'Registered (200 OK): honest users are not affected.' : 'Registration FAILED.'}`);
  await sleep(300);

  say();
  say('$ sipwarden status');
  say(await sipwarden(['status']));
  say();
  say('$ sipwarden logs');
  say(await sipwarden(['logs', '--per-page', '20']));
  say();
  say('What happened');
  say(`- The brute force: Kamailio logged each wrong password with sipwarden's documented line (rules/kamailio.yml).`);
  say(`  At failure ${MAX_FAILURES + 1} the daemon put ${GUESSER4} in an nftables set, so its later packets were dropped`);
  say('  before Kamailio, or even connection tracking, saw them. The block lasts 10 minutes; three blocks make it permanent.');
  say(`- The scanner: the kernel copies the first SIP requests of every new source to the daemon (NFLOG); a blocked`);
  say(`  User-Agent (friendly-scanner) blocks its source at once, even though Kamailio logs no User-Agent for OPTIONS.`);
  say(`- The flood: the INVITE limit is enforced by the kernel per source (a token bucket); the daemon was told once,`);
  say(`  and journaled the episode with the attacker, the victim address and the User-Agent from the packet.`);
  say('- `sipwarden logs` is the attack journal; `sipwarden unblock ADDRESS` lifts a block at once.');
  say(`Done in ${((Date.now() - began) / 1000).toFixed(1)} s; removing the sandbox.`);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (state.interrupted) return;
    state.interrupted = true;
    say(`\nInterrupted (${signal}); removing the sandbox.`);
    void teardown().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  // After Ctrl-C the sandbox is going away under the running step: that is no failure to report.
  if (!state.interrupted) process.stderr.write(`sipwarden demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  await teardown();
}

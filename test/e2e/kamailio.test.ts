// A real SIP server under a real attack: Kamailio (a digest-authenticating registrar) in the PBX
// namespace with the sipwarden daemon (nft backend, NFLOG packet evidence) tailing its log, and sipp
// scenarios from the attacker namespace. What reached the server is counted from Kamailio's own log.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, removeLeftovers, sleep, ATTACKER4, OTHER4, PBX4, PBX6, RANGE4_HOST, RANGE6_HOST } from './helpers/lab.js';
import { daemonHarness, setElements, waitFor, type DaemonHarness } from './helpers/daemon.js';
import { killNamespaceProcesses, sipp, startKamailio, type KamailioServer, type SippResult } from './helpers/kamailio.js';
import { bridgeIntoNamespace, type Bridge } from './helpers/bridge.js';
import { startSmtpServer, waitForMails, type TestSmtpServer } from '../helpers/smtp.js';

/** More attacker addresses, so every scenario starts from a source the kernel has not seen. */
const TCP_FLOODER4 = '203.0.113.6';
const SCANNER4 = '203.0.113.7';
const STRIKER4 = '203.0.113.8';
const SCANNER6 = '2001:db8:bad:1::7';

const MAX_FAILURES = 4;
/** The INVITE limiter under test: 5 a second (one token every 200 ms), burst 3. */
const LIMIT = { enabled: true, value: 5, unit: 'second', burst: 3 } as const;
const INTERVAL_MS = 1000 / LIMIT.value;
const FLOOD_UA = 'sipcli/v1.8';
const SMTP_PORT_IN_PBX = 2525;

let lab: Lab;
let dir: string;
let kamailio: KamailioServer;
let harness: DaemonHarness | null = null;
let smtp: TestSmtpServer;
let bridge: Bridge;
let nflogGroup = 5070;
/** Figures for the report at the end of the run. */
const figures: string[] = [];

async function pbx(file: string, args: readonly string[]): Promise<string> {
  const result = await execa('ip', ['netns', 'exec', lab.pbx, file, ...args], { reject: false });
  if (result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')}: ${String(result.stderr)}`);
  return String(result.stdout);
}

/** The sipwarden table's named counters (packets). */
async function counters(): Promise<Record<string, number>> {
  const result = await execa('ip', ['netns', 'exec', lab.pbx, 'nft', '-j', 'list', 'counters', 'table', 'inet', 'sipwarden'], { reject: false });
  if (result.exitCode !== 0) return {};
  const parsed = JSON.parse(String(result.stdout)) as { nftables: Array<{ counter?: { name: string; packets: number } }> };
  return Object.fromEntries(parsed.nftables.flatMap((e) => (e.counter === undefined ? [] : [[e.counter.name, e.counter.packets]])));
}

/** Starts a daemon for this test: Kamailio's log, nft, NFLOG evidence on a fresh group, the limiter. */
async function startDaemon(extra: Record<string, unknown> = {}): Promise<DaemonHarness> {
  const group = ++nflogGroup;
  const h = daemonHarness(lab, {
    sources: [{ path: kamailio.logPath, format: 'kamailio' }],
    kernel: { evidence: 'nflog', nflogGroup: group },
    register: { maxFailures: MAX_FAILURES },
    invite: { rateLimit: LIMIT },
    ...extra,
  });
  harness = h;
  await h.start();
  // The daemon's tcpdump has bound the group once the kernel lists it.
  await waitFor(
    `NFLOG group ${group} bound`,
    async () => (await pbx('cat', ['/proc/net/netfilter/nfnetlink_log'])).split('\n').some((l) => l.trim().split(/\s+/)[0] === String(group)),
    5000,
  );
  return h;
}

interface LogEntry {
  time: string;
  attacker: string;
  victim: string | null;
  kind: string;
  userAgent: string | null;
  source: string;
}

async function journal(h: DaemonHarness, args: readonly string[]): Promise<LogEntry[]> {
  const result = await h.cli(['logs', '--json', '--per-page', '500', ...args]);
  expect(result.exitCode).toBe(0);
  return (JSON.parse(result.stdout) as { entries: LogEntry[] }).entries;
}

const inSet = async (set: string, element: string): Promise<boolean> => (await setElements(lab, set)).includes(element);

/** Span between the first and the last INVITE sipp put on the wire, ms. */
function floodSpan(run: SippResult): { sent: number; elapsedMs: number } {
  const invites = run.sent.filter((m) => m.method === 'INVITE');
  const first = invites[0]?.time ?? 0;
  const last = invites[invites.length - 1]?.time ?? 0;
  return { sent: invites.length, elapsedMs: last - first };
}

/**
 * How a TCP flood arrived: the k-th INVITE received is the k-th sent (one connection, in order).
 * Counts INVITEs that reached Kamailio from `from` (TCP ones only, after the run started).
 */
function tcpLag(run: SippResult, from: string): { reached: number; median: number; max: number; bursts: number } {
  const sentTimes = run.sent.filter((m) => m.method === 'INVITE').map((m) => m.time);
  const start = sentTimes[0] ?? 0;
  const received = kamailio.received({ src: from, method: 'INVITE' }).filter((r) => r.proto === 'tcp' && r.time >= start - 50);
  const delays = received.map((r, i) => Math.round(r.time - (sentTimes[i] ?? r.time))).sort((a, b) => a - b);
  // A burst: arrivals within 20 ms of the one before.
  let bursts = 0;
  received.forEach((r, i) => {
    if (i === 0 || r.time - (received[i - 1]?.time ?? 0) > 20) bursts++;
  });
  return { reached: received.length, median: delays[Math.floor(delays.length / 2)] ?? 0, max: delays[delays.length - 1] ?? 0, bursts };
}

beforeAll(async () => {
  await removeLeftovers();
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-kamailio-'));
  lab = await Lab.create('kamailio');
  const veth = (await execa('ip', ['-n', lab.attacker, '-o', 'link', 'show', 'type', 'veth'])).stdout.split(':')[1]?.trim().split('@')[0] ?? '';
  for (const a of [TCP_FLOODER4, SCANNER4, STRIKER4]) await execa('ip', ['-n', lab.attacker, 'addr', 'add', `${a}/24`, 'dev', veth]);
  await execa('ip', ['-n', lab.attacker, 'addr', 'add', `${SCANNER6}/48`, 'dev', veth, 'nodad']);
  kamailio = await startKamailio(lab, dir);
  smtp = await startSmtpServer();
  bridge = await bridgeIntoNamespace({ netns: lab.pbx, port: SMTP_PORT_IN_PBX, targetPort: smtp.port, dir });
}, 60_000);

afterAll(async () => {
  await harness?.cleanup();
  await kamailio?.stop().catch(() => undefined);
  await bridge?.close().catch(() => undefined);
  await smtp?.close().catch(() => undefined);
  if (lab !== undefined) {
    await killNamespaceProcesses(lab.pbx);
    await killNamespaceProcesses(lab.attacker);
    await lab.destroy();
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  if (figures.length > 0) process.stdout.write(`Kamailio under attack:\n  ${figures.join('\n  ')}\n`);
});

afterEach(async () => {
  // SIGTERM first: the daemon stops its tcpdump; then the harness removes its files.
  await harness?.stop('SIGTERM');
  await harness?.cleanup();
  harness = null;
  await execa('ip', ['netns', 'exec', lab.pbx, 'nft', 'delete', 'table', 'inet', 'sipwarden'], { reject: false });
});

describe('Kamailio under attack from sipp', () => {
  test(`REGISTER brute force over UDP/IPv4: blocked at failure ${MAX_FAILURES + 1}, nothing after reaches Kamailio; unblock lets it back in at once`, async () => {
    const h = await startDaemon();
    // One guess every 250 ms, 10 guesses: the block must land between two guesses.
    const calls = 10;
    const watch = { inSetBeforeLast: false, lastFailureAt: 0, inSetAt: 0 };
    let done = false;
    const watcher = (async () => {
      while (!done && watch.inSetAt === 0) {
        // The set first, then the log: a block seen before the log holds failure 5 came too early.
        const present = await inSet('block4', ATTACKER4);
        const failures = kamailio.failures(ATTACKER4);
        if (failures.length < MAX_FAILURES + 1 && present) watch.inSetBeforeLast = true;
        if (failures.length >= MAX_FAILURES + 1 && watch.lastFailureAt === 0) watch.lastFailureAt = failures[MAX_FAILURES] ?? 0;
        if (present && failures.length >= MAX_FAILURES + 1) watch.inSetAt = Date.now();
        await sleep(5);
      }
    })();
    const run = await sipp(lab, { scenario: 'register-bruteforce', from: ATTACKER4, to: PBX4, calls, rate: 4, userAgent: 'sipp-bruteforce', dir });
    done = true;
    await watcher;

    const failures = kamailio.failures(ATTACKER4);
    expect(failures).toHaveLength(MAX_FAILURES + 1);
    expect(watch.inSetBeforeLast).toBe(false);
    expect(await inSet('block4', ATTACKER4)).toBe(true);
    const latency = watch.inSetAt - watch.lastFailureAt;
    const blocks = JSON.parse((await h.cli(['list', 'dynamic', '--json'])).stdout) as Array<{ target: string; since: number }>;
    const decided = (blocks.find((b) => b.target === ATTACKER4)?.since ?? 0) - watch.lastFailureAt;
    figures.push(
      `REGISTER brute force (UDP/IPv4): failure ${MAX_FAILURES + 1} logged by Kamailio -> block decided ${decided} ms -> address seen in block4 by polling ${latency} ms`,
    );
    expect(latency).toBeLessThan(1000);

    // Every REGISTER sipp sent either reached Kamailio before the block or was dropped by it.
    const sent = run.sent.filter((m) => m.method === 'REGISTER').length;
    const reached = kamailio.received({ src: ATTACKER4, method: 'REGISTER' }).length;
    expect(reached).toBe(2 * (MAX_FAILURES + 1));
    expect(sent).toBe(reached + (calls - (MAX_FAILURES + 1)));
    expect((await counters())['block_drop']).toBe(sent - reached);
    figures.push(
      `REGISTER brute force (UDP/IPv4): ${sent} REGISTERs sent, ${reached} reached Kamailio (${MAX_FAILURES + 1} guesses), ${sent - reached} dropped by the block`,
    );

    // The journal holds each failure with the victim and the user agent Kamailio logged.
    const entries = await journal(h, ['--kind', 'register', '--attacker', ATTACKER4]);
    expect(entries).toHaveLength(MAX_FAILURES + 1);
    expect(entries[0]).toMatchObject({ attacker: ATTACKER4, victim: PBX4, userAgent: 'sipp-bruteforce' });

    // unblock: the very next request gets through.
    expect(await h.cli(['unblock', ATTACKER4])).toMatchObject({ exitCode: 0, stdout: `unblocked ${ATTACKER4}` });
    const back = await sipp(lab, { scenario: 'options', from: ATTACKER4, to: PBX4, calls: 1, rate: 1, userAgent: 'Yealink SIP-T46S', dir });
    expect(back.exitCode).toBe(0);
    expect(kamailio.received({ src: ATTACKER4, method: 'OPTIONS' })).toHaveLength(1);
  });

  test(`REGISTER brute force over TCP/IPv6: the /64 is blocked at failure ${MAX_FAILURES + 1}; nothing after reaches Kamailio`, async () => {
    await startDaemon();
    const calls = 8;
    const run = await sipp(lab, {
      scenario: 'register-bruteforce',
      from: RANGE6_HOST,
      to: PBX6,
      transport: 'tcp',
      calls,
      rate: 4,
      userAgent: 'sipp-bruteforce',
      dir,
    });
    expect(run.exitCode).toBe(1);
    expect(kamailio.failures(RANGE6_HOST)).toHaveLength(MAX_FAILURES + 1);
    expect(await inSet('blockprefix6', '2001:db8:bad::')).toBe(true);
    const reached = kamailio.received({ src: RANGE6_HOST });
    expect(reached.map((r) => `${r.method}/${r.proto}`)).toEqual(Array(2 * (MAX_FAILURES + 1)).fill('REGISTER/tcp'));
    expect((await counters())['block_drop']).toBeGreaterThan(0);
  });

  test('UDP INVITE flood, IPv4 and IPv6: exactly burst + elapsed/interval INVITEs reach Kamailio, the rest are dropped in the kernel; the episode is in `sipwarden logs`', async () => {
    const h = await startDaemon();
    // 50 INVITEs a second for 2 s from each family at once (one bucket per source).
    const [v4, v6] = await Promise.all([
      sipp(lab, { scenario: 'invite-flood', from: RANGE4_HOST, to: PBX4, calls: 100, rate: 50, userAgent: FLOOD_UA, dir }),
      sipp(lab, { scenario: 'invite-flood', from: RANGE6_HOST, to: PBX6, calls: 100, rate: 50, userAgent: FLOOD_UA, dir }),
    ]);
    await sleep(300);
    let dropped = 0;
    for (const [family, run, from] of [
      ['IPv4', v4, RANGE4_HOST],
      ['IPv6', v6, RANGE6_HOST],
    ] as const) {
      const { sent, elapsedMs } = floodSpan(run);
      const reached = kamailio.received({ src: from, method: 'INVITE' }).length;
      const model = LIMIT.burst + Math.floor(elapsedMs / INTERVAL_MS);
      figures.push(
        `UDP INVITE flood (${family}): ${sent} sent over ${elapsedMs.toFixed(0)} ms, ${reached} reached Kamailio; burst + elapsed/interval = ${LIMIT.burst} + ${(elapsedMs / INTERVAL_MS).toFixed(2)}`,
      );
      expect(sent).toBe(100);
      expect(Math.abs(reached - model)).toBeLessThanOrEqual(1);
      dropped += sent - reached;
    }
    // Every INVITE that did not arrive was dropped by the limiter.
    expect((await counters())['ratelimit_drop']).toBe(dropped);

    await waitFor('both episodes journaled', async () => (await journal(h, ['--kind', 'ratelimit'])).length >= 2, 3000);
    const episodes = await journal(h, ['--kind', 'ratelimit']);
    expect(episodes.map((e) => [e.attacker, e.victim, e.userAgent]).sort()).toEqual(
      [
        [RANGE6_HOST, PBX6, FLOOD_UA],
        [RANGE4_HOST, PBX4, FLOOD_UA],
      ].sort(),
    );
    // As a user reads it.
    const text = await h.cli(['logs', '--kind', 'ratelimit']);
    expect(text.stdout).toMatch(
      new RegExp(`${RANGE4_HOST.replace(/\./g, '\\.')}\\s+${PBX4.replace(/\./g, '\\.')}\\s+ratelimit\\s+${FLOOD_UA.replace(/\./g, '\\.')}`),
    );
    // A limited source is slowed, not blocked.
    expect(await setElements(lab, 'block4')).toEqual([]);
  });

  test('TCP INVITE flood: slowed by the kernel (dropped segments wait for retransmission), and the episode recorded', async () => {
    const h = await startDaemon();
    const run = await sipp(lab, { scenario: 'invite-flood', from: TCP_FLOODER4, to: PBX4, transport: 'tcp', calls: 100, rate: 50, userAgent: FLOOD_UA, dir });
    const { sent, elapsedMs } = floodSpan(run);
    expect(sent).toBe(100);
    await sleep(500);
    const lag = tcpLag(run, TCP_FLOODER4);
    const drops = (await counters())['ratelimit_drop'] ?? 0;
    figures.push(
      `TCP INVITE flood (IPv4): ${sent} sent over ${elapsedMs.toFixed(0)} ms; ${lag.reached} reached Kamailio within 0.5 s after the last, ` +
        `in ${lag.bursts} bursts; delay sent -> received: median ${lag.median} ms, max ${lag.max} ms; ${drops} segments dropped by the limiter`,
    );
    // Over TCP a dropped segment is retransmitted, merged with the requests queued behind it: the
    // flood is held back by retransmission timeouts (>= 200 ms) rather than cut to a count.
    expect(drops).toBeGreaterThan(0);
    expect(lag.median).toBeGreaterThanOrEqual(150);
    await waitFor('the episode journaled', async () => (await journal(h, ['--kind', 'ratelimit'])).length > 0, 3000);
    const [episode] = await journal(h, ['--kind', 'ratelimit']);
    expect(episode).toMatchObject({ attacker: TCP_FLOODER4, victim: PBX4, userAgent: FLOOD_UA });
  });

  test('friendly-scanner probes, IPv4 and IPv6: blocked from their first packet, journaled with the User-Agent; later probes never reach Kamailio', async () => {
    const h = await startDaemon();
    // One probe every 500 ms, 4 probes, from each family.
    const runs = await Promise.all([
      sipp(lab, { scenario: 'options', from: SCANNER4, to: PBX4, calls: 4, rate: 2, userAgent: 'friendly-scanner', dir }),
      sipp(lab, { scenario: 'options', from: SCANNER6, to: PBX6, calls: 4, rate: 2, userAgent: 'friendly-scanner', dir }),
    ]);
    for (const run of runs) expect(run.exitCode).toBe(1);
    expect(await inSet('block4', SCANNER4)).toBe(true);
    expect(await inSet('blockprefix6', '2001:db8:bad:1::')).toBe(true);
    // The first probe reached the server (the kernel hands it over and lets it pass); no other did.
    expect(kamailio.received({ src: SCANNER4 })).toHaveLength(1);
    expect(kamailio.received({ src: SCANNER6 })).toHaveLength(1);
    const blocks = JSON.parse((await h.cli(['list', 'dynamic', '--json'])).stdout) as Array<{ target: string; since: number }>;
    const decided = (blocks.find((b) => b.target === SCANNER4)?.since ?? 0) - (kamailio.received({ src: SCANNER4 })[0]?.time ?? 0);
    figures.push(`friendly-scanner (UDP/IPv4): first OPTIONS at Kamailio -> block decided from its NFLOG copy ${decided} ms`);
    expect(decided).toBeLessThan(100);
    const scans = await journal(h, ['--kind', 'scanner']);
    expect(scans.map((e) => [e.attacker, e.victim, e.userAgent, e.source]).sort()).toEqual(
      [
        [SCANNER4, PBX4, 'friendly-scanner', `nflog:${nflogGroup}`],
        [SCANNER6, PBX6, 'friendly-scanner', `nflog:${nflogGroup}`],
      ].sort(),
    );
  });

  test('a third strike makes the block permanent with its note, and the alert mail reaches the SMTP server', async () => {
    const h = await startDaemon({
      register: { maxFailures: 2 },
      blocking: { dynamicBlockTime: '2s', threshold: 3 },
      notifications: {
        smtp: { ssl: false, host: '127.0.0.1', port: SMTP_PORT_IN_PBX, fromAddress: 'pbx@example.com' },
        to: ['noc@example.com'],
        minInterval: '1s',
      },
    });
    for (let strike = 1; strike <= 3; strike++) {
      await sipp(lab, { scenario: 'register-bruteforce', from: STRIKER4, to: PBX4, calls: 3, rate: 10, userAgent: 'sipp-bruteforce', dir });
      if (strike < 3) {
        await waitFor(`strike ${strike}`, () => inSet('block4', STRIKER4), 3000);
        await waitFor(`block ${strike} expires`, async () => !(await inSet('block4', STRIKER4)), 5000);
        await sleep(100);
      }
    }
    await waitFor('the permanent block in deny4', () => inSet('deny4', STRIKER4), 3000);
    expect(kamailio.failures(STRIKER4)).toHaveLength(9);
    const deny = JSON.parse((await h.cli(['list', 'deny', '--json'])).stdout) as Array<{ target: string; note: string; strikes: number; by: string }>;
    expect(deny).toHaveLength(1);
    expect(deny[0]).toMatchObject({ target: STRIKER4, strikes: 3, by: 'system' });
    expect(deny[0]?.note).toMatch(/^Blocked permanently by sipwarden on \S+: 3 strikes within 6s \(/);

    const [mail] = await waitForMails(smtp, 1, 10_000);
    expect(mail?.rcptTo).toEqual(['noc@example.com']);
    expect(mail?.parsed.subject).toMatch(new RegExp(`${STRIKER4.replace(/\./g, '\\.')} blocked permanently$`));
    expect(mail?.parsed.text).toContain(`Note:   ${deny[0]?.note ?? '?'}`);
  });

  test('an allowlisted address passes untouched', async () => {
    await startDaemon({ allowlist: [OTHER4] });
    await sipp(lab, { scenario: 'register-bruteforce', from: OTHER4, to: PBX4, calls: 2 * MAX_FAILURES, rate: 20, userAgent: 'office-pbx', dir });
    const flood = await sipp(lab, { scenario: 'invite-flood', from: OTHER4, to: PBX4, calls: 20, rate: 50, userAgent: 'office-pbx', dir });
    await sleep(300);
    expect(kamailio.failures(OTHER4)).toHaveLength(2 * MAX_FAILURES);
    expect(kamailio.received({ src: OTHER4, method: 'INVITE' })).toHaveLength(floodSpan(flood).sent);
    // The same TCP flood as above, unhindered: every INVITE, at once.
    const tcp = await sipp(lab, { scenario: 'invite-flood', from: OTHER4, to: PBX4, transport: 'tcp', calls: 100, rate: 50, userAgent: 'office-pbx', dir });
    await sleep(300);
    const lag = tcpLag(tcp, OTHER4);
    figures.push(
      `TCP INVITE flood from an allowlisted address (control): ${floodSpan(tcp).sent} sent, ${lag.reached} reached; delay median ${lag.median} ms, max ${lag.max} ms`,
    );
    expect(lag.reached).toBe(100);
    expect(lag.median).toBeLessThan(50);
    expect(await setElements(lab, 'block4')).toEqual([]);
    expect(await counters()).toMatchObject({ block_drop: 0, ratelimit_drop: 0 });
  });
});

// The daemon's alert notifier on a manual clock against a real SMTP server: batching, retry, restart.
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../src/act/journal/journal.js';
import type { JournalEntry } from '../../src/act/journal/entry.js';
import { defaultConfig } from '../../src/config/defaults.js';
import type { Config } from '../../src/config/types.js';
import { DaemonLog } from '../../src/daemon/log.js';
import { Notifier, PENDING_ALERTS_FILE } from '../../src/daemon/notifier.js';
import { ManualClock } from '../../src/model/clock.js';
import type { Decision, PermanentDecision } from '../../src/model/decision.js';
import { freePort, makeCertificate, startSmtpServer, type TestSmtpServer, type TlsMaterial } from '../helpers/smtp.js';

const T0 = Date.UTC(2024, 0, 15, 10, 0, 0);
const MIN = 60_000;
const UA = '<script>alert(1)</script>\r\nBcc: evil@example.com';

let tls: TlsMaterial;
let dir: string;
let journal: Journal;
let logLines: string[];
let servers: TestSmtpServer[];

beforeAll(async () => {
  tls = await makeCertificate();
});
afterAll(() => tls.cleanup());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-notifier-'));
  journal = Journal.open(join(dir, 'journal'));
  logLines = [];
  servers = [];
});
afterEach(async () => {
  journal.close();
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(port: number, password = 's3cret-Pa55'): Config {
  const c = defaultConfig();
  c.stateDir = dir;
  c.notifications = {
    smtp: { ssl: true, host: '127.0.0.1', port, fromName: 'sipwarden', fromAddress: 'pbx1@example.com', user: 'pbx1', password, passwordFile: null },
    to: ['admin@example.com'],
    minInterval: 5 * MIN,
  };
  return c;
}

function notifier(c: Config, clock: ManualClock): Notifier {
  const log = new DaemonLog('text', (line) => logLines.push(line));
  const n = new Notifier({ config: c, journal, log, clock, ca: tls.cert, host: 'pbx1', pumpMs: null });
  n.start();
  return n;
}

function permanent(attacker: string, time: number): PermanentDecision {
  return {
    type: 'permanent',
    time,
    target: attacker,
    attacker,
    kind: 'register',
    reason: 'more than 10 failed REGISTERs within a minute',
    strikes: 3,
    note: `Blocked permanently by sipwarden: 3 strikes (${attacker}).`,
  };
}

function journalAttacks(attacker: string, time: number, n: number): void {
  const entries: JournalEntry[] = [];
  // Oldest first, as the daemon appends them; the newest carries the hostile User-Agent.
  for (let i = n - 1; i >= 0; i--) {
    entries.push({
      time: time - i * 1000,
      attacker,
      victim: '192.0.2.1',
      kind: 'register',
      userAgent: i === 0 ? UA : 'friendly-scanner',
      user: `${1000 + i}`,
      source: '/var/log/asterisk/messages',
      rule: 'asterisk.test',
    });
  }
  journal.append(entries);
}

const strikes = (time: number) => () => [
  { time: time - 2 * 3_600_000, reason: 'more than 10 failed REGISTERs' },
  { time: time - 3_600_000, reason: 'more than 10 failed REGISTERs' },
  { time, reason: 'more than 10 failed REGISTERs' },
];

async function server(port: number): Promise<TestSmtpServer> {
  const s = await startSmtpServer({ implicitTls: true, tls, auth: { user: 'pbx1', pass: 's3cret-Pa55' }, port });
  servers.push(s);
  return s;
}

test('a permanent block is mailed with its strikes and journal entries; later ones wait and go together', async () => {
  const port = await freePort();
  const smtp = await server(port);
  const clock = new ManualClock(T0);
  const n = notifier(config(port), clock);
  journalAttacks('198.51.100.7', T0, 14);
  const decisions: Decision[] = [
    { type: 'block', time: T0, target: '198.51.100.9', attacker: '198.51.100.9', kind: 'register', until: T0 + 3_600_000, reason: 'x', strikes: 1 },
    permanent('198.51.100.7', T0),
  ];
  n.onDecisions(decisions, strikes(T0));
  await n.pump();
  expect(smtp.mails).toHaveLength(1);
  const first = smtp.mails[0];
  expect(first?.parsed.subject).toBe('[sipwarden] pbx1: 198.51.100.7 blocked permanently');
  expect(first?.parsed.text).toContain('Strikes (3):');
  expect(first?.parsed.text).toContain('Attack log (14 entries, newest 10 shown):');
  expect(first?.parsed.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;\\r\\nBcc: evil@example.com');
  expect(first?.parsed.headers.has('bcc')).toBe(false);
  expect(logLines).toContain('mail: alert for 1 permanent block(s) sent to admin@example.com\n');

  for (let i = 1; i <= 3; i++) {
    clock.advance(MIN);
    n.onDecisions([permanent(`198.51.100.${10 + i}`, clock.now())], strikes(clock.now()));
    await n.pump();
  }
  expect(smtp.mails).toHaveLength(1);
  clock.set(T0 + 5 * MIN);
  await n.pump();
  expect(smtp.mails).toHaveLength(2);
  expect(smtp.mails[1]?.parsed.subject).toBe('[sipwarden] pbx1: 3 addresses blocked permanently');
  for (const a of ['198.51.100.11', '198.51.100.12', '198.51.100.13']) expect(smtp.mails[1]?.parsed.text).toContain(a);
  await n.stop();
});

test('server down: the alert is kept, retried with backoff, and delivered once the server is up', async () => {
  const port = await freePort();
  const clock = new ManualClock(T0);
  const n = notifier(config(port), clock);
  journalAttacks('203.0.113.5', T0, 3);
  n.onDecisions([permanent('203.0.113.5', T0)], strikes(T0));
  await n.pump();
  expect(logLines.at(-1)).toBe(
    `error: mail to admin@example.com via 127.0.0.1:${port} (implicit TLS) failed: cannot connect: connect ECONNREFUSED 127.0.0.1:${port}; alert for 1 permanent block(s) kept, retry in 30s (attempt 1 failed)\n`,
  );
  expect(n.undelivered).toBe(1);
  expect(JSON.parse(readFileSync(join(dir, PENDING_ALERTS_FILE), 'utf8')).alerts).toHaveLength(1);
  clock.advance(30_000);
  await n.pump();
  expect(logLines.at(-1)).toContain('retry in 1m (attempt 2 failed)');

  const smtp = await server(port);
  clock.advance(59_000);
  await n.pump();
  expect(smtp.mails).toHaveLength(0);
  n.onDecisions([permanent('203.0.113.6', clock.now())], strikes(clock.now()));
  clock.advance(1000);
  await n.pump();
  expect(smtp.mails).toHaveLength(1);
  expect(smtp.mails[0]?.parsed.subject).toBe('[sipwarden] pbx1: 2 addresses blocked permanently');
  expect(smtp.mails[0]?.parsed.text).toContain('203.0.113.5');
  expect(smtp.mails[0]?.parsed.text).toContain('203.0.113.6');
  expect(logLines.at(-1)).toBe('mail: alert for 2 permanent block(s) sent to admin@example.com (attempt 3)\n');
  expect(n.undelivered).toBe(0);
  expect(JSON.parse(readFileSync(join(dir, PENDING_ALERTS_FILE), 'utf8')).alerts).toEqual([]);
  await n.stop();
});

test('a wrong password is logged without the password, and undelivered alerts survive a restart', async () => {
  const port = await freePort();
  const smtp = await server(port);
  const clock = new ManualClock(T0);
  const wrong = 'wrong-Pa55-word';
  const first = notifier(config(port, wrong), clock);
  first.onDecisions([permanent('198.51.100.50', T0)], strikes(T0));
  await first.pump();
  expect(logLines.at(-1)).toContain('failed: the server refused the login for user "pbx1": 535');
  expect(logLines.join('')).not.toContain(wrong);
  await first.stop();
  expect(existsSync(join(dir, PENDING_ALERTS_FILE))).toBe(true);

  const second = notifier(config(port), clock);
  expect(logLines.at(-1)).toBe('mail: 1 undelivered alert(s) from the last run will be sent\n');
  await second.pump();
  expect(smtp.mails).toHaveLength(1);
  expect(smtp.mails[0]?.parsed.subject).toBe('[sipwarden] pbx1: 198.51.100.50 blocked permanently');
  await second.stop();
});

test('no smtp configured: nothing is collected or sent', async () => {
  const c = defaultConfig();
  c.stateDir = dir;
  const clock = new ManualClock(T0);
  const n = notifier(c, clock);
  n.onDecisions([permanent('198.51.100.7', T0)], strikes(T0));
  await n.pump();
  expect(n.undelivered).toBe(0);
  await n.stop();
  expect(existsSync(join(dir, PENDING_ALERTS_FILE))).toBe(false);
});

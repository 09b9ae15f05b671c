// A journal and store with known figures, shared by the report's unit and CLI tests.
import type { JournalEntry } from '../../src/act/journal/entry.js';
import { Journal } from '../../src/act/journal/journal.js';
import type { StateData } from '../../src/store/state.js';

export const DAY0 = Date.UTC(2024, 0, 15, 0, 0, 0);
export const HOUR = 3_600_000;
export const PERIOD = { from: DAY0, to: DAY0 + 24 * HOUR };

/** The User-Agent a scanner sends to inject markup and a header into a report. */
export const EVIL_UA = '<script>alert(1)</script>\r\nBcc: evil@example.com';

function entry(time: number, attacker: string, kind: JournalEntry['kind'], extra: Partial<JournalEntry> = {}): JournalEntry {
  return { time, attacker, victim: '192.0.2.1', kind, userAgent: null, user: null, source: '/var/log/asterisk/messages', rule: 'test.rule', ...extra };
}

/** 47 attacks inside the period, 2 outside it. */
export function reportEntries(): JournalEntry[] {
  const entries: JournalEntry[] = [];
  // Hour 01: 30 failed REGISTERs from one address.
  for (let i = 0; i < 30; i++) entries.push(entry(DAY0 + HOUR + i * 60_000, '198.51.100.7', 'register', { user: `10${i}`, userAgent: 'friendly-scanner' }));
  // Hour 02: a scanner whose newest User-Agent tries markup and a header.
  for (let i = 0; i < 5; i++)
    entries.push(entry(DAY0 + 2 * HOUR + i * 60_000, '198.51.100.8', 'scanner', { userAgent: i === 4 ? EVIL_UA : 'sipvicious', user: '<b>admin</b>' }));
  // Hour 03: two addresses of one IPv6 /64, 4 INVITEs each.
  for (let i = 0; i < 4; i++) {
    entries.push(entry(DAY0 + 3 * HOUR + i * 1000, '2001:db8:1::5', 'invite'));
    entries.push(entry(DAY0 + 3 * HOUR + i * 1000 + 500, '2001:db8:1::6', 'invite'));
  }
  // Hour 05: two rate-limit episodes; hour 06: one auth failure from an allowlisted address.
  entries.push(entry(DAY0 + 5 * HOUR, '203.0.113.9', 'ratelimit', { source: 'kernel' }));
  entries.push(entry(DAY0 + 5 * HOUR + 120_000, '203.0.113.9', 'ratelimit', { source: 'kernel' }));
  entries.push(entry(DAY0 + 6 * HOUR, '192.0.2.50', 'auth'));
  // The period's last millisecond counts; its end and the minute before its start do not.
  entries.push(entry(DAY0 + 24 * HOUR - 1, '198.51.100.7', 'register'));
  entries.push(entry(DAY0 + 24 * HOUR, '198.51.100.7', 'register'));
  entries.push(entry(DAY0 - 60_000, '198.51.100.99', 'register'));
  return entries;
}

export function writeReportJournal(dir: string): void {
  const journal = Journal.open(dir);
  journal.append(reportEntries());
  journal.close();
}

/** Blocks and lists as the daemon would have left them at the end of the period. */
export function reportState(): StateData {
  return {
    version: 1,
    allow: [{ target: '203.0.113.0/24', note: 'office', since: DAY0 - 86_400_000 }],
    deny: [
      {
        target: '198.51.100.7',
        note: 'Blocked permanently by sipwarden on 2024-01-15T01:20:00Z: 3 strikes within 3h (<i>User-Agent</i> friendly-scanner).',
        since: DAY0 + HOUR + 20 * 60_000,
        by: 'system',
        strikes: 3,
      },
      { target: '2001:db8:1::/64', note: 'scanner network', since: DAY0 - 3 * 86_400_000, by: 'admin', strikes: 0 },
    ],
    dynamic: [
      { target: '198.51.100.8', since: DAY0 + 2 * HOUR, until: DAY0 + 25 * HOUR, reason: 'blocked User-Agent', by: 'system', strikes: 1 },
      { target: '198.51.100.200', since: DAY0, until: DAY0 + HOUR, reason: 'ended', by: 'system', strikes: 1 },
    ],
    strikes: {},
    positions: {},
  };
}

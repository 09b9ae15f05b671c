// The report's figures from a real journal and store: kinds, hours, top attackers and their status, blocks.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../../src/act/journal/journal.js';
import { buildReport, type Report } from '../../../src/act/notify/report.js';
import { ManualClock } from '../../../src/model/clock.js';
import { DAY0, EVIL_UA, HOUR, PERIOD, reportState, writeReportJournal } from '../../helpers/report-journal.js';

let dir: string;
let journal: Journal;
let report: Report;

function make(overrides: Partial<Parameters<typeof buildReport>[0]> = {}): Report {
  return buildReport({
    journal,
    state: reportState(),
    allowlist: ['192.0.2.50'],
    ipv6Prefix: 64,
    limiterEnabled: true,
    period: PERIOD,
    clock: new ManualClock(DAY0 + 24 * HOUR),
    host: 'pbx1',
    kernel: { counters: { deny_drop: 1234, ratelimit_drop: 56 } },
    ...overrides,
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-report-'));
  writeReportJournal(dir);
  journal = Journal.open(dir, { readOnly: true });
  report = make();
});
afterAll(() => {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
});

test('counts by kind inside the period only (start inclusive, end exclusive)', () => {
  expect(report.total).toBe(47);
  expect(report.byKind).toEqual({ register: 31, invite: 8, auth: 1, scanner: 5, ratelimit: 2 });
  expect(report.attackers).toBe(6);
  expect(report.period).toEqual(PERIOD);
  expect(report.generatedAt).toBe(DAY0 + 24 * HOUR);
});

test('attacks per hour: 24 aligned buckets', () => {
  expect(report.chart.bucketMs).toBe(HOUR);
  expect(report.chart.buckets).toHaveLength(24);
  expect(report.chart.buckets[0]).toEqual({ start: DAY0, count: 0 });
  const counts = report.chart.buckets.map((b) => b.count);
  expect(counts.slice(0, 7)).toEqual([0, 30, 5, 8, 0, 2, 1]);
  expect(counts[23]).toBe(1);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(47);
});

test('a period not on the hour gets partial first and last buckets; a long one is charted per day', () => {
  const shifted = make({ period: { from: DAY0 + HOUR + 20 * 60_000, to: DAY0 + 3 * HOUR + 30 * 60_000 } });
  expect(shifted.chart.buckets.map((b) => [b.start - DAY0, b.count])).toEqual([
    [HOUR, 10],
    [2 * HOUR, 5],
    [3 * HOUR, 8],
  ]);
  const month = make({ period: { from: DAY0 - 20 * 86_400_000, to: DAY0 + 10 * 86_400_000 } });
  expect(month.chart.bucketMs).toBe(86_400_000);
  expect(month.chart.buckets).toHaveLength(30);
  expect(month.total).toBe(49);
});

test('top attackers: counts, kinds, first and last seen, newest User-Agent and user', () => {
  expect(report.top.map((t) => [t.attacker, t.count])).toEqual([
    ['198.51.100.7', 31],
    ['198.51.100.8', 5],
    ['2001:db8:1::6', 4],
    ['2001:db8:1::5', 4],
    ['203.0.113.9', 2],
    ['192.0.2.50', 1],
  ]);
  const first = report.top[0];
  expect(first).toMatchObject({ byKind: { register: 31 }, firstSeen: DAY0 + HOUR, lastSeen: DAY0 + 24 * HOUR - 1 });
  const scanner = report.top[1];
  expect(scanner).toMatchObject({
    byKind: { scanner: 5 },
    firstSeen: DAY0 + 2 * HOUR,
    lastSeen: DAY0 + 2 * HOUR + 4 * 60_000,
    userAgent: EVIL_UA,
    user: '<b>admin</b>',
  });
  expect(make({ top: 2 }).top.map((t) => t.attacker)).toEqual(['198.51.100.7', '198.51.100.8']);
});

test('current status: permanent (also by IPv6 /64), dynamic until, allowed by config or store, none', () => {
  const status = Object.fromEntries(report.top.map((t) => [t.attacker, t.status]));
  expect(status['198.51.100.7']).toEqual({ state: 'permanent', target: '198.51.100.7', since: DAY0 + HOUR + 20 * 60_000 });
  expect(status['198.51.100.8']).toEqual({ state: 'blocked', target: '198.51.100.8', until: DAY0 + 25 * HOUR });
  expect(status['2001:db8:1::5']).toEqual({ state: 'permanent', target: '2001:db8:1::/64', since: DAY0 - 3 * 86_400_000 });
  expect(status['203.0.113.9']).toEqual({ state: 'allowed' });
  expect(status['192.0.2.50']).toEqual({ state: 'allowed' });
  const later = make({ clock: new ManualClock(DAY0 + 26 * HOUR), state: { ...reportState(), deny: [] } });
  expect(later.top.find((t) => t.attacker === '198.51.100.8')?.status).toEqual({ state: 'none' });
});

test('new permanent blocks in the period with their notes; current list counts; limiter; kernel', () => {
  expect(report.newPermanentBlocks).toEqual([
    { target: '198.51.100.7', since: DAY0 + HOUR + 20 * 60_000, by: 'system', strikes: 3, note: expect.stringContaining('3 strikes within 3h') },
  ]);
  expect(report.lists).toEqual({ allow: 2, deny: 2, dynamic: 1 });
  expect(report.limiter).toEqual({ enabled: true, episodes: 2 });
  expect(report.kernel).toEqual({ counters: { deny_drop: 1234, ratelimit_drop: 56 } });
});

describe('an empty journal', () => {
  test('gives zeros, not errors', () => {
    const empty = Journal.open(join(dir, 'none'), { readOnly: true });
    const r = make({ journal: empty });
    expect(r.total).toBe(0);
    expect(r.top).toEqual([]);
    expect(r.chart.buckets).toHaveLength(24);
  });
});

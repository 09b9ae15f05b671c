// The attack journal on a real temporary folder: appends, queries, paging, torn lines, retention.
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../../src/act/journal/journal.js';
import { type JournalEntry } from '../../../src/act/journal/entry.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 15, 10);
let dir: string;

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'sipwarden-journal-')), 'journal');
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

function entry(i: number, overrides: Partial<JournalEntry> = {}): JournalEntry {
  return {
    time: T0 + i * 60_000,
    attacker: i % 2 === 0 ? '198.51.100.8' : '2001:db8::5',
    victim: '192.0.2.10',
    kind: i % 3 === 0 ? 'invite' : 'register',
    userAgent: 'friendly-scanner',
    user: String(100 + i),
    source: '/var/log/asterisk/messages',
    rule: 'asterisk.test',
    ...overrides,
  };
}

test('queries filter by kind, time and attacker, newest first, with totals and pages', () => {
  const journal = Journal.open(dir);
  journal.append(Array.from({ length: 30 }, (_, i) => entry(i)));
  const all = journal.query({});
  expect(all).toMatchObject({ total: 30, page: 1, pages: 2, perPage: 15 });
  expect(all.entries.map((e) => e.user)).toEqual(Array.from({ length: 15 }, (_, i) => String(129 - i)));
  const invites = journal.query({ kind: 'invite', perPage: 4, page: 2 });
  expect(invites).toMatchObject({ total: 10, page: 2, pages: 3 });
  expect(invites.entries.map((e) => e.user)).toEqual(['115', '112', '109', '106']);
  const v6 = journal.query({ attacker: '2001:db8::5', since: T0 + 10 * 60_000, until: T0 + 20 * 60_000 });
  expect(v6.entries.map((e) => e.user)).toEqual(['119', '117', '115', '113', '111']);
  expect(journal.query({ attacker: '203.0.113.1' }).total).toBe(0);
  expect(all.entries[0]).toEqual(entry(29));
  journal.close();
});

test('entries are stored one JSON line each, in root-only files, and survive a reopen', () => {
  const journal = Journal.open(dir);
  journal.append([entry(0), entry(1)]);
  journal.append([entry(2, { time: T0 + DAY })]);
  journal.close();
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  const segment = join(dir, '2024-01-15.jsonl');
  expect(statSync(segment).mode & 0o777).toBe(0o600);
  const lines = readFileSync(segment, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines[0]).toEqual({
    time: '2024-01-15T10:00:00.000Z',
    attacker: '198.51.100.8',
    victim: '192.0.2.10',
    kind: 'invite',
    userAgent: 'friendly-scanner',
    user: '100',
    source: '/var/log/asterisk/messages',
    rule: 'asterisk.test',
  });
  const again = Journal.open(dir);
  expect(again.query({}).total).toBe(3);
  expect(again.problems).toEqual([]);
  again.close();
});

test('a torn last line is skipped and reported, and appends go on cleanly', () => {
  const journal = Journal.open(dir);
  journal.append([entry(0), entry(1)]);
  journal.close();
  appendFileSync(join(dir, '2024-01-15.jsonl'), '{"time":"2024-01-15T10:05:00.000Z","attac');
  const reopened = Journal.open(dir);
  expect(reopened.problems[0]).toMatch(/2024-01-15\.jsonl: the last line is torn/);
  expect(reopened.query({}).total).toBe(2);
  reopened.append([entry(3)]);
  expect(reopened.query({}).entries.map((e) => e.user)).toEqual(['103', '101', '100']);
  reopened.close();
  const third = Journal.open(dir);
  expect(third.query({}).total).toBe(3);
  third.close();
});

test('a lost or stale index is rebuilt from the data', () => {
  const journal = Journal.open(dir);
  journal.append(Array.from({ length: 5 }, (_, i) => entry(i)));
  journal.close();
  unlinkSync(join(dir, '2024-01-15.idx'));
  const rebuilt = Journal.open(dir);
  expect(rebuilt.query({ kind: 'register' }).total).toBe(3);
  rebuilt.close();
  writeFileSync(join(dir, '2024-01-15.idx'), Buffer.alloc(7));
  const again = Journal.open(dir);
  expect(again.query({}).total).toBe(5);
  again.close();
});

test('retention removes whole old segments', () => {
  const journal = Journal.open(dir);
  journal.append([entry(0, { time: T0 - 100 * DAY }), entry(1, { time: T0 - 10 * DAY }), entry(2)]);
  expect(journal.prune(T0, 90)).toEqual([new Date(T0 - 100 * DAY).toISOString().slice(0, 10)]);
  expect(journal.query({}).total).toBe(2);
  journal.close();
});

test('a read-only journal never writes', () => {
  const journal = Journal.open(dir);
  journal.append([entry(0)]);
  journal.close();
  unlinkSync(join(dir, '2024-01-15.idx'));
  const reader = Journal.open(dir, { readOnly: true });
  expect(reader.query({}).total).toBe(1);
  expect(existsSync(join(dir, '2024-01-15.idx'))).toBe(false);
  expect(() => reader.append([entry(1)])).toThrow('read-only');
});

test('stored lines are exactly the JSON of the entry, whatever the text holds', async () => {
  const { entryToLine, lineToEntry } = await import('../../../src/act/journal/entry.js');
  const tricky = entry(3, { userAgent: '"quoted" \\ back\nslash\u0000\u2028 <script>', user: null, time: T0 + 999 });
  const line = entryToLine(tricky);
  expect(JSON.parse(line)).toEqual({ ...tricky, time: new Date(tricky.time).toISOString() });
  expect(lineToEntry(line)).toEqual(tricky);
});

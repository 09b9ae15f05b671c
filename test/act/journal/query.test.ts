// Counting a period from the index alone: kinds, aligned time buckets, distinct attackers and the top ones.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../../src/act/journal/journal.js';
import type { JournalEntry } from '../../../src/act/journal/entry.js';

const T0 = Date.UTC(2024, 0, 15, 0, 0, 0);
const HOUR = 3_600_000;
let dir: string;
let journal: Journal;
const expected = new Map<string, number>();

function entry(time: number, attacker: string, kind: JournalEntry['kind']): JournalEntry {
  return { time, attacker, victim: null, kind, userAgent: null, user: `u-${attacker}`, source: 's', rule: 'r' };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-summarize-'));
  journal = Journal.open(dir);
  // 30,000 distinct sources over two days: enough to grow every table many times; address i appears
  // (i % 7) + 1 times, so counts are known, and 255.255.255.x / 2001:db8:ffff:: sort to the top.
  const entries: JournalEntry[] = [];
  for (let i = 0; i < 30_000; i++) {
    const attacker =
      i % 5 === 0 ? `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1` : `${10 + (i % 200)}.${(i >> 8) & 255}.${i & 255}.${200 + (i % 50)}`;
    const n = (i % 7) + 1;
    for (let k = 0; k < n; k++) entries.push(entry(T0 + ((i * 7 + k) % 48) * HOUR + k, attacker, k % 2 === 0 ? 'register' : 'invite'));
    expected.set(attacker, (expected.get(attacker) ?? 0) + n);
  }
  for (let k = 0; k < 500; k++) entries.push(entry(T0 + 30 * HOUR + k, '255.255.255.254', 'scanner'));
  for (let k = 0; k < 400; k++) entries.push(entry(T0 + 31 * HOUR + k, '2001:db8:ffff::7', 'auth'));
  expected.set('255.255.255.254', 500);
  expected.set('2001:db8:ffff::7', 400);
  entries.sort((a, b) => a.time - b.time);
  journal.append(entries);
});
afterAll(() => {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
});

test('two whole days: every entry, every distinct address, the busiest first', () => {
  const s = journal.summarize({ since: T0, until: T0 + 48 * HOUR, bucketMs: HOUR, top: 5 });
  const total = [...expected.values()].reduce((a, b) => a + b, 0);
  expect(s.total).toBe(total);
  expect(s.attackers).toBe(expected.size);
  expect(s.byKind.reduce((a, b) => a + b, 0)).toBe(total);
  expect(s.buckets).toHaveLength(48);
  expect(s.buckets.reduce((a, b) => a + b, 0)).toBe(total);
  expect(s.top.map((t) => [t.attacker, t.count])).toEqual([['255.255.255.254', 500], ['2001:db8:ffff::7', 400], ...s.top.slice(2).map((t) => [t.attacker, 7])]);
  for (const t of s.top) expect(t.count).toBe(expected.get(t.attacker));
  expect(s.top[0]).toMatchObject({ byKind: [0, 0, 0, 500, 0], first: T0 + 30 * HOUR, last: T0 + 30 * HOUR + 499 });
  expect(s.top[0]?.newest).toMatchObject({ attacker: '255.255.255.254', time: T0 + 30 * HOUR + 499, user: 'u-255.255.255.254' });
  expect(s.top[1]?.newest).toMatchObject({ attacker: '2001:db8:ffff::7', kind: 'auth' });
});

test('one day only: the other segment is skipped, buckets align to the hour', () => {
  const s = journal.summarize({ since: T0 + 24 * HOUR + 1, until: T0 + 30 * HOUR + 250, bucketMs: HOUR, top: 1 });
  expect(s.bucketStart).toBe(T0 + 24 * HOUR);
  expect(s.buckets).toHaveLength(7);
  expect(s.top[0]).toMatchObject({ attacker: '255.255.255.254', count: 250, last: T0 + 30 * HOUR + 249 });
});

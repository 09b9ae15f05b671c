// Timestamp shapes of PBX and kernel logs.
import { expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseTimestamp } from '../../src/parse/time.js';
import { REPO_ROOT } from '../helpers/fixtures.js';

const ref = { now: Date.UTC(2024, 5, 1), bootTime: Date.UTC(2024, 4, 1) };

test.each([
  ['2024-01-15 10:23:45', Date.UTC(2024, 0, 15, 10, 23, 45)],
  ['2024-01-15 10:23:45.123456', Date.UTC(2024, 0, 15, 10, 23, 45, 123)],
  // Digits past the milliseconds are dropped, never rounded up into the next second.
  ['2024-01-15 10:23:45.99999999999999999999', Date.UTC(2024, 0, 15, 10, 23, 45, 999)],
  ['2024-01-15T10:23:45.99999999999999999999Z', Date.UTC(2024, 0, 15, 10, 23, 45, 999)],
  ['2024-01-15T10:23:45.123+0100', Date.UTC(2024, 0, 15, 9, 23, 45, 123)],
  ['2024-01-15T10:23:45+00:00', Date.UTC(2024, 0, 15, 10, 23, 45)],
  ['2024-01-15T10:23:45Z', Date.UTC(2024, 0, 15, 10, 23, 45)],
  ['Jan 15 10:23:45', Date.UTC(2024, 0, 15, 10, 23, 45)],
  ['Jan  5 10:23:45', Date.UTC(2024, 0, 5, 10, 23, 45)],
  ['Dec 31 23:59:59', Date.UTC(2023, 11, 31, 23, 59, 59)],
  ['Jan 15 10:23:45.250', Date.UTC(2024, 0, 15, 10, 23, 45, 250)],
  ['Mon Jan 15 10:23:45 2024', Date.UTC(2024, 0, 15, 10, 23, 45)],
  ['12.500000', Date.UTC(2024, 4, 1, 0, 0, 12, 500)],
  ['@1705314225.5', 1705314225500],
])('%s', (text, ms) => {
  expect(parseTimestamp(text, ref)).toBe(ms);
});

test('unknown shapes are null', () => {
  expect(parseTimestamp('yesterday', ref)).toBeNull();
});

/** The stamp's instant read the plain way: every field through the local-time conversion. */
function reference(text: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?$/.exec(text);
  if (m === null) throw new Error(`not a local stamp: ${text}`);
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  return new Date(y!, mo! - 1, d!, h!, mi!, s!, ms).getTime();
}

/**
 * Run in a process of its own with TZ set (Jest's sandbox ignores a change of process.env.TZ):
 * every 7 s across the 2024 offset changes, as the wall-clock text a log has, in order, including
 * the hour that does not exist, the one that repeats, and seconds 60 and up (a leap second, or
 * junk) that roll into the next minute; prints the stamps the built parser reads otherwise than
 * `new Date` with every field does, and how many it checked.
 */
const DST_CHECK = `
import { parseTimestamp } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'parse', 'time.js')).href)};
const ref = { now: Date.UTC(2024, 5, 1), bootTime: 0 };
const reference = (text) => {
  const m = /^(\\d{4})-(\\d\\d)-(\\d\\d)[T ](\\d\\d):(\\d\\d):(\\d\\d)(?:[.,](\\d+))?$/.exec(text);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  return new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms).getTime();
};
const pad = (n) => String(n).padStart(2, '0');
const starts = [Date.UTC(2024, 2, 30, 20), Date.UTC(2024, 9, 26, 20), Date.UTC(2024, 2, 10, 2), Date.UTC(2024, 10, 3, 2), Date.UTC(2024, 3, 6, 10), Date.UTC(2024, 9, 5, 10)];
const wrong = [];
let checked = 0;
for (const start of starts) {
  for (let t = start; t < start + 10 * 3_600_000; t += 7_000) {
    const u = new Date(t);
    const base = u.getUTCFullYear() + '-' + pad(u.getUTCMonth() + 1) + '-' + pad(u.getUTCDate()) + ' ' + pad(u.getUTCHours()) + ':' + pad(u.getUTCMinutes()) + ':' + pad(u.getUTCSeconds());
    for (const text of [base, base + '.5', base + ',123456', base.replace(' ', 'T'), base.slice(0, 17) + '60', base.slice(0, 17) + '99.5']) {
      if (parseTimestamp(text, ref) !== reference(text)) wrong.push(text);
      checked++;
    }
  }
}
console.log(JSON.stringify({ zoneOffsetInJuly: new Date(2024, 6, 1).getTimezoneOffset(), wrong: wrong.slice(0, 20), checked }));
`;

// Local stamps are converted once per minute and the seconds added: exact only where no zone
// offset changes inside the minute, which zones with whole-hour, half-hour (Lord Howe) and
// 45-minute (Kathmandu) offsets put to the test.
test.each([
  ['Europe/Berlin', -120],
  ['America/New_York', 240],
  ['Australia/Lord_Howe', -630],
  ['Asia/Kathmandu', -345],
])('local stamps across offset changes in %s', (zone, julyOffset) => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', DST_CHECK], { env: { TZ: zone }, encoding: 'utf8' });
  const { zoneOffsetInJuly, wrong, checked } = JSON.parse(out) as { zoneOffsetInJuly: number; wrong: string[]; checked: number };
  expect(zoneOffsetInJuly).toBe(julyOffset);
  expect(wrong).toEqual([]);
  expect(checked).toBeGreaterThan(30_000);
});

test('a stamp that only starts like the last one is read in full', () => {
  expect(parseTimestamp('2024-01-15 10:23:45', ref)).toBe(Date.UTC(2024, 0, 15, 10, 23, 45));
  expect(parseTimestamp('2024-01-15 10:23:4x', ref)).toBeNull();
  expect(parseTimestamp('2024-01-15 10:23:46.', ref)).toBeNull();
  expect(parseTimestamp('2024-01-15 10:23:46 ', ref)).toBe(Date.UTC(2024, 0, 15, 10, 23, 46));
  expect(parseTimestamp('2024-01-15 10:23:47+0100', ref)).toBe(Date.UTC(2024, 0, 15, 9, 23, 47));
});

test('out-of-range fields are read as the Date constructor reads them, whatever was read before', () => {
  // Month 00 is December of the year before; it must not be taken for a month of another year.
  const texts = ['2024-00-15 10:23:45', '2023-99-15 10:23:45', '2024-02-31 10:23:45', '2024-03-02 10:23:45', '2024-01-15 10:60:00', '2024-01-15 11:00:00'];
  for (const text of [...texts, ...texts.reverse()]) expect(parseTimestamp(text, ref)).toBe(reference(text));
});

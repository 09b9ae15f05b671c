// Timestamp shapes of PBX and kernel logs.
import { expect, test } from '@jest/globals';
import { parseTimestamp } from '../../src/parse/time.js';

const ref = { now: Date.UTC(2024, 5, 1), bootTime: Date.UTC(2024, 4, 1) };

test.each([
  ['2024-01-15 10:23:45', Date.UTC(2024, 0, 15, 10, 23, 45)],
  ['2024-01-15 10:23:45.123456', Date.UTC(2024, 0, 15, 10, 23, 45, 123)],
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

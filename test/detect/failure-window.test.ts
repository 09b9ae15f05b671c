// Failed-request counting per key over a sliding window.
import { expect, test } from '@jest/globals';
import { FailureWindow } from '../../src/detect/failure-window.js';

test('counts the failures inside the window ending at each one', () => {
  const window = new FailureWindow<number>(60_000, 11);
  expect(window.record(1, 0)).toBe(1);
  expect(window.record(1, 30_000)).toBe(2);
  expect(window.record(1, 59_999)).toBe(3);
  // The first stamp is exactly windowMs old: outside.
  expect(window.record(1, 60_000)).toBe(3);
  expect(window.record(2, 60_000)).toBe(1);
  // Every earlier stamp has left the window: the count starts again.
  expect(window.record(1, 200_000)).toBe(1);
});

test('keeps at most `limit` stamps per key', () => {
  const window = new FailureWindow<string>(60_000, 3);
  const counts = Array.from({ length: 6 }, (_, i) => window.record('k', i));
  expect(counts).toEqual([1, 2, 3, 3, 3, 3]);
});

test('reset forgets a key; prune forgets keys whose newest failure left the window', () => {
  const window = new FailureWindow<number | string>(60_000, 11);
  window.record(7, 0);
  window.record(7, 10_000);
  window.record('a', 0);
  window.record('b', 50_000);
  expect(window.size).toBe(3);
  window.prune(60_000);
  // 7 still has a stamp at 10 s inside the window; 'a' is gone.
  expect(window.size).toBe(2);
  expect(window.record('a', 60_000)).toBe(1);
  window.reset(7);
  expect(window.record(7, 60_000)).toBe(1);
  window.prune(1_000_000);
  expect(window.size).toBe(0);
});

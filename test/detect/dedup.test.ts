// Pairing the two writings of one request (a message and a security event).
import { expect, test } from '@jest/globals';
import { PAIR_WINDOW_MS, StreamDedup } from '../../src/detect/dedup.js';
import { event, T0 } from '../helpers/events.js';

const message = (time: number, attacker = '198.51.100.8', user: string | null = '100') => event({ attacker, time, user, stream: 'message' });
const security = (time: number, attacker = '198.51.100.8', user: string | null = '100') => event({ attacker, time, user, stream: 'security', kind: 'auth' });

test('the second writing of a request is a duplicate, whichever stream comes first; each pairs once', () => {
  const dedup = new StreamDedup();
  expect(dedup.isDuplicate(message(T0))).toBe(false);
  expect(dedup.isDuplicate(security(T0 + 500))).toBe(true);
  expect(dedup.isDuplicate(security(T0 + 600))).toBe(false);
  expect(dedup.isDuplicate(message(T0 + 700))).toBe(true);
  // Security first, stamped later than the message that follows it.
  expect(dedup.isDuplicate(security(T0 + 5000, '203.0.113.9'))).toBe(false);
  expect(dedup.isDuplicate(message(T0 + 3500, '203.0.113.9'))).toBe(true);
});

test('the same stream, another attacker or another user never pairs; a missing user pairs with any', () => {
  const dedup = new StreamDedup();
  expect(dedup.isDuplicate(message(T0))).toBe(false);
  expect(dedup.isDuplicate(message(T0))).toBe(false);
  expect(dedup.isDuplicate(security(T0, '198.51.100.9'))).toBe(false);
  expect(dedup.isDuplicate(security(T0, '198.51.100.8', '200'))).toBe(false);
  expect(dedup.isDuplicate(security(T0, '198.51.100.8', null))).toBe(true);
  expect(dedup.isDuplicate(security(T0, '198.51.100.8', '100'))).toBe(true);
  // Users compare without case.
  expect(dedup.isDuplicate(message(T0 + 10, '198.51.100.7', 'Alice'))).toBe(false);
  expect(dedup.isDuplicate(security(T0 + 10, '198.51.100.7', 'alice'))).toBe(true);
});

test('writings pair up to PAIR_WINDOW_MS apart, across a generation turn, and not further', () => {
  const dedup = new StreamDedup();
  expect(dedup.isDuplicate(message(T0))).toBe(false);
  expect(dedup.isDuplicate(message(T0, '198.51.100.9'))).toBe(false);
  // Other traffic moves the clock on (a generation turns at T0 + PAIR_WINDOW_MS).
  expect(dedup.isDuplicate(message(T0 + PAIR_WINDOW_MS, '192.0.2.1'))).toBe(false);
  expect(dedup.isDuplicate(security(T0 + PAIR_WINDOW_MS))).toBe(true);
  expect(dedup.isDuplicate(security(T0 + PAIR_WINDOW_MS + 1, '198.51.100.9'))).toBe(false);
});

test('held writings are forgotten a few windows on, by events or by prune', () => {
  const dedup = new StreamDedup();
  for (let i = 0; i < 1000; i++) dedup.isDuplicate(message(T0 + i, `10.0.${i >> 8}.${i & 255}`));
  expect(dedup.size).toBe(1000);
  dedup.prune(T0 + PAIR_WINDOW_MS);
  expect(dedup.size).toBe(1000);
  dedup.prune(T0 + 3 * PAIR_WINDOW_MS);
  expect(dedup.size).toBe(0);
  // The clock never goes back: an old stamp does not bring old generations back to life.
  dedup.isDuplicate(message(T0 + 10 * PAIR_WINDOW_MS));
  dedup.prune(T0);
  expect(dedup.size).toBe(1);
});

test('a flood from one address keeps only its latest writings', () => {
  const dedup = new StreamDedup();
  for (let i = 0; i < 500; i++) dedup.isDuplicate(message(T0));
  expect(dedup.size).toBe(64);
  // Still pairs with those it kept.
  expect(dedup.isDuplicate(security(T0))).toBe(true);
});

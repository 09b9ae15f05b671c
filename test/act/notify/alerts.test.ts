// Alert batching on a manual clock: one mail per interval listing every block, failures retried with backoff.
import { describe, expect, test } from '@jest/globals';
import { AlertBatcher, alertFromDecision, EVIDENCE_LIMIT } from '../../../src/act/notify/alerts.js';
import { ManualClock } from '../../../src/model/clock.js';
import type { PermanentDecision } from '../../../src/model/decision.js';
import type { JournalEntry } from '../../../src/act/journal/entry.js';

const T0 = Date.UTC(2024, 0, 15, 10, 0, 0);
const MIN = 60_000;

function batcher(clock: ManualClock, minutes = 5): AlertBatcher<string> {
  return new AlertBatcher<string>({ clock, minIntervalMs: minutes * MIN });
}

describe('batching', () => {
  test('the first alert goes at once; later ones wait for the interval and go together', () => {
    const clock = new ManualClock(T0);
    const b = batcher(clock);
    expect(b.take()).toBeNull();
    b.add('a');
    const first = b.take();
    expect(first).toMatchObject({ items: ['a'], attempt: 1 });
    expect(b.take()).toBeNull(); // one in flight at a time
    b.delivered(first?.id ?? 0);
    clock.advance(MIN);
    b.add('b');
    clock.advance(MIN);
    b.add('c');
    expect(b.dueAt()).toBe(T0 + 5 * MIN);
    clock.set(T0 + 5 * MIN - 1);
    expect(b.take()).toBeNull();
    clock.set(T0 + 5 * MIN);
    const second = b.take();
    expect(second?.items).toEqual(['b', 'c']);
    b.delivered(second?.id ?? 0);
    expect(b.take()).toBeNull();
    expect(b.dueAt()).toBeNull();
  });

  test('a campaign of 10,000 blocks in 10 minutes sends 3 mails, listing every block once', () => {
    const clock = new ManualClock(T0);
    const b = batcher(clock);
    const mails: string[][] = [];
    for (let i = 0; i < 10_000; i++) {
      clock.set(T0 + Math.floor((i * 10 * MIN) / 10_000));
      b.add(`198.51.${i >> 8}.${i & 255}`);
      const batch = b.take();
      if (batch !== null) {
        mails.push(batch.items);
        b.delivered(batch.id);
      }
    }
    clock.set(T0 + 15 * MIN);
    const last = b.take();
    if (last !== null) mails.push(last.items);
    expect(mails.map((m) => m.length)).toEqual([1, 5000, 4999]);
    expect(new Set(mails.flat()).size).toBe(10_000);
  });

  test('a new interval applies from the next mail', () => {
    const clock = new ManualClock(T0);
    const b = batcher(clock);
    b.add('a');
    b.delivered(b.take()?.id ?? 0);
    b.add('b');
    b.setMinInterval(MIN);
    expect(b.dueAt()).toBe(T0 + MIN);
  });
});

describe('failures', () => {
  test('a failed mail keeps its alerts in front, retried after 30 s, 60 s, 120 s ... capped', () => {
    const clock = new ManualClock(T0);
    const b = new AlertBatcher<string>({ clock, minIntervalMs: 5 * MIN, retryInitialMs: 30_000, retryMaxMs: 4 * MIN });
    b.add('a');
    let batch = b.take();
    expect(b.failed(batch?.id ?? 0)).toBe(T0 + 30_000);
    expect(b.failedAttempts).toBe(1);
    b.add('b');
    clock.advance(29_999);
    expect(b.take()).toBeNull();
    clock.advance(1);
    batch = b.take();
    expect(batch).toMatchObject({ items: ['a', 'b'], attempt: 2 });
    expect(b.failed(batch?.id ?? 0)).toBe(clock.now() + 60_000);
    const delays: number[] = [];
    for (let attempt = 3; attempt <= 6; attempt++) {
      clock.set(b.dueAt() ?? 0);
      const start = clock.now();
      batch = b.take();
      expect(batch?.attempt).toBe(attempt);
      delays.push(b.failed(batch?.id ?? 0) - start);
    }
    expect(delays).toEqual([120_000, 240_000, 240_000, 240_000]);
    expect(b.undelivered()).toEqual(['a', 'b']);
    clock.set(b.dueAt() ?? 0);
    batch = b.take();
    b.add('c');
    expect(b.undelivered()).toEqual(['a', 'b', 'c']);
    b.delivered(batch?.id ?? 0);
    expect(b.failedAttempts).toBe(0);
    expect(b.undelivered()).toEqual(['c']);
    expect(b.dueAt()).toBe(clock.now() + 5 * MIN);
  });

  test('a stale outcome for another batch changes nothing', () => {
    const clock = new ManualClock(T0);
    const b = batcher(clock);
    b.add('a');
    const batch = b.take();
    b.failed((batch?.id ?? 0) + 1);
    b.delivered((batch?.id ?? 0) + 1);
    expect(b.undelivered()).toEqual(['a']);
    expect(b.take()).toBeNull();
  });
});

test('an alert from a permanent decision keeps strikes and at most the newest entries', () => {
  const decision: PermanentDecision = {
    type: 'permanent',
    time: T0,
    target: '198.51.100.7',
    attacker: '198.51.100.7',
    kind: 'register',
    reason: 'more than 10 failed REGISTERs',
    strikes: 3,
    note: 'Blocked permanently ...',
  };
  const entry: JournalEntry = { time: T0, attacker: '198.51.100.7', victim: null, kind: 'register', userAgent: null, user: null, source: 's', rule: 'r' };
  const entries = Array.from({ length: 25 }, (_, i) => ({ ...entry, time: T0 - i }));
  const alert = alertFromDecision(decision, [{ time: T0 - 2 * MIN, reason: 'x' }], { total: 25, entries });
  expect(alert).toMatchObject({ target: '198.51.100.7', reason: 'more than 10 failed REGISTERs', strikes: [{ time: T0 - 2 * MIN, reason: 'x' }] });
  expect(alert.evidence?.total).toBe(25);
  expect(alert.evidence?.entries).toHaveLength(EVIDENCE_LIMIT);
});

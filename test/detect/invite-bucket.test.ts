// The INVITE limiter model: the seed example, and agreement with a brute-force reference.
import { expect, test } from '@jest/globals';
import { InviteBucket } from '../../src/detect/invite-bucket.js';
import { limiterParameters } from '../../src/config/limiter.js';
import type { RateLimitConfig } from '../../src/config/types.js';

const seed: RateLimitConfig = { enabled: true, value: 20, unit: 'minute', burst: 10 };

test('interval = unit / value, and the nft rate uses the same numbers', () => {
  const p = limiterParameters(seed);
  expect(p.intervalMs).toBe(3000);
  expect(p.nftRate).toBe('over 20/minute burst 10 packets');
  expect(limiterParameters({ enabled: true, value: 4, unit: 'second', burst: 2 }).intervalMs).toBe(250);
  expect(limiterParameters({ enabled: true, value: 60, unit: 'hour', burst: 1 }).intervalMs).toBe(60_000);
});

test('seed example: 50 INVITEs at once -> 10 accepted, 40 dropped; then one every 3 s', () => {
  const bucket = new InviteBucket(limiterParameters(seed));
  const results = Array.from({ length: 50 }, () => bucket.offer('198.51.100.8', 0));
  expect(results.filter(Boolean)).toHaveLength(10);
  expect(results.filter((r) => !r)).toHaveLength(40);
  expect(bucket.offer('198.51.100.8', 2999)).toBe(false);
  expect(bucket.offer('198.51.100.8', 3000)).toBe(true);
  expect(bucket.offer('198.51.100.8', 3001)).toBe(false);
  expect(bucket.offer('198.51.100.8', 6000)).toBe(true);
  // Other sources have buckets of their own.
  expect(bucket.offer('203.0.113.9', 6000)).toBe(true);
});

test('an idle source refills to the burst and no further', () => {
  const bucket = new InviteBucket(limiterParameters(seed));
  for (let i = 0; i < 10; i++) bucket.offer('a', 0);
  const later = Array.from({ length: 15 }, () => bucket.offer('a', 3_600_000));
  expect(later.filter(Boolean)).toHaveLength(10);
});

/** A reference written differently: count tokens earned since the start, in whole milliseconds. */
function reference(times: number[], intervalMs: number, burst: number): boolean[] {
  let tokens = burst;
  let last = times[0] ?? 0;
  let credit = 0;
  return times.map((t) => {
    credit += t - last;
    last = t;
    while (credit >= intervalMs && tokens < burst) {
      tokens++;
      credit -= intervalMs;
    }
    if (tokens === burst) credit = 0;
    if (tokens > 0) {
      tokens--;
      return true;
    }
    return false;
  });
}

test('randomized: the model agrees with a brute-force reference', () => {
  let seedState = 12345;
  const random = (): number => {
    seedState = (seedState * 1103515245 + 12345) % 2 ** 31;
    return seedState / 2 ** 31;
  };
  for (let run = 0; run < 200; run++) {
    const value = 1 + Math.floor(random() * 30);
    const burst = 1 + Math.floor(random() * 12);
    const config: RateLimitConfig = { enabled: true, value, unit: 'second', burst };
    const params = limiterParameters(config);
    // Whole-millisecond intervals keep the reference exact.
    if (!Number.isInteger(params.intervalMs)) continue;
    const times: number[] = [];
    let t = 0;
    for (let i = 0; i < 300; i++) {
      t += random() < 0.3 ? 0 : Math.floor(random() * params.intervalMs * 2);
      times.push(t);
    }
    const bucket = new InviteBucket(params);
    const got = times.map((time) => bucket.offer('x', time));
    expect(got).toEqual(reference(times, params.intervalMs, burst));
  }
});

// The idle collector: collects after a large burst once evidence has stopped, and only then.
import { expect, test } from '@jest/globals';
import { IdleCollector } from '../../src/daemon/idle-gc.js';

function counted(burst: number, quietMs: number): { collector: IdleCollector; runs: () => number } {
  let runs = 0;
  const collector = new IdleCollector({ burst, quietMs, collect: () => runs++ });
  return { collector, runs: () => runs };
}

test('a burst followed by quiet is collected, once', () => {
  const { collector, runs } = counted(100, 2000);
  collector.saw(60, 1000);
  collector.saw(60, 1500);
  collector.tick(3000);
  expect(runs()).toBe(0);
  collector.tick(3500);
  expect(runs()).toBe(1);
  // Once per burst.
  collector.tick(10_000);
  expect(runs()).toBe(1);
});

test('no collection while evidence still streams in, nor after a small burst', () => {
  const { collector, runs } = counted(100, 2000);
  for (let t = 0; t < 10_000; t += 500) {
    collector.saw(50, t);
    collector.tick(t);
  }
  expect(runs()).toBe(0);
  const small = counted(100, 2000);
  small.collector.saw(99, 0);
  small.collector.tick(60_000);
  expect(small.runs()).toBe(0);
});

test('large work (a summary over the journal) is collected after like a burst', () => {
  const { collector, runs } = counted(100, 2000);
  collector.sawLargeWork(1000);
  collector.tick(2500);
  expect(runs()).toBe(0);
  collector.tick(3000);
  expect(runs()).toBe(1);
});

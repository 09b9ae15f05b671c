// Saving the daemon's state: coalesced, spaced by what serializing costs, durable when asked.
import { afterEach, beforeEach, expect, jest, test } from '@jest/globals';
import { emptyState, type StateData } from '../../src/store/state.js';
import { StateSaver, type StateTarget } from '../../src/store/state-saver.js';

let clock = 0;
let state: StateData;
let written: string[];
let finals: number;
let failNext: boolean;
let errors: string[];
/** Milliseconds each read of the state "takes" (the fake clock advances by it). */
let cost: number;

const target: StateTarget = {
  async writeText(text) {
    await Promise.resolve();
    if (failNext) {
      failNext = false;
      throw new Error('disk full');
    }
    written.push(text);
  },
  write() {
    finals++;
  },
};

function saver(): StateSaver {
  return new StateSaver({
    target,
    data: () => {
      clock += cost;
      return state;
    },
    clock: () => clock,
    minIntervalMs: 1000,
    maxShare: 0.05,
    onError: (error) => errors.push(error.message),
  });
}

/** Moves both clocks: the saver's and the timers'. */
async function advance(ms: number): Promise<void> {
  clock += ms;
  await jest.advanceTimersByTimeAsync(ms);
}

beforeEach(() => {
  jest.useFakeTimers();
  clock = 0;
  state = emptyState();
  written = [];
  finals = 0;
  failNext = false;
  errors = [];
  cost = 0;
});
afterEach(() => {
  jest.useRealTimers();
});

test('requests made before a save starts share it; the next save waits the minimum interval', async () => {
  const s = saver();
  for (let i = 0; i < 5; i++) s.soon();
  await advance(0);
  expect(written).toHaveLength(1);
  state.deny.push({ target: '203.0.113.9', note: 'n', since: 0, by: 'admin', strikes: 0 });
  s.soon();
  await advance(500);
  expect(written).toHaveLength(1);
  await advance(500);
  expect(written).toHaveLength(2);
  expect(JSON.parse(written[1] ?? '{}').deny).toHaveLength(1);
});

test('a state that takes long to serialize is saved less often, keeping serializing to its share', async () => {
  cost = 200; // 200 ms each time: at 5 %, one save every 4 s
  const s = saver();
  s.soon();
  await advance(0);
  s.soon();
  await advance(3000);
  expect(written).toHaveLength(1);
  await advance(1000);
  expect(written).toHaveLength(2);
  expect(s.lastSave?.serializeMs).toBe(200);
});

test('now() resolves once the state as it is is on disk, without waiting for the interval', async () => {
  const s = saver();
  s.soon();
  await advance(0);
  state.allow.push({ target: '192.0.2.1', note: null, since: 0 });
  await s.now();
  expect(written).toHaveLength(2);
  expect(JSON.parse(written[1] ?? '{}').allow).toHaveLength(1);
});

test('a failed save is reported and the next request saves again', async () => {
  const s = saver();
  failNext = true;
  s.soon();
  await advance(0);
  expect(errors).toEqual(['disk full']);
  s.soon();
  await advance(1000);
  expect(written).toHaveLength(1);
});

test('final() waits for a save in flight, then writes synchronously', async () => {
  const s = saver();
  s.soon();
  await advance(0);
  s.soon();
  await s.final();
  expect(finals).toBe(1);
  await advance(5000);
  expect(written).toHaveLength(1);
});

test('saves asked for at once are written one after another, newest last, never overlapping', async () => {
  let active = 0;
  let overlapped = false;
  const order: string[] = [];
  const slow: StateTarget = {
    async writeText(text) {
      active++;
      if (active > 1) overlapped = true;
      await new Promise((r) => setTimeout(r, 10));
      order.push(text);
      active--;
    },
    write() {
      if (active > 0) overlapped = true;
      finals++;
    },
  };
  const s = new StateSaver({ target: slow, data: () => state, clock: () => clock, minIntervalMs: 1000, maxShare: 0.05, onError: () => undefined });
  const saves: Array<Promise<void>> = [];
  for (const target of ['a', 'b', 'c']) {
    state.allow.push({ target, note: null, since: 0 });
    saves.push(s.now());
  }
  const last = s.final();
  await jest.advanceTimersByTimeAsync(100);
  await Promise.all([...saves, last]);
  expect(overlapped).toBe(false);
  expect(order.map((t) => (JSON.parse(t) as StateData).allow.length)).toEqual([1, 2, 3]);
  expect(finals).toBe(1);
  // After the last save, a hand edit's save is the last one.
  await s.now();
  expect(finals).toBe(1);
});

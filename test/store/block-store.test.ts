// The block store owns every change to blocks: the engine that follows it never drifts from it.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { DetectionEngine } from '../../src/decide/decide.js';
import { validateConfig } from '../../src/config/validate.js';
import { BlockStore } from '../../src/store/block-store.js';
import { emptyState } from '../../src/store/state.js';
import type { BlockChange } from '../../src/model/block-change.js';
import { event, T0 } from '../helpers/events.js';

const ATTACKERS = ['198.51.100.7', '198.51.100.8', '203.0.113.9', '2001:db8:1::5', '2001:db8:2::6'];
/** Block targets: IPv6 attackers are blocked per /64. */
const TARGETS = ['198.51.100.7', '198.51.100.8', '203.0.113.9', '2001:db8:1::/64', '2001:db8:2::/64'];

type Op =
  | { op: 'failures'; who: number; count: number }
  | { op: 'block'; who: number; minutes: number | null }
  | { op: 'unblock'; who: number; forget: boolean }
  | { op: 'allow'; who: number }
  | { op: 'disallow'; who: number }
  | { op: 'wait'; seconds: number };

const who = fc.integer({ min: 0, max: ATTACKERS.length - 1 });
const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('failures' as const), who, count: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ op: fc.constant('block' as const), who, minutes: fc.option(fc.integer({ min: 1, max: 5 })) }),
    fc.record({ op: fc.constant('unblock' as const), who, forget: fc.boolean() }),
    fc.record({ op: fc.constant('allow' as const), who }),
    fc.record({ op: fc.constant('disallow' as const), who }),
    fc.record({ op: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 200 }) }),
  ),
  { maxLength: 60 },
);

function setup(): { engine: DetectionEngine; store: BlockStore; changes: BlockChange[] } {
  const { config, errors } = validateConfig({ register: { maxFailures: 2 }, blocking: { dynamicBlockTime: '2m', threshold: 3 } });
  expect(errors).toEqual([]);
  const engine = new DetectionEngine({ config, hostAddresses: [] });
  const store = new BlockStore(emptyState(), () => config.allowlist);
  const changes: BlockChange[] = [];
  store.follow((change) => {
    changes.push(change);
    engine.follow(change);
  });
  return { engine, store, changes };
}

/** The store's blocks in force at `now`, in the engine's terms. */
function storeView(store: BlockStore, now: number): { dynamic: Map<string, number>; permanent: Set<string> } {
  return {
    dynamic: new Map(store.data.dynamic.filter((d) => d.until > now).map((d) => [d.target, d.until])),
    permanent: new Set(store.data.deny.map((d) => d.target)),
  };
}

/** Runs one operation the way the daemon does: detection decisions and commands both go through the store. */
function run(step: Op, { engine, store }: { engine: DetectionEngine; store: BlockStore }, now: number): number {
  const target = TARGETS[step.op === 'wait' ? 0 : step.who] as string;
  switch (step.op) {
    case 'failures':
      for (let i = 0; i < step.count; i++) store.record(engine.handle(event({ attacker: ATTACKERS[step.who] as string, time: now })).decisions);
      return now;
    case 'block':
      store.blockByHand({ target, now, duration: step.minutes === null ? null : step.minutes * 60_000, note: null });
      return now;
    case 'unblock':
      store.unblock(target, step.forget);
      return now;
    case 'allow':
      store.allow(target, null, now);
      return now;
    case 'disallow':
      store.disallow(target);
      return now;
    case 'wait': {
      const later = now + step.seconds * 1000;
      engine.tick(later);
      store.expire(later);
      return later;
    }
  }
}

describe('one owner of blocks', () => {
  test('after any sequence of detections, commands, allowlist edits and expiries, the engine holds exactly the store’s blocks', () => {
    fc.assert(
      fc.property(ops, (steps) => {
        const world = setup();
        let now = T0;
        for (const step of steps) {
          now = run(step, world, now);
          expect(world.engine.blocksInForce(now)).toEqual(storeView(world.store, now));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('an escalation recorded by the store reaches the engine once, as a permanent block', () => {
    const world = setup();
    let now = T0;
    for (let strike = 0; strike < 3; strike++) {
      now = run({ op: 'failures', who: 0, count: 3 }, world, now);
      now = run({ op: 'wait', seconds: 121 }, world, now);
    }
    expect(world.store.data.deny.map((d) => d.target)).toEqual(['198.51.100.7']);
    expect(world.changes.filter((c) => c.type === 'permanent')).toEqual([{ type: 'permanent', target: '198.51.100.7' }]);
    expect(world.engine.isBlocked('198.51.100.7', now + 86_400_000)).toBe(true);
  });

  test('allowlist changes reach the engine with the config entries included', () => {
    const { config } = validateConfig({ allowlist: ['192.0.2.10'] });
    const store = new BlockStore(emptyState(), () => config.allowlist);
    const seen: BlockChange[] = [];
    store.follow((change) => seen.push(change));
    store.allow('203.0.113.0/24', 'office', T0);
    expect(seen).toEqual([{ type: 'allowlist', entries: ['192.0.2.10', '203.0.113.0/24'] }]);
    expect(store.disallow('198.51.100.1')).toBe(false);
    expect(seen).toHaveLength(1);
  });
});

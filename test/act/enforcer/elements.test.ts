// Batches of blocks applied from the blocks alone give the same changes as the full diff.
import { describe, expect, test } from '@jest/globals';
import { applyDecisions, type DesiredState } from '../../../src/act/enforcer/backend.js';
import { blockDiff, desiredElements, diffElements, HeldElements, type ElementChange } from '../../../src/act/enforcer/elements.js';
import { NFT_INTERVAL_SETS, NFT_LAYOUT } from '../../../src/act/enforcer/nft-structure.js';
import { parseNftListing } from '../../../src/act/enforcer/nft-listing.js';
import type { BlockDecision } from '../../../src/model/decision.js';
import { random } from '../../helpers/random.js';

const NOW = Date.UTC(2025, 0, 1);

function block(target: string, until: number): BlockDecision {
  return { type: 'block', time: NOW, target, attacker: target, kind: 'register', until, reason: '', strikes: 1 };
}

const sorted = (changes: ElementChange[]) => [...changes].sort((a, b) => `${a.set} ${a.value}`.localeCompare(`${b.set} ${b.value}`));

describe('blockDiff', () => {
  test('the same additions and refreshes as a full diff of the state after the batch', () => {
    const next = random(7);
    // Few distinct targets, so batches repeat targets and hit held ones; some text is not canonical or not an address.
    const target = (): string => {
      const n = Math.floor(next() * 40);
      const forms = [
        `198.51.100.${n}`,
        `2001:db8::${n.toString(16)}`,
        `2001:db8:0:${n.toString(16)}::/64`,
        `203.0.${n}.0/24`,
        `2001:DB8:0:${n.toString(16)}::/64`,
        'not an address',
      ];
      return forms[Math.floor(next() * forms.length)] ?? '';
    };
    const until = (): number => NOW + Math.floor((next() - 0.2) * 100_000);
    for (let round = 0; round < 300; round++) {
      const earlier = NOW - 30_000;
      const state: DesiredState = {
        allow: ['192.0.2.0/24'],
        deny: ['203.0.113.9'],
        dynamic: Array.from({ length: 30 }, () => ({ target: target(), until: until() })),
      };
      const held = new HeldElements(desiredElements(state, earlier, NFT_LAYOUT).elements, NFT_INTERVAL_SETS);
      const batch = Array.from({ length: 1 + Math.floor(next() * 30) }, () => block(target(), until()));
      const expected = diffElements(held.live(NOW), desiredElements(applyDecisions(state, batch), NOW, NFT_LAYOUT).elements, 0, NFT_INTERVAL_SETS);
      const before = structuredClone(held.elements);
      const staged = blockDiff(held, batch, NOW, NFT_LAYOUT);
      expect(staged).not.toBeNull();
      const actual = staged?.diff;
      expect(sorted(actual?.add ?? [])).toEqual(sorted(expected.add));
      expect(sorted(actual?.refresh ?? [])).toEqual(sorted(expected.refresh));
      expect([expected.remove, expected.superseded, actual?.remove, actual?.superseded]).toEqual([[], [], [], []]);
      // Staged in the held elements as the kernel will hold them after the batch; undone, as they were
      // (an expired element, absent for the kernel, may be gone).
      expect(held.live(NOW)).toEqual(desiredElements(applyDecisions(state, batch), NOW, NFT_LAYOUT).elements);
      staged?.undo();
      expect(held.live(NOW)).toEqual(new HeldElements(before, NFT_INTERVAL_SETS).live(NOW));
    }
  });

  test('a range of another length than its interval set holds needs the full diff', () => {
    const held = new HeldElements(
      desiredElements({ allow: [], deny: [], dynamic: [{ target: '2001:db8:0:100::/56', until: NOW + 60_000 }] }, NOW, NFT_LAYOUT).elements,
      NFT_INTERVAL_SETS,
    );
    const before = structuredClone(held.elements);
    expect(blockDiff(held, [block('2001:db8::/48', NOW + 60_000)], NOW, NFT_LAYOUT)).toBeNull();
    // Given up part way: what the batch had staged is undone.
    expect(
      blockDiff(held, [block('198.51.100.9', NOW + 60_000), block('2001:db8:0:200::/56', NOW + 60_000), block('2001:db9::/60', NOW + 60_000)], NOW, NFT_LAYOUT),
    ).toBeNull();
    expect(held.elements).toEqual(before);
    // /64s go to the prefix set (a hash set), whatever the interval set holds.
    const diff = blockDiff(held, [block('2001:db8:0:2::/64', NOW + 60_000), block('198.51.100.7', NOW + 60_000)], NOW, NFT_LAYOUT)?.diff;
    expect(diff?.add.map((c) => [c.set, c.value])).toEqual([
      ['blockprefix6', '2001:db8:0:2::'],
      ['block4', '198.51.100.7'],
    ]);
  });

  test('staged changes are held: a repeat adds nothing, a longer block refreshes', () => {
    const held = new HeldElements(new Map(), NFT_INTERVAL_SETS);
    blockDiff(held, [block('198.51.100.7', NOW + 60_000)], NOW, NFT_LAYOUT);
    expect(blockDiff(held, [block('198.51.100.7', NOW + 30_000)], NOW, NFT_LAYOUT)?.diff).toEqual({ add: [], refresh: [], remove: [], superseded: [] });
    expect(blockDiff(held, [block('198.51.100.7', NOW + 90_000)], NOW, NFT_LAYOUT)?.diff.refresh).toEqual([
      { set: 'block4', value: '198.51.100.7', until: NOW + 90_000 },
    ]);
    // Once expired it is gone from the kernel: added again.
    expect(blockDiff(held, [block('198.51.100.7', NOW + 120_000)], NOW + 91_000, NFT_LAYOUT)?.diff.add).toHaveLength(1);
  });

  test('a target blocked again in its own batch is one change with the later expiry', () => {
    const held = new HeldElements(new Map([['block4', new Map([['198.51.100.1', NOW + 10_000]])]]), NFT_INTERVAL_SETS);
    const batch = [
      block('198.51.100.2', NOW + 20_000),
      block('198.51.100.1', NOW + 30_000),
      block('198.51.100.2', NOW + 50_000),
      block('198.51.100.1', NOW + 40_000),
      block('198.51.100.2', NOW + 40_000),
    ];
    const diff = blockDiff(held, batch, NOW, NFT_LAYOUT)?.diff;
    expect(diff?.add).toEqual([{ set: 'block4', value: '198.51.100.2', until: NOW + 50_000 }]);
    expect(diff?.refresh).toEqual([{ set: 'block4', value: '198.51.100.1', until: NOW + 40_000 }]);
  });
});

describe('ruleset listing', () => {
  test('only inet sipwarden counts; the table is missing when the ruleset lacks it', () => {
    const other = { family: 'ip', table: 'filter' };
    const ours = { family: 'inet', table: 'sipwarden' };
    const ruleset = (items: object[]) =>
      JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6' } }, { table: { family: 'ip', name: 'filter' } }, ...items] });
    const withOurs = parseNftListing(
      ruleset([
        { table: { family: 'inet', name: 'sipwarden' } },
        { set: { ...other, name: 'deny4', size: 5 } },
        { set: { ...ours, name: 'deny4', size: 9 } },
        { rule: { ...other, chain: 'prerouting', comment: 'sipwarden ruleset 00000000' } },
        { rule: { ...ours, chain: 'prerouting', comment: 'sipwarden ruleset 12345678' } },
      ]),
      NOW,
    );
    expect([withOurs.table, withOurs.fingerprint, withOurs.chains, withOurs.sets.get('deny4')?.size]).toEqual([true, '12345678', { prerouting: 1 }, 9]);
    const without = parseNftListing(ruleset([{ set: { ...other, name: 'deny4' } }]), NOW);
    expect([without.table, without.sets.size]).toEqual([false, 0]);
  });
});

// The pure nft script builder: the whole table with its elements, and element changes.
import { describe, expect, test } from '@jest/globals';
import { applyDecisions, EMPTY_STATE } from '../../../src/act/enforcer/backend.js';
import { desiredElements, diffElements } from '../../../src/act/enforcer/elements.js';
import { NFT_INTERVAL_SETS, NFT_LAYOUT } from '../../../src/act/enforcer/nft-structure.js';
import { nftChangeScript, nftFullScript } from '../../../src/act/enforcer/nft-script.js';
import { limiterSettings as settings, NOW } from '../../helpers/enforcer.js';

describe('full load', () => {
  test('a full load replaces the table in one script, with remaining time of dynamic blocks', () => {
    const state = {
      allow: ['192.0.2.0/24'],
      deny: ['203.0.113.0/24', '203.0.113.9'],
      dynamic: [
        { target: '198.51.100.7', until: NOW + 90_000 },
        { target: '2001:db8:2::/64', until: NOW + 60_000 },
        { target: '2001:db8:1::/64', until: NOW - 1 },
      ],
    };
    const script = nftFullScript(settings(), desiredElements(state, NOW, NFT_LAYOUT).elements, NOW);
    expect(script.split('\n').slice(0, 3)).toEqual(['table inet sipwarden', 'delete table inet sipwarden', 'table inet sipwarden {']);
    expect(script).toContain('add element inet sipwarden allow4 { 192.0.2.0/24 }');
    expect(script).toContain('add element inet sipwarden denynet4 { 203.0.113.0/24 }');
    expect(script).toContain('add element inet sipwarden deny4 { 203.0.113.9 }');
    expect(script).toContain('add element inet sipwarden block4 { 198.51.100.7 timeout 90000ms }');
    // A prefix set's element is the network address alone.
    expect(script).toContain('add element inet sipwarden blockprefix6 { 2001:db8:2:: timeout 60000ms }');
    expect(script).not.toContain('2001:db8:1::/64');
  });
});

describe('elements', () => {
  test('only validated addresses reach a script; IPv4-mapped is IPv4', () => {
    const { elements, rejected } = desiredElements({ allow: [], deny: ['::ffff:192.0.2.1', 'x; flush ruleset', '999.1.1.1'], dynamic: [] }, NOW, NFT_LAYOUT);
    expect(rejected).toEqual(['x; flush ruleset', '999.1.1.1']);
    expect([...(elements.get('deny4')?.keys() ?? [])]).toEqual(['192.0.2.1']);
  });

  test('decisions: blocks extend, permanent adds to the denylist, unblock removes both', () => {
    const block = (target: string, until: number) => ({
      type: 'block' as const,
      time: NOW,
      target,
      attacker: target,
      kind: 'register' as const,
      until,
      reason: '',
      strikes: 1,
    });
    let state = applyDecisions(EMPTY_STATE, [block('198.51.100.7', NOW + 10), block('198.51.100.7', NOW + 5)]);
    expect(state.dynamic).toEqual([{ target: '198.51.100.7', until: NOW + 10 }]);
    state = applyDecisions(state, [
      { type: 'permanent', time: NOW, target: '198.51.100.7', attacker: 'x', kind: 'register', reason: '', strikes: 3, note: '' },
    ]);
    expect(state.deny).toEqual(['198.51.100.7']);
    state = applyDecisions(state, [{ type: 'unblock', time: NOW, target: '198.51.100.7', reason: '' }]);
    expect(state).toEqual({ allow: [], deny: [], dynamic: [] });
  });

  test('a range covering held elements deletes them first, in the same transaction', () => {
    const before = desiredElements({ allow: [], deny: ['203.0.113.8/29'], dynamic: [] }, NOW, NFT_LAYOUT).elements;
    const after = desiredElements({ allow: [], deny: ['203.0.113.8/29', '203.0.113.0/24'], dynamic: [] }, NOW, NFT_LAYOUT).elements;
    const diff = diffElements(before, after, 0, NFT_INTERVAL_SETS);
    expect(diff.superseded).toEqual([{ set: 'denynet4', value: '203.0.113.8/29', until: null }]);
    expect(nftChangeScript(diff, NOW)).toBe(
      'delete element inet sipwarden denynet4 { 203.0.113.8/29 }\nadd element inet sipwarden denynet4 { 203.0.113.0/24 }\n',
    );
  });

  test('hash-set removals never fail on a missing element; refreshes replace the timeout', () => {
    const before = desiredElements(
      {
        allow: [],
        deny: [],
        dynamic: [
          { target: '198.51.100.7', until: NOW + 60_000 },
          { target: '198.51.100.8', until: NOW + 60_000 },
        ],
      },
      NOW,
      NFT_LAYOUT,
    ).elements;
    const after = desiredElements({ allow: [], deny: [], dynamic: [{ target: '198.51.100.7', until: NOW + 3_600_000 }] }, NOW, NFT_LAYOUT).elements;
    const script = nftChangeScript(diffElements(before, after, 1000, NFT_INTERVAL_SETS), NOW);
    expect(script.split('\n')).toEqual([
      'add element inet sipwarden block4 { 198.51.100.8 timeout 60000ms }',
      'delete element inet sipwarden block4 { 198.51.100.8 }',
      'add element inet sipwarden block4 { 198.51.100.7 timeout 3600000ms }',
      'delete element inet sipwarden block4 { 198.51.100.7 }',
      'add element inet sipwarden block4 { 198.51.100.7 timeout 3600000ms }',
      '',
    ]);
  });

  test("a block with the whole dynamic block time left, give or take 2 s, takes its set's own timeout", () => {
    const held = new Map<string, Map<string, number | null>>();
    const target = new Map<string, Map<string, number | null>>([
      [
        'block4',
        new Map([
          ['198.51.100.1', NOW + 3_600_000],
          ['198.51.100.2', NOW + 3_598_000],
          ['198.51.100.3', NOW + 3_597_999],
          ['198.51.100.4', NOW + 7_200_000],
        ]),
      ],
    ]);
    const script = nftChangeScript(diffElements(held, target, 0, NFT_INTERVAL_SETS), NOW, { setTimeoutMs: 3_600_000 });
    expect(script).toBe('add element inet sipwarden block4 { 198.51.100.1, 198.51.100.2, 198.51.100.3 timeout 3597999ms, 198.51.100.4 timeout 7200000ms }\n');
    // Without the set's timeout known, every element carries its own.
    expect(nftChangeScript(diffElements(held, target, 0, NFT_INTERVAL_SETS), NOW)).toContain('198.51.100.1 timeout 3600000ms,');
  });

  test('many deletions from an interval set rewrite it whole: flushed, and what it keeps added back', () => {
    const hosts = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `203.0.113.${4 * (from + i)}/30`);
    const before = desiredElements({ allow: [], deny: [...hosts(1, 12), '198.51.100.0/24'], dynamic: [] }, NOW, NFT_LAYOUT).elements;
    const script = (deny: string[]) => {
      const after = desiredElements({ allow: [], deny, dynamic: [] }, NOW, NFT_LAYOUT).elements;
      return nftChangeScript(diffElements(before, after, 0, NFT_INTERVAL_SETS), NOW, { contents: (set) => after.get(set) ?? new Map() });
    };
    // Nine deletions: nft 1.0.6 would take time in proportion to the set for each; the rewrite is one pass.
    expect(script([...hosts(1, 3), '198.51.100.0/24', '192.0.2.0/24'])).toBe(
      'flush set inet sipwarden denynet4\nadd element inet sipwarden denynet4 { 198.51.100.0/24, 192.0.2.0/24, 203.0.113.4/30, 203.0.113.8/30, 203.0.113.12/30 }\n',
    );
    // Eight: deleted one by one.
    expect(script([...hosts(1, 4), '198.51.100.0/24'])).toBe(`delete element inet sipwarden denynet4 { ${hosts(5, 12).join(', ')} }\n`);
  });

  test('no change, no script', () => {
    const e = desiredElements({ allow: ['192.0.2.1'], deny: [], dynamic: [] }, NOW, NFT_LAYOUT).elements;
    expect(nftChangeScript(diffElements(e, e, 0, NFT_INTERVAL_SETS), NOW)).toBe('');
  });
});

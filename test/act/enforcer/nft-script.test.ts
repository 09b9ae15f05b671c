// The pure nft script builder: ruleset text, element changes, listings.
import { describe, expect, test } from '@jest/globals';
import { defaultConfig } from '../../../src/config/defaults.js';
import { applyDecisions, enforcerSettings, EMPTY_STATE } from '../../../src/act/enforcer/backend.js';
import { desiredElements, diffElements } from '../../../src/act/enforcer/elements.js';
import {
  NFT_INTERVAL_SETS,
  NFT_LAYOUT,
  listingMatches,
  limiterTimeoutMs,
  nftChangeScript,
  nftFullScript,
  nftLayout,
  nftStructure,
  parseNftListing,
} from '../../../src/act/enforcer/nft-script.js';
import { parseCidr } from '../../../src/model/address.js';

function fail(text: string): never {
  throw new Error(`not a CIDR: ${text}`);
}

const NOW = Date.UTC(2025, 0, 1);

function settings(change: (c: ReturnType<typeof defaultConfig>) => void = () => {}) {
  const c = defaultConfig();
  c.invite.rateLimit = { enabled: true, value: 20, unit: 'minute', burst: 10 };
  change(c);
  return enforcerSettings(c);
}

describe('ruleset', () => {
  test('one table of its own, prerouting at raw priority, allowlist before blocks before the limiter', () => {
    const text = nftStructure(settings()).text;
    expect(text.startsWith('table inet sipwarden {')).toBe(true);
    expect(text).toContain('type filter hook prerouting priority raw; policy accept;');
    const order = ['@allow4 accept', '@deny4 counter', '@block4 counter', 'jump invite'].map((s) => text.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test('the limiter uses limiterParameters(): rate, burst, payload match on the SIP ports, idle timeout', () => {
    const s = settings((c) => (c.sip.ports = [5080, 5060]));
    const text = nftStructure(s).text;
    expect(text).toContain('meta l4proto { tcp, udp } th dport { 5060, 5080 } @ih,0,56 0x494e5649544520 jump invite');
    expect(text).toContain('update @limiter4 { ip saddr limit rate over 20/minute burst 10 packets } goto ratelimit');
    expect(text).toContain('update @limiter6 { ip6 saddr limit rate over 20/minute burst 10 packets } goto ratelimit');
    // A bucket refills in burst x interval = 10 x 3 s; an entry idle that long is forgotten.
    expect(limiterTimeoutMs(s)).toBe(30_000);
    expect(text).toContain('set limiter4 { type ipv4_addr; flags dynamic,timeout; timeout 30000ms; size 1000000; }');
    expect(text).toContain('set episode6 { type ipv6_addr; flags dynamic,timeout; timeout 60000ms; size 1000000; }');
  });

  test('every set declares its size from the config', () => {
    const text = nftStructure(settings((c) => (c.kernel.setSizes = { limiter: 7, blocks: 8, lists: 9 }))).text;
    for (const line of text.split('\n').filter((l) => l.includes('\tset '))) expect(line).toMatch(/size \d+; \}$/);
    expect(text).toContain('set limiter4 { type ipv4_addr; flags dynamic,timeout; timeout 30000ms; size 7; }');
    expect(text).toContain('set blocknet6 { type ipv6_addr; flags interval,timeout; timeout 3600000ms; size 8; }');
    expect(text).toContain('set blockprefix6 { type ipv6_addr; flags timeout; timeout 3600000ms; size 8; }');
    expect(text).toContain('set deny4 { type ipv4_addr; size 9; }');
    expect(text).toContain('set denynet4 { type ipv4_addr; flags interval; size 9; }');
    expect(text).toContain('set denyprefix6 { type ipv6_addr; size 9; }');
  });

  test('IPv6 networks of the grouping prefix are matched in hash sets by masking the source', () => {
    const text = nftStructure(settings()).text;
    expect(text).toContain('ip6 saddr & ffff:ffff:ffff:ffff:: @denyprefix6 counter name "deny_drop" drop');
    expect(text).toContain('ip6 saddr & ffff:ffff:ffff:ffff:: @blockprefix6 counter name "block_drop" drop');
    expect(nftStructure(settings((c) => (c.blocking.ipv6Prefix = 48))).text).toContain('ip6 saddr & ffff:ffff:ffff:: @blockprefix6');
    expect(nftStructure(settings((c) => (c.blocking.ipv6Prefix = 61))).text).toContain('ip6 saddr & ffff:ffff:ffff:fff8:: @blockprefix6');
    // Grouping by /128 is no grouping: hosts go to block6, and there is no prefix set.
    expect(nftStructure(settings((c) => (c.blocking.ipv6Prefix = 128))).text).not.toContain('prefix6');
    const layout = nftLayout(48);
    const choice = (list: 'deny' | 'dynamic', text: string) => layout.choose(list, parseCidr(text) ?? fail(text)).set;
    expect([
      choice('dynamic', '2001:db8::/48'),
      choice('dynamic', '2001:db8::/64'),
      choice('dynamic', '2001:db8::1'),
      choice('deny', '2001:db8::/48'),
      choice('deny', '198.51.100.0/24'),
    ]).toEqual(['blockprefix6', 'blocknet6', 'block6', 'denyprefix6', 'denynet4']);
  });

  test('over-limit packets are logged once per episode with the kernel prefix, or to the NFLOG group', () => {
    expect(nftStructure(settings()).text).toContain('log prefix "sipwarden-ratelimit: " level warn');
    expect(nftStructure(settings()).text).toContain('log prefix "sipwarden-fallback: " level warn');
    const nflog = nftStructure(settings((c) => ((c.kernel.evidence = 'nflog'), (c.kernel.nflogGroup = 42)))).text;
    expect(nflog).toContain('log prefix "sipwarden-ratelimit: " group 42');
  });

  test('no limiter chains when the limiter is off', () => {
    const text = nftStructure(settings((c) => (c.invite.rateLimit.enabled = false))).text;
    expect(text).not.toContain('invite');
    expect(text).not.toContain('limiter4');
  });

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

  test('the fingerprint changes with the settings', () => {
    expect(nftStructure(settings()).fingerprint).not.toBe(nftStructure(settings((c) => (c.sip.ports = [5061]))).fingerprint);
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

describe('listing', () => {
  const structure = nftStructure(settings());
  const listing = JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'inet', name: 'sipwarden' } },
      { set: { name: 'deny4', size: 9, elem: ['192.0.2.1', { prefix: { addr: '203.0.113.0', len: 24 } }] } },
      { set: { name: 'block6', elem: [{ elem: { val: '2001:db8::5', timeout: 60, expires: 42 } }] } },
      { chain: { name: 'prerouting' } },
      { rule: { chain: 'prerouting', comment: `sipwarden ruleset ${structure.fingerprint}` } },
    ],
  });

  test('elements, expiries and the fingerprint are read back', () => {
    const parsed = parseNftListing(listing, NOW);
    expect([...(parsed.sets.get('deny4')?.elements ?? [])]).toEqual([
      ['192.0.2.1', null],
      ['203.0.113.0/24', null],
    ]);
    expect([...(parsed.sets.get('block6')?.elements ?? [])]).toEqual([['2001:db8::5', NOW + 42_000]]);
    expect(parsed.fingerprint).toBe(structure.fingerprint);
    // Chains and sets missing: the table must be rebuilt.
    expect(listingMatches(parsed, structure)).toBe(false);
  });
});

// The nftables table's structure: sets, chains, the limiter, the fingerprint.
import { describe, expect, test } from '@jest/globals';
import { limiterTimeoutMs, nftLayout, nftStructure } from '../../../src/act/enforcer/nft-structure.js';
import { cidr, limiterSettings as settings } from '../../helpers/enforcer.js';

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
    const choice = (list: 'deny' | 'dynamic', text: string) => layout.choose(list, cidr(text)).set;
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

  test('the fingerprint changes with the settings', () => {
    expect(nftStructure(settings()).fingerprint).not.toBe(nftStructure(settings((c) => (c.sip.ports = [5061]))).fingerprint);
  });
});

// Canonical addresses: every written form in, one spelling out; ranges validated.
import { describe, expect, test } from '@jest/globals';
import { blockTarget, canonicalAddress, formatCidr, formatV6Bytes, parseCidr, RangeSet, targetKey } from '../../src/model/address.js';

describe('canonicalAddress', () => {
  test.each([
    ['198.51.100.8', '198.51.100.8'],
    ['2001:DB8::5', '2001:db8::5'],
    ['2001:0db8:0000:0000:0000:0000:0000:0005', '2001:db8::5'],
    ['[2001:db8::5]', '2001:db8::5'],
    ['::ffff:198.51.100.8', '198.51.100.8'],
    ['::FFFF:c633:6408', '198.51.100.8'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::1%eth0', 'fe80::1'],
  ])('%s -> %s', (input, output) => {
    expect(canonicalAddress(input)).toBe(output);
  });

  test.each(['300.1.1.1', '1.2.3', '127.1', '0x7f.0.0.1', 'example.com', '', '2001:db8::5::1', '1.2.3.4:5060'])('rejects %j', (input) => {
    expect(canonicalAddress(input)).toBeNull();
  });
});

describe('parseCidr', () => {
  test('clears host bits and keeps IPv4-mapped ranges IPv4', () => {
    expect(parseCidr('198.51.100.77/24')).toEqual({ family: 4, network: '198.51.100.0', length: 24 });
    expect(parseCidr('2001:db8:bad:1::5/48')).toEqual({ family: 6, network: '2001:db8:bad::', length: 48 });
    expect(parseCidr('::ffff:192.0.2.0/120')).toEqual({ family: 4, network: '192.0.2.0', length: 24 });
    expect(formatCidr(parseCidr('192.0.2.1')!)).toBe('192.0.2.1');
  });
  test.each(['1.2.3.4/40', '2001:db8::/129', '1.2.3.4/', '1.2.3.4/-1', '1.2.3.4/2a'])('rejects %j', (input) => {
    expect(parseCidr(input)).toBeNull();
  });
});

test('blockTarget groups IPv6 by prefix and leaves IPv4 whole', () => {
  expect(blockTarget('198.51.100.8', 64)).toBe('198.51.100.8');
  expect(blockTarget('2001:db8:1:2:3:4:5:6', 64)).toBe('2001:db8:1:2::/64');
  expect(blockTarget('2001:db8:1:2:3:4:5:6', 128)).toBe('2001:db8:1:2:3:4:5:6');
});

test('blockTarget answers the same when asked again, whatever prefix was asked in between', () => {
  expect(blockTarget('2001:db8:1:2:3:4:5:6', 48)).toBe('2001:db8:1::/48');
  expect(blockTarget('2001:db8:1:2:3:4:5:6', 64)).toBe('2001:db8:1:2::/64');
  expect(blockTarget('2001:db8:1:2:3:4:5:6', 64)).toBe('2001:db8:1:2::/64');
  expect(blockTarget('2001:db8:1:2:3:4:5:6', 48)).toBe('2001:db8:1::/48');
});

test('RangeSet answers membership and overlap', () => {
  const set = new RangeSet(['198.51.100.0/24', '2001:db8:1::/48', '192.0.2.10'].map((t) => parseCidr(t)!));
  expect(set.contains('198.51.100.200')).toBe(true);
  expect(set.contains('198.51.101.1')).toBe(false);
  expect(set.contains('2001:db8:1:ffff::1')).toBe(true);
  expect(set.contains('192.0.2.10')).toBe(true);
  expect(set.overlaps(parseCidr('192.0.2.0/24')!)).toBe(true);
  expect(set.overlaps(parseCidr('2001:db8::/32')!)).toBe(true);
  expect(set.overlaps(parseCidr('203.0.113.0/24')!)).toBe(false);
});

test('the fast IPv6 byte paths agree with ipaddr.js on canonical text', async () => {
  const { canonicalV6Bytes, formatV6Bytes } = await import('../../src/model/address.js');
  const ipaddr = (await import('ipaddr.js')).default;
  let seed = 7;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  for (let n = 0; n < 2000; n++) {
    // Many zero groups, so every placement of the longest zero run is exercised.
    const parts: number[] = Array.from({ length: 8 }, () => (next() % 3 === 0 ? next() % 65536 : 0));
    if (!parts.some((p) => p !== 0xffff && p !== 0)) parts[0] = 0x2001;
    const ip = new ipaddr.IPv6(parts);
    if (ip.isIPv4MappedAddress()) continue;
    const text = ip.toRFC5952String();
    expect(formatV6Bytes(canonicalV6Bytes(text))).toBe(text);
    expect([...canonicalV6Bytes(text)]).toEqual(ip.toByteArray());
  }
});

describe('targetKey', () => {
  test('an IPv4 host is its 32 bits as an int32', () => {
    expect(targetKey('0.0.0.0')).toBe(0);
    expect(targetKey('198.51.100.8')).toBe((198 << 24) | (51 << 16) | (100 << 8) | 8);
    expect(targetKey('255.255.255.255')).toBe(-1);
    expect(targetKey('127.255.255.255')).toBe(0x7fffffff);
  });

  test('an IPv6 /64 is one short string; the prefix length is part of the key', () => {
    const key = targetKey('2001:db8:1:2::/64');
    expect(typeof key).toBe('string');
    expect(key).toHaveLength(5);
    expect(targetKey('2001:db8:1:200::/56')).not.toBe(targetKey('2001:db8:1:200::/64'));
    expect(targetKey('2001:db8::/32')).not.toBe(targetKey('2001:db8::/48'));
    // Ranges of either family never meet: the last character carries the family.
    expect(targetKey('198.51.100.0/24')).not.toBe(targetKey('c633:6400::/24'));
    expect(targetKey('198.51.100.0/32')).not.toBe(targetKey('198.51.100.0'));
  });

  test('distinct targets get distinct keys, equal targets equal keys', () => {
    // xorshift32: every bit varies, so small moduli below still spread.
    let seed = 0x2545f491;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const byKey = new Map<number | string, string>();
    const texts = new Set<string>();
    for (let n = 0; n < 5000; n++) {
      const v4 = `${next() % 256}.${next() % 4}.${next() % 256}.${next() % 3}`;
      const bytes = Uint8Array.from({ length: 16 }, (_, i) => (i < 2 ? ([0x20, 0x01][i] as number) : next() % 3 === 0 ? next() % 256 : 0));
      const v6 = formatV6Bytes(bytes);
      const prefix = [48, 56, 64, 128][next() % 4] as number;
      for (const target of [blockTarget(v4, prefix), blockTarget(v6, prefix), formatCidr(parseCidr(`${v4}/${[8, 24, 32][next() % 3] as number}`)!)]) {
        texts.add(target);
        const key = targetKey(target);
        const seen = byKey.get(key);
        if (seen === undefined) byKey.set(key, target);
        else expect(seen).toBe(target);
      }
    }
    expect(byKey.size).toBe(texts.size);
    expect(byKey.size).toBeGreaterThan(8000);
  });
});

test('canonicalAddress agrees with ipaddr.js on every written IPv6 form, odd ones included', async () => {
  const ipaddr = (await import('ipaddr.js')).default;
  const reference = (text: string): string | null => {
    if (!ipaddr.IPv6.isValid(text)) return null;
    const ip = ipaddr.IPv6.parse(text);
    return ip.isIPv4MappedAddress() ? ip.toIPv4Address().toString() : ip.toRFC5952String();
  };
  let seed = 11;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  const spell = (value: number): string => {
    const hex = value.toString(16);
    const padded = next() % 4 === 0 ? hex.padStart(4, '0') : hex;
    return next() % 5 === 0 ? padded.toUpperCase() : padded;
  };
  for (let n = 0; n < 5000; n++) {
    const parts: number[] = Array.from({ length: 8 }, () => (next() % 3 === 0 ? next() % 65536 : 0));
    if (next() % 10 === 0) parts.splice(0, 6, 0, 0, 0, 0, 0, 0xffff);
    let text = parts.map(spell).join(':');
    // Compress some run of groups (zero or not: a wrong `::` must be rejected as ipaddr.js does).
    if (next() % 2 === 0) {
      const from = next() % 8;
      const to = Math.min(8, from + (next() % 4));
      const groups = text.split(':');
      text = `${groups.slice(0, from).join(':')}::${groups.slice(to).join(':')}`;
    }
    if (next() % 50 === 0) text = text.replace(/:/, ':::');
    if (next() % 50 === 0) text = `${text}:`;
    expect([text, canonicalAddress(text)]).toEqual([text, reference(text)]);
  }
});

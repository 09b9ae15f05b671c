// Ranges without ipaddr.js: the same answers as parseCidr for every text, and covering ranges by prefix.
import { describe, expect, test } from '@jest/globals';
import ipaddr from 'ipaddr.js';
import { formatCidr, parseCidr, type Cidr } from '../../../src/model/address.js';
import { PrefixIndex, rangeOf } from '../../../src/act/enforcer/ranges.js';
import { random } from '../../helpers/random.js';

/** What rangeOf must give: parseCidr's range and formatCidr's text. */
function expected(text: string): { cidr: Cidr; text: string } | null {
  const cidr = parseCidr(text);
  return cidr === null ? null : { cidr, text: formatCidr(cidr) };
}

function actual(text: string): { cidr: Cidr; text: string } | null {
  const range = rangeOf(text);
  return range === null ? null : { cidr: range.cidr, text: range.text };
}

/** The texts on which rangeOf and parseCidr disagree (compared in bulk: there are hundreds of thousands). */
function disagreements(texts: Iterable<string>): string[] {
  const out: string[] = [];
  for (const text of texts) if (JSON.stringify(actual(text)) !== JSON.stringify(expected(text))) out.push(text);
  return out;
}

/** Eight groups, mostly zero or small, so zero runs of every length and position come up. */
function groups(next: () => number): number[] {
  return Array.from({ length: 8 }, () => {
    const r = next();
    return r < 0.45 ? 0 : r < 0.6 ? 0xffff : r < 0.8 ? Math.floor(next() * 16) : Math.floor(next() * 65536);
  });
}

/** Ways of writing the same address: canonical, full, uncompressed, upper case, leading zeros, another run compressed. */
function spellings(parts: number[]): string[] {
  const canonical = ipaddr.fromByteArray(parts.flatMap((g) => [g >> 8, g & 255])).toString();
  const full = parts.map((g) => g.toString(16).padStart(4, '0')).join(':');
  const plain = parts.map((g) => g.toString(16)).join(':');
  const out = [canonical, full, plain, canonical.toUpperCase(), `${canonical}%eth0`, `[${canonical}]`, ` ${canonical}`];
  // Compress each run of zeros in turn (also single zeros and runs that are not the longest).
  for (let start = 0; start < 8; start++) {
    for (let stop = start + 1; stop <= 8 && parts[stop - 1] === 0; stop++) {
      out.push(
        `${parts
          .slice(0, start)
          .map((g) => g.toString(16))
          .join(':')}::${parts
          .slice(stop)
          .map((g) => g.toString(16))
          .join(':')}`,
      );
    }
  }
  return out;
}

describe('rangeOf gives what parseCidr and formatCidr give', () => {
  test('IPv6 addresses and networks, written every way', () => {
    const next = random(1);
    const texts: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const parts = groups(next);
      const lengths = ['', '/0', '/1', '/48', '/64', '/127', '/128', '/129', '/064', `/${Math.floor(next() * 129)}`];
      for (const spelling of spellings(parts)) for (const length of lengths) texts.push(spelling + length);
    }
    expect(disagreements(texts)).toEqual([]);
  });

  test('IPv4 addresses and networks, IPv4-mapped IPv6, and text that is no address', () => {
    const next = random(2);
    const texts = [
      '::',
      '::1',
      '1::',
      '::ffff:192.0.2.1',
      '::ffff:c000:201',
      '::ffff:c000:201/120',
      '::ffff:0:0/96',
      '::fffe:c000:201',
      ':',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:',
      ':1',
      '1::2:',
      '12345::',
      'g::',
      '',
    ];
    texts.push(
      '0.0.0.0',
      '255.255.255.255',
      '256.1.1.1',
      '01.2.3.4',
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.4/',
      '1.2.3.4/33',
      '1.2.3.4/032',
      '10.0.0.0/8',
      '10.1.2.3/8',
      'x; flush ruleset',
    );
    for (let i = 0; i < 3000; i++) {
      const quad = Array.from({ length: 4 }, () => Math.floor(next() * 256)).join('.');
      texts.push(quad, `${quad}/${Math.floor(next() * 33)}`, `${quad}/32`);
    }
    expect(disagreements(texts)).toEqual([]);
  });
});

describe('PrefixIndex', () => {
  function covers(outer: Cidr, inner: Cidr): boolean {
    if (outer.family !== inner.family || outer.length > inner.length) return false;
    return parseCidr(`${inner.network}/${outer.length}`)?.network === outer.network;
  }

  test('finds a held range covering a given one exactly when one does', () => {
    const next = random(3);
    const pick = (): string => {
      const v6 = next() < 0.5;
      const base = v6
        ? `2001:db8:${Math.floor(next() * 4).toString(16)}:${Math.floor(next() * 4).toString(16)}::`
        : `10.0.${Math.floor(next() * 4)}.${Math.floor(next() * 8)}`;
      const lengths = v6 ? [32, 47, 48, 50, 63, 64, 128] : [8, 22, 23, 24, 29, 30, 31, 32];
      return `${base}/${lengths[Math.floor(next() * lengths.length)] ?? 32}`;
    };
    for (let round = 0; round < 50; round++) {
      const held = Array.from({ length: 20 }, () => rangeOf(pick())).flatMap((r) => (r === null ? [] : [r]));
      const index = new PrefixIndex<string>();
      for (const range of held) index.add(range, range.text);
      for (let i = 0; i < 100; i++) {
        const probe = rangeOf(pick());
        if (probe === null) continue;
        const found = index.covering(probe);
        expect([probe.text, found !== undefined]).toEqual([probe.text, held.some((h) => covers(h.cidr, probe.cidr))]);
        if (found !== undefined) expect(covers(rangeOf(found)?.cidr ?? probe.cidr, probe.cidr)).toBe(true);
      }
    }
  });
});

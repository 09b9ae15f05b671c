// Pure: element texts -> validated ranges, and which ranges of a set cover which.
//
// Every apply and reconcile turns up to a million targets and listed elements into ranges. Most of
// that text is canonical already (block targets come from `blockTarget`, listings from the kernel's
// inet_ntop), so it is recognised on sight: the text is parsed into bits and accepted only when the
// bits print back as exactly that text. Anything else goes to `parseCidr` (ipaddr.js), the one place
// raw address text is validated; both ways give the same Cidr.
import { formatCidr, parseCidr, type Cidr } from '../../model/address.js';

/** A valid range and its element text. */
export interface Range {
  cidr: Cidr;
  /** The range as an element: bare address for a host range, else `net/len` (`formatCidr`). */
  text: string;
  /** The network's bits as hex digits (8 for IPv4, 32 for IPv6); worked out on first use. */
  bits: string | null;
}

const DOTTED = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEX_COLON = /^[0-9a-f:]{2,39}$/;
const LENGTH = /^\d{1,3}$/;

/** The 32 bits of a dotted quad already matched by DOTTED. */
function ipv4Bits(text: string): number {
  const [a, b, c, d] = text.split('.').map(Number);
  return (((a ?? 0) << 24) | ((b ?? 0) << 16) | ((c ?? 0) << 8) | (d ?? 0)) >>> 0;
}

function ipv4Text(bits: number): string {
  return `${bits >>> 24}.${(bits >>> 16) & 255}.${(bits >>> 8) & 255}.${bits & 255}`;
}

/** The eight 16-bit groups of hex-colon IPv6 text (at most one `::`, no dotted tail), or null. */
function ipv6Groups(text: string): number[] | null {
  const gap = text.indexOf('::');
  if (gap >= 0 && text.indexOf('::', gap + 1) >= 0) return null;
  const head = gap < 0 ? text : text.slice(0, gap);
  const tail = gap < 0 ? '' : text.slice(gap + 2);
  const before = head === '' ? [] : head.split(':');
  const after = tail === '' ? [] : tail.split(':');
  const missing = 8 - before.length - after.length;
  if (gap < 0 ? missing !== 0 : missing < 1) return null;
  const groups: number[] = [];
  for (const part of before) groups.push(part.length >= 1 && part.length <= 4 ? parseInt(part, 16) : NaN);
  for (let i = 0; i < missing; i++) groups.push(0);
  for (const part of after) groups.push(part.length >= 1 && part.length <= 4 ? parseInt(part, 16) : NaN);
  return groups.every((g) => !Number.isNaN(g)) ? groups : null;
}

/** RFC 5952 text of eight groups, as ipaddr.js prints it: the longest run of two or more zero groups (the first of equals) becomes `::`. */
function ipv6Text(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Clears the bits of `groups` past `length`. */
function maskGroups(groups: readonly number[], length: number): number[] {
  return groups.map((g, i) => {
    const keep = Math.min(16, Math.max(0, length - 16 * i));
    return keep === 16 ? g : g & (0xffff << (16 - keep)) & 0xffff;
  });
}

/** A Cidr from canonical text without ipaddr.js, or null when the text is not plainly canonical. */
function canonicalCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const lengthText = slash < 0 ? null : text.slice(slash + 1);
  if (lengthText !== null && !LENGTH.test(lengthText)) return null;
  if (DOTTED.test(address)) {
    const length = lengthText === null ? 32 : Number(lengthText);
    if (length > 32) return null;
    const bits = ipv4Bits(address);
    const network = length === 0 ? 0 : (bits & (0xffffffff << (32 - length))) >>> 0;
    return { family: 4, network: network === bits ? address : ipv4Text(network), length };
  }
  if (!HEX_COLON.test(address)) return null;
  const groups = ipv6Groups(address);
  // IPv4-mapped addresses become IPv4 in parseCidr; non-canonical text is left to it too.
  if (groups === null || (groups[5] === 0xffff && groups.slice(0, 5).every((g) => g === 0)) || ipv6Text(groups) !== address) return null;
  const length = lengthText === null ? 128 : Number(lengthText);
  if (length > 128) return null;
  const masked = maskGroups(groups, length);
  return { family: 6, network: masked.every((g, i) => g === groups[i]) ? address : ipv6Text(masked), length };
}

const cache = new Map<string, Range | null>();
const CACHE_LIMIT = 1 << 21;

/** The range a target or element text names, or null when it is not a valid address or CIDR; remembered,
 * since the same blocks come back on every apply and reconcile. */
export function rangeOf(text: string): Range | null {
  let hit = cache.get(text);
  if (hit === undefined) {
    const cidr = canonicalCidr(text) ?? parseCidr(text);
    hit = cidr === null ? null : { cidr, text: formatCidr(cidr), bits: null };
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(text, hit);
  }
  return hit;
}

/** The network's bits of a range as hex digits, worked out once. */
function bitsOf(range: Range): string {
  if (range.bits === null) {
    const { family, network } = range.cidr;
    range.bits =
      family === 4
        ? ipv4Bits(network).toString(16).padStart(8, '0')
        : (ipv6Groups(network) ?? []).map((g) => g.toString(16).padStart(4, '0')).join('');
  }
  return range.bits;
}

/** The first `length` bits of a range's network, as a map key. */
function prefixKey(range: Range, length: number): string {
  const bits = bitsOf(range);
  const whole = bits.slice(0, length >> 2);
  const rest = length & 3;
  if (rest === 0) return whole;
  const nibble = parseInt(bits[length >> 2] ?? '0', 16) & (0xf0 >> rest) & 0xf;
  return whole + nibble.toString(16);
}

/**
 * Ranges of one set by prefix: which held range covers a given one is a lookup per prefix length held
 * (a handful), not a comparison with every range.
 */
export class PrefixIndex<T> {
  /** Family and length (`4/24`) -> network prefix bits -> value. */
  private readonly byLength = new Map<string, { family: 4 | 6; length: number; nets: Map<string, T> }>();

  add(range: Range, value: T): void {
    const name = `${range.cidr.family}/${range.cidr.length}`;
    let level = this.byLength.get(name);
    if (level === undefined) {
      level = { family: range.cidr.family, length: range.cidr.length, nets: new Map() };
      this.byLength.set(name, level);
    }
    level.nets.set(prefixKey(range, range.cidr.length), value);
  }

  /** The value of a held range that covers `range` (equal to it or wider), if any. */
  covering(range: Range): T | undefined {
    for (const { family, length, nets } of this.byLength.values()) {
      if (family !== range.cidr.family || length > range.cidr.length) continue;
      const found = nets.get(prefixKey(range, length));
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

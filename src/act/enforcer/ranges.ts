// Pure: element texts -> validated ranges, and which ranges of a set cover which.
//
// Every apply and reconcile turns up to a million targets and listed elements into ranges. Most of
// that text is canonical already (block targets come from `blockTarget`, listings from the kernel's
// inet_ntop), so it is recognised on sight, with a character scan that allocates nothing: accepted
// only when it is exactly what ipaddr.js would print. Anything else goes to `parseCidr` (ipaddr.js),
// the one place raw address text is validated; both ways give the same Cidr.
import { dottedQuadBits, formatCidr, parseCidr, type Cidr } from '../../model/address.js';

/** A valid range and its element text. */
export interface Range {
  cidr: Cidr;
  /** The range as an element: bare address for a host range, else `net/len` (`formatCidr`). */
  text: string;
  /** The network's bits as hex digits (8 for IPv4, 32 for IPv6); worked out on first use. */
  bits: string | null;
}

const DOTTED = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const LENGTH = /^(?:0|[1-9]\d{0,2})$/;

/** The 32 bits of a dotted quad already matched by DOTTED, unsigned. */
function ipv4Bits(text: string): number {
  return dottedQuadBits(text) >>> 0;
}

function ipv4Text(bits: number): string {
  return `${bits >>> 24}.${(bits >>> 16) & 255}.${(bits >>> 8) & 255}.${bits & 255}`;
}

/** Scratch space of the IPv6 reader: eight 16-bit groups, reused so that reading allocates nothing. */
const GROUPS = new Uint16Array(8);

/** A lowercase hex digit's value, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  return c >= 97 && c <= 102 ? c - 87 : -1;
}

/**
 * Reads `text` into GROUPS when it is IPv6 exactly as ipaddr.js prints it (RFC 5952: lowercase hex, no
 * leading zeros, the leftmost longest run of two or more zero groups written `::`, nothing else
 * compressed, no dotted tail); false for any other text, which is then left to parseCidr.
 */
function readCanonicalIpv6(text: string): boolean {
  const end = text.length;
  let count = 0;
  let gap = -1;
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    const first = i;
    let value = 0;
    for (let d = hexValue(text.charCodeAt(i)); d >= 0 && i - first < 5; d = hexValue(text.charCodeAt(i))) {
      value = value * 16 + d;
      i++;
    }
    const digits = i - first;
    if (digits === 0 || digits > 4 || (digits > 1 && text.charCodeAt(first) === 48) || count === 8) return false;
    GROUPS[count++] = value;
    if (i === end) break;
    // A group ends at `:` (then another group) or `::` (then the gap, and maybe more groups).
    if (text.charCodeAt(i) !== 58 || i + 1 === end) return false;
    i++;
    if (text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    }
  }
  const missing = 8 - count;
  if (gap < 0 ? missing !== 0 : missing < 2) return false;
  if (gap >= 0) {
    GROUPS.copyWithin(gap + missing, gap, count);
    GROUPS.fill(0, gap, gap + missing);
  }
  // The gap must be the run ipaddr.js compresses; without a gap, there must be no run to compress.
  const [best, bestLength] = zeroRun();
  return gap >= 0 ? best === gap && bestLength === missing : best < 0;
}

/** Whether GROUPS hold an IPv4-mapped address (`::ffff:0:0/96`), which parseCidr reads as IPv4. */
function mappedIpv4(): boolean {
  return GROUPS[5] === 0xffff && GROUPS[0] === 0 && GROUPS[1] === 0 && GROUPS[2] === 0 && GROUPS[3] === 0 && GROUPS[4] === 0;
}

/** The run of GROUPS written `::`: the leftmost longest run of two or more zero groups, as [start, length]; start -1 when none. */
function zeroRun(): [number, number] {
  let best = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let stop = start;
    while (stop < 8 && GROUPS[stop] === 0) stop++;
    if (stop - start > bestLength) [best, bestLength] = [start, stop - start];
    start = stop;
  }
  return [best, bestLength];
}

/** RFC 5952 text of GROUPS (as ipaddr.js prints it). */
function ipv6Text(): string {
  const [best, bestLength] = zeroRun();
  const hex = [...GROUPS].map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

/** Clears the bits of GROUPS past `length`; true when any was set. */
function maskGroups(length: number): boolean {
  let changed = false;
  for (let i = 0; i < 8; i++) {
    const keep = Math.min(16, Math.max(0, length - 16 * i));
    const masked = keep === 16 ? GROUPS[i] ?? 0 : (GROUPS[i] ?? 0) & (0xffff << (16 - keep)) & 0xffff;
    if (masked !== GROUPS[i]) changed = true;
    GROUPS[i] = masked;
  }
  return changed;
}

/**
 * A range from canonical text without ipaddr.js, or null when the text is not plainly canonical;
 * written into `into` when given, so a pass over a million targets allocates no range for each.
 */
function canonicalRange(text: string, into?: Range): Range | null {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const lengthText = slash < 0 ? null : text.slice(slash + 1);
  if (lengthText !== null && !LENGTH.test(lengthText)) return null;
  let family: 4 | 6;
  let network = address;
  if (DOTTED.test(address)) {
    family = 4;
    const length = lengthText === null ? 32 : Number(lengthText);
    if (length > 32) return null;
    if (length < 32) {
      const bits = ipv4Bits(address);
      const masked = length === 0 ? 0 : (bits & (0xffffffff << (32 - length))) >>> 0;
      if (masked !== bits) network = ipv4Text(masked);
    }
  } else if (readCanonicalIpv6(address) && !mappedIpv4()) {
    family = 6;
    if (lengthText !== null && Number(lengthText) > 128) return null;
    if (lengthText !== null && maskGroups(Number(lengthText))) network = ipv6Text();
  } else {
    return null;
  }
  const max = family === 4 ? 32 : 128;
  const length = lengthText === null ? max : Number(lengthText);
  // The element text is the input itself unless masking or a redundant `/32`, `/128` changed it.
  const same = network === address && length < max;
  const element = lengthText === null ? address : same ? text : formatCidr({ family, network, length });
  if (into === undefined) return { cidr: { family, network, length }, text: element, bits: null };
  into.cidr.family = family;
  into.cidr.network = network;
  into.cidr.length = length;
  into.text = element;
  into.bits = null;
  return into;
}

/** Ranges parsed by parseCidr (ipaddr.js): text that is not canonical, remembered since that parse is slow. */
const cache = new Map<string, Range | null>();
const CACHE_LIMIT = 1 << 16;

/** The range a target or element text names, or null when it is not a valid address or CIDR. */
export function rangeOf(text: string): Range | null {
  // Canonical text reads about as fast as a cache lookup, and needs no cache.
  const fast = canonicalRange(text);
  if (fast !== null) return fast;
  let hit = cache.get(text);
  if (hit === undefined) {
    const cidr = parseCidr(text);
    hit = cidr === null ? null : { cidr, text: formatCidr(cidr), bits: null };
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(text, hit);
  }
  return hit;
}

const SCRATCH: Range = { cidr: { family: 4, network: '0.0.0.0', length: 0 }, text: '', bits: null };

/**
 * `rangeOf` for a pass that reads each range at once and keeps nothing of it but strings: the range
 * of canonical text is written into one reused object, valid until the next call.
 */
export function peekRange(text: string): Range | null {
  return canonicalRange(text, SCRATCH) ?? rangeOf(text);
}

/** The bits of a canonical IPv6 network (ipaddr.js prints every family-6 network so) as 32 hex digits. */
function hexGroups(network: string): string {
  if (!readCanonicalIpv6(network)) throw new Error(`not a canonical IPv6 network: ${network}`);
  return [...GROUPS].map((g) => g.toString(16).padStart(4, '0')).join('');
}

/** The network's bits of a range as hex digits, worked out once. */
function bitsOf(range: Range): string {
  if (range.bits === null) {
    const { family, network } = range.cidr;
    range.bits =
      family === 4
        ? ipv4Bits(network).toString(16).padStart(8, '0')
        : hexGroups(network);
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

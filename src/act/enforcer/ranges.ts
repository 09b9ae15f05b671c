// Pure: element texts -> validated ranges, and which ranges of a set cover which.
//
// Every apply and reconcile turns up to a million targets and listed elements into ranges. Most of
// that text is canonical already (block targets come from `blockTarget`, listings from the kernel's
// inet_ntop), so it is recognised on sight, with a character scan that allocates nothing: accepted
// only when it is exactly what ipaddr.js would print. Anything else goes to `parseCidr` (ipaddr.js),
// the one place raw address text is validated; both ways give the same Cidr.
import { DOTTED_QUAD, dottedQuadBits, formatCidr, formatV6Groups, parseCidr, zeroRunOf, type Cidr } from '../../model/address.js';

/** A valid range and its element text. */
export interface Range {
  cidr: Cidr;
  /** The range as an element: bare address for a host range, else `net/len` (`formatCidr`). */
  text: string;
  /** The network's bits as hex digits (8 for IPv4, 32 for IPv6); worked out on first use. */
  bits: string | null;
}

/** The 32 bits of a dotted quad already matched by DOTTED_QUAD, unsigned. */
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
 * Reads `text` up to `end` into GROUPS when it is IPv6 exactly as ipaddr.js prints it (RFC 5952:
 * lowercase hex, no leading zeros, the leftmost longest run of two or more zero groups written `::`,
 * nothing else compressed, no dotted tail); false for any other text, which is then left to parseCidr.
 */
function readCanonicalIpv6(text: string, end = text.length): boolean {
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
    for (let d = hexValue(text.charCodeAt(i)); d >= 0 && i < end && i - first < 5; d = hexValue(text.charCodeAt(i))) {
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
    // The groups after the gap move to the end; the gap becomes zeros.
    for (let k = count - 1; k >= gap; k--) GROUPS[k + missing] = GROUPS[k] ?? 0;
    for (let k = gap; k < gap + missing; k++) GROUPS[k] = 0;
  }
  // The gap must be the run ipaddr.js compresses; without a gap, there must be no run to compress.
  const run = zeroRunOf(GROUPS);
  return gap >= 0 ? run === gap * 16 + missing : run < 0;
}

/** Whether GROUPS hold an IPv4-mapped address (`::ffff:0:0/96`), which parseCidr reads as IPv4. */
function mappedIpv4(): boolean {
  return GROUPS[5] === 0xffff && GROUPS[0] === 0 && GROUPS[1] === 0 && GROUPS[2] === 0 && GROUPS[3] === 0 && GROUPS[4] === 0;
}

/** Clears the bits of GROUPS past `length`; true when any was set. */
function maskGroups(length: number): boolean {
  let changed = false;
  for (let i = length >> 4; i < 8; i++) {
    const keep = length - 16 * i;
    const value = GROUPS[i] ?? 0;
    const masked = keep <= 0 ? 0 : value & (0xffff << (16 - keep)) & 0xffff;
    if (masked !== value) {
      changed = true;
      GROUPS[i] = masked;
    }
  }
  return changed;
}

/** The prefix length written from `start` to the end of `text` (`0`, or 1 to 3 digits without a leading zero), or -1. */
function readLength(text: string, start: number): number {
  const digits = text.length - start;
  if (digits < 1 || digits > 3 || (digits > 1 && text.charCodeAt(start) === 48)) return -1;
  let value = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + c - 48;
  }
  return value;
}

/**
 * A range from canonical text without ipaddr.js, or null when the text is not plainly canonical;
 * written into `into` when given, so a pass over a million targets allocates no range for each.
 */
function canonicalRange(text: string, into?: Range): Range | null {
  const slash = text.indexOf('/');
  const end = slash < 0 ? text.length : slash;
  const written = slash < 0 ? -1 : readLength(text, slash + 1);
  if (slash >= 0 && written < 0) return null;
  let family: 4 | 6;
  let address: string;
  let network: string;
  let length: number;
  // A colon in the first five characters (`2001:`, `::`) is IPv6; no dotted quad has one.
  const colon = text.indexOf(':');
  if (colon < 0 || colon > 4) {
    address = slash < 0 ? text : text.slice(0, slash);
    if (!DOTTED_QUAD.test(address)) return null;
    family = 4;
    length = slash < 0 ? 32 : written;
    if (length > 32) return null;
    network = address;
    if (length < 32) {
      const bits = ipv4Bits(address);
      const masked = length === 0 ? 0 : (bits & (0xffffffff << (32 - length))) >>> 0;
      if (masked !== bits) network = ipv4Text(masked);
    }
  } else {
    if (!readCanonicalIpv6(text, end) || mappedIpv4()) return null;
    family = 6;
    length = slash < 0 ? 128 : written;
    if (length > 128) return null;
    address = slash < 0 ? text : text.slice(0, slash);
    network = slash >= 0 && maskGroups(length) ? formatV6Groups(GROUPS) : address;
  }
  const max = family === 4 ? 32 : 128;
  // The element text is the input itself unless masking or a redundant `/32`, `/128` changed it.
  const same = network === address && length < max;
  const element = slash < 0 ? address : same ? text : formatCidr({ family, network, length });
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
    range.bits = family === 4 ? ipv4Bits(network).toString(16).padStart(8, '0') : hexGroups(network);
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

// Canonical addresses and ranges: the one place raw address text is validated (with ipaddr.js).
import ipaddr from 'ipaddr.js';
import { detach } from './detach.js';

export type Family = 4 | 6;

/** A validated network range in canonical text: `198.51.100.0/24`, `2001:db8::/48`. */
export interface Cidr {
  family: Family;
  /** Canonical network address (host bits cleared). */
  network: string;
  length: number;
}

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

function toIp(text: string): Ip | null {
  let raw = text.trim();
  if (raw.startsWith('[') && raw.endsWith(']')) raw = raw.slice(1, -1);
  if (raw.includes(':')) {
    // The zone (fe80::1%eth0) names a local interface, not a different host.
    const zone = raw.indexOf('%');
    if (zone >= 0) raw = raw.slice(0, zone);
    if (!ipaddr.IPv6.isValid(raw)) return null;
    const v6 = ipaddr.IPv6.parse(raw);
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
  }
  // Only dotted quads: inet_aton forms such as `127.1` or `0x7f.1` are not what a PBX logs.
  return ipaddr.IPv4.isValidFourPartDecimal(raw) ? ipaddr.IPv4.parse(raw) : null;
}

function format(ip: Ip): string {
  return ip.kind() === 'ipv4' ? ip.toString() : (ip as ipaddr.IPv6).toRFC5952String();
}

const canonicalCache = new Map<string, string | null>();
const CACHE_LIMIT = 65_536;

/** A dotted quad as canonical text writes it: four decimal octets, no leading zeros. */
export const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The text canonicalAddress read last (a copy) and its answer: attacks come in runs from one address. */
let lastText: string | null = null;
let lastCanonical: string | null = null;

/** Canonical form of an address (dotted IPv4; RFC 5952 IPv6; IPv4-mapped as IPv4), or null. */
export function canonicalAddress(text: string): string | null {
  if (text === lastText) return lastCanonical;
  const result = readCanonical(text);
  // A copy (the canonical text is one when equal to the text).
  lastText = result !== null && result === text ? result : detach(text);
  lastCanonical = result;
  return result;
}

function readCanonical(text: string): string | null {
  // A dotted quad without leading zeros is already canonical: the common case needs no parse.
  if (text.length <= 15 && DOTTED_QUAD.test(text)) return detach(text);
  const hit = canonicalCache.get(text);
  if (hit !== undefined) return hit;
  let result: string | null | undefined = plainV6Canonical(text);
  if (result === undefined) {
    const ip = toIp(text);
    result = ip === null ? null : format(ip);
  }
  // Attack traffic repeats the same few addresses; a bounded cache keeps replay fast.
  if (canonicalCache.size >= CACHE_LIMIT) canonicalCache.clear();
  // A fresh key: the text may be a view into a much larger string that must not stay alive.
  canonicalCache.set(detach(text), result);
  return result;
}

const PLAIN_IPV6 = /^[0-9A-Fa-f:]{2,39}$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/**
 * The canonical text of an IPv6 address written plainly (hex groups, at most one `::`; no zone,
 * brackets or embedded IPv4), exactly as ipaddr.js would give it, without its cost: with a new
 * interface id per request, attack traffic from one /64 misses the cache every time. Undefined
 * for every other text, which goes through ipaddr.js.
 */
function plainV6Canonical(text: string): string | undefined {
  if (!PLAIN_IPV6.test(text)) return undefined;
  const gap = text.indexOf('::');
  if (gap >= 0 && text.indexOf('::', gap + 1) >= 0) return undefined;
  const head = gap < 0 ? text : text.slice(0, gap);
  const tail = gap < 0 ? '' : text.slice(gap + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const groups = headGroups.length + tailGroups.length;
  if (gap < 0 ? groups !== 8 : groups > 7) return undefined;
  if (!headGroups.every((g) => HEX_GROUP.test(g)) || !tailGroups.every((g) => HEX_GROUP.test(g))) return undefined;
  const bytes = groupBytes(headGroups, tailGroups);
  // IPv4-mapped (::ffff:a.b.c.d, in any spelling) is the IPv4 address.
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) return bytes.subarray(12).join('.');
  return formatV6Bytes(bytes);
}

export function addressFamily(canonical: string): Family {
  return canonical.includes(':') ? 6 : 4;
}

/** Parses `ADDR` or `ADDR/LEN`; a bare address is a host range (/32 or /128). */
export function parseCidr(text: string): Cidr | null {
  const trimmed = text.trim();
  const slash = trimmed.lastIndexOf('/');
  const addrText = slash >= 0 ? trimmed.slice(0, slash) : trimmed;
  const ip = toIp(addrText);
  if (ip === null) return null;
  const family: Family = ip.kind() === 'ipv4' ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    const lenText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) return null;
    length = Number(lenText);
    // An IPv4-mapped network written in IPv6 keeps its IPv4 meaning.
    if (family === 4 && addrText.includes(':')) length -= 96;
    if (length < 0 || length > max) return null;
  }
  return { family, network: networkOf(ip, length), length };
}

function networkOf(ip: Ip, length: number): string {
  const bytes = ip.toByteArray();
  for (let bit = length; bit < bytes.length * 8; bit++) {
    const index = bit >> 3;
    bytes[index] = (bytes[index] ?? 0) & ~(0x80 >> (bit & 7));
  }
  return format(ipaddr.fromByteArray(bytes));
}

/** Text of a range as nft and users write it: bare address for a host range, else `net/len`. */
export function formatCidr(cidr: Cidr): string {
  const max = cidr.family === 4 ? 32 : 128;
  return cidr.length === max ? cidr.network : `${cidr.network}/${cidr.length}`;
}

/**
 * The 16 bytes of an IPv6 address in canonical text (as canonicalAddress writes it: hex groups,
 * at most one `::`). Internal fast path: text from outside goes through canonicalAddress first.
 */
export function canonicalV6Bytes(canonical: string): Uint8Array {
  const gap = canonical.indexOf('::');
  const head = gap < 0 ? canonical : canonical.slice(0, gap);
  const tail = gap < 0 ? '' : canonical.slice(gap + 2);
  return groupBytes(head === '' ? [] : head.split(':'), tail === '' ? [] : tail.split(':'));
}

/** The 16 bytes of hex groups written before and after `::` (the tail ends the address). */
function groupBytes(headGroups: readonly string[], tailGroups: readonly string[]): Uint8Array {
  const out = new Uint8Array(16);
  headGroups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 255;
  });
  const start = 8 - tailGroups.length;
  tailGroups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[(start + i) * 2] = v >> 8;
    out[(start + i) * 2 + 1] = v & 255;
  });
  return out;
}

/**
 * The run of eight 16-bit groups that RFC 5952 writes as `::`: the leftmost longest run of two or
 * more zero groups, as start * 16 + length (one number: readers call this for every IPv6 address),
 * or -1 when there is none.
 */
export function zeroRunOf(groups: Uint16Array): number {
  let best = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let stop = start;
    while (stop < 8 && groups[stop] === 0) stop++;
    if (stop - start > bestLength) {
      best = start;
      bestLength = stop - start;
    }
    start = stop;
  }
  return best < 0 ? -1 : best * 16 + bestLength;
}

/** RFC 5952 text of eight 16-bit groups: lower-case hex, the run `zeroRunOf` finds as `::`. */
export function formatV6Groups(groups: Uint16Array): string {
  const run = zeroRunOf(groups);
  const hex = [...groups].map((g) => g.toString(16));
  if (run < 0) return hex.join(':');
  return `${hex.slice(0, run >> 4).join(':')}::${hex.slice((run >> 4) + (run & 15)).join(':')}`;
}

/** RFC 5952 text of 16 address bytes. */
export function formatV6Bytes(bytes: Uint8Array): string {
  const groups = new Uint16Array(8);
  for (let i = 0; i < 8; i++) groups[i] = ((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0);
  return formatV6Groups(groups);
}

const targetCache = new Map<string, string>();
let targetCachePrefix = -1;

/** The block target for an attacker: IPv4 by /32, IPv6 by the configured prefix (one host owns a /64). */
export function blockTarget(canonical: string, ipv6Prefix: number): string {
  if (addressFamily(canonical) === 4 || ipv6Prefix >= 128) return canonical;
  // Every event needs its target, and attackers repeat: a bounded cache, as for canonicalAddress.
  if (ipv6Prefix !== targetCachePrefix) {
    targetCache.clear();
    targetCachePrefix = ipv6Prefix;
  }
  const hit = targetCache.get(canonical);
  if (hit !== undefined) return hit;
  const bytes = canonicalV6Bytes(canonical);
  for (let bit = ipv6Prefix; bit < 128; bit++) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) & ~(0x80 >> (bit & 7));
  const target = `${formatV6Bytes(bytes)}/${ipv6Prefix}`;
  if (targetCache.size >= CACHE_LIMIT) targetCache.clear();
  targetCache.set(canonical, target);
  return target;
}

/**
 * A block target as a compact map key, for state held per attacker (a flood brings a million):
 * the text blockTarget builds is a tree of concatenated pieces, about 100 bytes for one IPv6
 * target. A host IPv4 target is its 32 bits as an int32, which V8 keeps in the map slot itself
 * (no heap object at all); any other target is one flat string of its network's 16-bit groups up
 * to the prefix, then a character for family and length (32 bytes for an IPv6 /64). Distinct
 * targets get distinct keys. Keys serve counters only: the text cannot be read back from them.
 * Takes canonical text, as blockTarget and formatCidr write it.
 */
export type TargetKey = number | string;

export function targetKey(target: string): TargetKey {
  const slash = target.indexOf('/');
  const network = slash < 0 ? target : target.slice(0, slash);
  if (!network.includes(':')) {
    const bits = dottedQuadBits(network);
    if (slash < 0) return bits;
    return String.fromCharCode(bits >>> 16, bits & 0xffff, 0x100 | Number(target.slice(slash + 1)));
  }
  const length = slash < 0 ? 128 : Number(target.slice(slash + 1));
  const bytes = canonicalV6Bytes(network);
  const codes: number[] = [];
  for (let group = 0; group * 16 < length; group++) codes.push(((bytes[group * 2] ?? 0) << 8) | (bytes[group * 2 + 1] ?? 0));
  codes.push(length);
  return String.fromCharCode(...codes);
}

/** The 32 bits of a canonical dotted quad as an int32 (negative from 128.0.0.0 up). */
export function dottedQuadBits(text: string): number {
  let bits = 0;
  let octet = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      bits = (bits << 8) | octet;
      octet = 0;
    } else octet = octet * 10 + (c - 48);
  }
  return (bits << 8) | octet;
}

/** Loopback or unspecified: never an attacker worth blocking. Reads the canonical text directly. */
export function isLoopbackOrUnspecified(canonical: string): boolean {
  return canonical.startsWith('127.') || canonical === '0.0.0.0' || canonical === '::1' || canonical === '::';
}

/** A set of ranges answering "is this address inside any of them?" (allowlist, host addresses). */
export class RangeSet {
  private readonly v4: Array<[ipaddr.IPv4, number]> = [];
  private readonly v6: Array<[ipaddr.IPv6, number]> = [];
  private readonly exact = new Set<string>();

  constructor(ranges: Iterable<Cidr> = []) {
    for (const range of ranges) this.add(range);
  }

  add(range: Cidr): void {
    const max = range.family === 4 ? 32 : 128;
    if (range.length === max) {
      this.exact.add(range.network);
    } else if (range.family === 4) {
      this.v4.push([ipaddr.IPv4.parse(range.network), range.length]);
    } else {
      this.v6.push([ipaddr.IPv6.parse(range.network), range.length]);
    }
  }

  /** Whether a canonical address lies in the set. */
  contains(canonical: string): boolean {
    if (this.exact.has(canonical)) return true;
    const list = addressFamily(canonical) === 4 ? this.v4 : this.v6;
    if (list.length === 0) return false;
    const ip = toIp(canonical);
    if (ip === null) return false;
    for (const [net, len] of list) if (ip.kind() === net.kind() && ip.match(net, len)) return true;
    return false;
  }

  /** Whether a whole range (e.g. an IPv6 /64 block target) overlaps the set. */
  overlaps(range: Cidr): boolean {
    if (this.contains(range.network)) return true;
    const inner = new RangeSet([range]);
    for (const host of this.exact) if (inner.contains(host)) return true;
    const list = range.family === 4 ? this.v4 : this.v6;
    for (const [net] of list) if (inner.contains(format(net))) return true;
    return false;
  }

  get size(): number {
    return this.exact.size + this.v4.length + this.v6.length;
  }
}

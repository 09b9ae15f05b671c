// Journal entries as stored: one JSON object per line; and the fixed-size index record per entry.
import { addressFamily, canonicalV6Bytes, dottedQuadBits } from '../../model/address.js';
import { EVENT_KINDS, isEventKind, type EventKind } from '../../model/event.js';
import ipaddr from 'ipaddr.js';

/** One attack, as journaled. */
export interface JournalEntry {
  /** ms since epoch */
  time: number;
  attacker: string;
  victim: string | null;
  kind: EventKind;
  userAgent: string | null;
  user: string | null;
  /** The file, `kernel` or `nflog:GROUP` the evidence came from. */
  source: string;
  rule: string;
}

function quoted(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}

let isoSecond = -1;
let isoPrefix = '';

/** ISO 8601 in UTC with milliseconds; the date and time up to the second are reused between calls. */
function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  return `${isoPrefix}${String(ms - second * 1000).padStart(3, '0')}Z`;
}

/** One stored line: the same JSON as JSON.stringify of the entry, written field by field (it is hot). */
export function entryToLine(entry: JournalEntry): string {
  return (
    `{"time":"${isoTime(entry.time)}","attacker":${quoted(entry.attacker)},"victim":${quoted(entry.victim)},` +
    `"kind":"${entry.kind}","userAgent":${quoted(entry.userAgent)},"user":${quoted(entry.user)},` +
    `"source":${quoted(entry.source)},"rule":${quoted(entry.rule)}}\n`
  );
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The entry on one stored line, or null for a torn or foreign line. */
export function lineToEntry(line: string): JournalEntry | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const time = typeof r.time === 'string' ? Date.parse(r.time) : NaN;
  if (Number.isNaN(time) || typeof r.attacker !== 'string' || typeof r.kind !== 'string' || !isEventKind(r.kind)) return null;
  return {
    time,
    attacker: r.attacker,
    victim: stringOrNull(r.victim),
    kind: r.kind,
    userAgent: stringOrNull(r.userAgent),
    user: stringOrNull(r.user),
    source: stringOrNull(r.source) ?? '',
    rule: stringOrNull(r.rule) ?? '',
  };
}

/*
 * Index record, 40 bytes, little-endian: time f64 | offset f64 | length u32 | kind u8 | family u8 |
 * pad u16 | address 16 bytes. Queries scan these instead of parsing JSON, and read only the page's
 * lines. The writer (encodeIndexRecord) and every reader use these names; plain constants, so the
 * hot scans compile them as literals.
 */
/** Entry time, f64 ms since the epoch. */
export const RECORD_TIME = 0;
/** Byte offset of the entry's line in the segment's data file, f64. */
export const RECORD_OFFSET = 8;
/** Length of the entry's line in bytes, newline included, u32. */
export const RECORD_LENGTH = 16;
/** Event kind code (kindCode), u8. */
export const RECORD_KIND = 20;
/** Attacker address family, 4 or 6, u8. */
export const RECORD_FAMILY = 21;
/** Unused, u16 zero. */
export const RECORD_PAD = 22;
/** Attacker address, 16 bytes (IPv4 in the first 4, the rest zero). */
export const RECORD_ADDRESS = 24;
export const INDEX_RECORD_SIZE = 40;

export function kindCode(kind: EventKind): number {
  return EVENT_KINDS.indexOf(kind);
}

/** The 16 address bytes of a canonical address (IPv4 in the first 4). */
export function addressBytes(canonical: string): Uint8Array {
  if (canonical.includes(':')) return canonicalV6Bytes(canonical);
  const out = new Uint8Array(16);
  const bits = dottedQuadBits(canonical);
  for (let i = 0; i < 4; i++) out[i] = (bits >>> (24 - 8 * i)) & 255;
  return out;
}

/** The canonical address for 4 or 16 stored bytes. */
export function addressFromBytes(bytes: Uint8Array): string {
  const ip = ipaddr.fromByteArray([...bytes]);
  return ip.kind() === 'ipv4' ? ip.toString() : (ip as ipaddr.IPv6).toRFC5952String();
}

export function encodeIndexRecord(target: Buffer, at: number, entry: JournalEntry, offset: number, length: number): void {
  target.writeDoubleLE(entry.time, at + RECORD_TIME);
  target.writeDoubleLE(offset, at + RECORD_OFFSET);
  target.writeUInt32LE(length, at + RECORD_LENGTH);
  target.writeUInt8(kindCode(entry.kind), at + RECORD_KIND);
  target.writeUInt8(addressFamily(entry.attacker), at + RECORD_FAMILY);
  target.writeUInt16LE(0, at + RECORD_PAD);
  target.set(addressBytes(entry.attacker), at + RECORD_ADDRESS);
}

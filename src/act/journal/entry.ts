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

/**
 * Index record, 40 bytes: time f64 | offset f64 | length u32 | kind u8 | family u8 | pad u16 |
 * address 16 bytes. Queries scan these instead of parsing JSON, and read only the page's lines.
 */
export const INDEX_RECORD_SIZE = 40;

export function kindCode(kind: EventKind): number {
  return EVENT_KINDS.indexOf(kind);
}

export function kindFromCode(code: number): EventKind | null {
  return EVENT_KINDS[code] ?? null;
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
  target.writeDoubleLE(entry.time, at);
  target.writeDoubleLE(offset, at + 8);
  target.writeUInt32LE(length, at + 16);
  target.writeUInt8(kindCode(entry.kind), at + 20);
  target.writeUInt8(addressFamily(entry.attacker), at + 21);
  target.writeUInt16LE(0, at + 22);
  target.set(addressBytes(entry.attacker), at + 24);
}

// Journal queries over index records: pure filtering, counting and paging.
import { addressFamily } from '../../model/address.js';
import { EVENT_KINDS, type EventKind } from '../../model/event.js';
import {
  addressBytes,
  addressFromBytes,
  INDEX_RECORD_SIZE,
  kindCode,
  RECORD_ADDRESS,
  RECORD_FAMILY,
  RECORD_KIND,
  RECORD_LENGTH,
  RECORD_OFFSET,
  RECORD_TIME,
} from './entry.js';

export interface JournalQuery {
  kind?: EventKind;
  /** Inclusive lower bound, ms. */
  since?: number;
  /** Exclusive upper bound, ms. */
  until?: number;
  attacker?: string;
  /** 1-based. */
  page?: number;
  perPage?: number;
}

/** Where one matching entry is stored. */
export interface EntryLocation {
  segment: string;
  offset: number;
  length: number;
  time: number;
}

export interface IndexedSegment {
  name: string;
  /** The segment's index records, oldest first. */
  index: Buffer;
}

export interface QueryPlan {
  total: number;
  page: number;
  pages: number;
  perPage: number;
  /** The page's entries, newest first. */
  locations: EntryLocation[];
}

export const DEFAULT_PER_PAGE = 15;

/** Counts every match and picks the requested page, newest first, without reading any entry. */
export function planQuery(segments: readonly IndexedSegment[], query: JournalQuery): QueryPlan {
  const perPage = Math.max(1, query.perPage ?? DEFAULT_PER_PAGE);
  const page = Math.max(1, query.page ?? 1);
  const skip = (page - 1) * perPage;
  const since = query.since ?? -Infinity;
  const until = query.until ?? Infinity;
  const kind = query.kind === undefined ? -1 : kindCode(query.kind);
  const family = query.attacker === undefined ? 0 : addressFamily(query.attacker);
  const wanted = query.attacker === undefined ? null : Buffer.from(addressBytes(query.attacker));
  const firstWord = wanted === null ? 0 : wanted.readUInt32LE(0);
  let total = 0;
  const locations: EntryLocation[] = [];
  // Newest first: segments are named by day, so walk them and their records backwards.
  for (let s = segments.length - 1; s >= 0; s--) {
    const { name, index } = segments[s] as IndexedSegment;
    for (let at = index.length - INDEX_RECORD_SIZE; at >= 0; at -= INDEX_RECORD_SIZE) {
      const time = index.readDoubleLE(at + RECORD_TIME);
      if (time < since || time >= until) continue;
      if (kind >= 0 && index[at + RECORD_KIND] !== kind) continue;
      if (wanted !== null) {
        // The first word rules out nearly every other address before the full comparison.
        if (index[at + RECORD_FAMILY] !== family || index.readUInt32LE(at + RECORD_ADDRESS) !== firstWord) continue;
        if (index.compare(wanted, 0, 16, at + RECORD_ADDRESS, at + RECORD_ADDRESS + 16) !== 0) continue;
      }
      if (total >= skip && locations.length < perPage) {
        locations.push({ segment: name, offset: index.readDoubleLE(at + RECORD_OFFSET), length: index.readUInt32LE(at + RECORD_LENGTH), time });
      }
      total++;
    }
  }
  return { total, page, pages: Math.max(1, Math.ceil(total / perPage)), perPage, locations };
}

/** The most active attackers since a time, by entry count. */
export function topAttackers(segments: readonly IndexedSegment[], since: number, limit: number): Array<{ attacker: string; count: number }> {
  const counts = new Map<string, number>();
  for (const { index } of segments) {
    for (let at = 0; at < index.length; at += INDEX_RECORD_SIZE) {
      if (index.readDoubleLE(at + RECORD_TIME) < since) continue;
      const family = index[at + RECORD_FAMILY];
      const key = index.toString('latin1', at + RECORD_ADDRESS, at + RECORD_ADDRESS + (family === 4 ? 4 : 16));
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([key, count]) => ({ attacker: addressFromBytes(Buffer.from(key, 'latin1')), count }));
}

export interface SummaryQuery {
  /** Inclusive lower bound, ms. */
  since: number;
  /** Exclusive upper bound, ms. */
  until: number;
  /** Width of each time bucket, ms (an hour for the report's chart); buckets align to multiples of it. */
  bucketMs: number;
  /** How many of the most active attackers to describe. */
  top: number;
}

/** One of the most active attackers in a period, from index records alone. */
export interface AttackerSummary {
  attacker: string;
  count: number;
  /** Entries per kind, in EVENT_KINDS order. */
  byKind: number[];
  first: number;
  last: number;
  /** Where its newest entry is stored (to read its User-Agent and user). */
  newest: EntryLocation;
}

export interface SummaryPlan {
  total: number;
  /** Entries per kind, in EVENT_KINDS order. */
  byKind: number[];
  /** Entries per bucket; the first starts at `bucketStart`, the last bucket holds `until - 1`. */
  buckets: number[];
  /** `since` rounded down to a multiple of `bucketMs` (whole hours or days, UTC). */
  bucketStart: number;
  /** Distinct attacking addresses. */
  attackers: number;
  /** Most active first; ties go to the most recently seen. */
  top: AttackerSummary[];
}

const EVENT_KIND_COUNT = EVENT_KINDS.length;

/** Growable columns of per-attacker counters: no object per attacker, so a million sources stay cheap. */
class AttackerColumns {
  size = 0;
  count = new Uint32Array(1024);
  first = new Float64Array(1024);
  last = new Float64Array(1024);
  kinds = new Uint32Array(1024 * EVENT_KIND_COUNT);
  segment = new Uint32Array(1024);
  record = new Float64Array(1024);
  /** The address as stored in the index: 4 little-endian words (IPv4 uses the first), and its family. */
  words = new Int32Array(1024 * 4);
  family = new Uint8Array(1024);

  add(): number {
    if (this.size === this.count.length) {
      const grow = <T extends Uint32Array | Float64Array | Int32Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.count = grow(this.count);
      this.first = grow(this.first);
      this.last = grow(this.last);
      this.kinds = grow(this.kinds);
      this.segment = grow(this.segment);
      this.record = grow(this.record);
      this.words = grow(this.words);
      this.family = grow(this.family);
    }
    const i = this.size++;
    this.first[i] = Infinity;
    this.last[i] = -Infinity;
    return i;
  }
}

/**
 * Addresses to attacker numbers: open addressing over typed arrays, compared word by word. A Map
 * would box IPv4 keys above 2^30 as heap numbers and IPv6 keys as strings: several times slower.
 */
class AddressTable {
  private slots = new Int32Array(1 << 12).fill(-1);
  /** 32 - log2(slots): Fibonacci hashing keeps the product's high bits, which depend on every key bit. */
  private shift = 32 - 12;

  constructor(private readonly columns: AttackerColumns) {}

  private slotOf(family: number, w0: number, w1: number, w2: number, w3: number): number {
    const key = family === 4 ? w0 : Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35), 0x27d4eb2f) ^ w3;
    return Math.imul(key, 0x9e3779b1) >>> this.shift;
  }

  /** The attacker number for an address, added with zeroed counters when new. */
  lookup(family: number, w0: number, w1: number, w2: number, w3: number): number {
    const c = this.columns;
    const mask = this.slots.length - 1;
    let slot = this.slotOf(family, w0, w1, w2, w3);
    for (;;) {
      const i = this.slots[slot] as number;
      if (i < 0) break;
      const w = i * 4;
      if (c.family[i] === family && c.words[w] === w0 && (family === 4 || (c.words[w + 1] === w1 && c.words[w + 2] === w2 && c.words[w + 3] === w3))) return i;
      slot = (slot + 1) & mask;
    }
    const i = c.add();
    const w = i * 4;
    c.family[i] = family;
    c.words[w] = w0;
    c.words[w + 1] = w1;
    c.words[w + 2] = w2;
    c.words[w + 3] = w3;
    this.slots[slot] = i;
    if (c.size * 2 > this.slots.length) this.grow();
    return i;
  }

  private grow(): void {
    const c = this.columns;
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    this.shift--;
    const mask = this.slots.length - 1;
    for (let i = 0; i < c.size; i++) {
      const w = i * 4;
      let slot = this.slotOf(c.family[i] as number, c.words[w] as number, c.words[w + 1] as number, c.words[w + 2] as number, c.words[w + 3] as number);
      while ((this.slots[slot] as number) >= 0) slot = (slot + 1) & mask;
      this.slots[slot] = i;
    }
  }

  /** The canonical address of attacker i. */
  address(i: number): string {
    const c = this.columns;
    const bytes: number[] = [];
    for (let k = 0; k < (c.family[i] === 4 ? 1 : 4); k++) {
      const word = c.words[i * 4 + k] as number;
      bytes.push(word & 255, (word >>> 8) & 255, (word >>> 16) & 255, word >>> 24);
    }
    return addressFromBytes(new Uint8Array(bytes));
  }
}

/**
 * Counts a period by kind, by time bucket and by attacker in one pass over the index records, reading
 * no entry: a report over a million entries costs a scan of 40 MB of index, not a million JSON parses.
 */
export function summarize(segments: readonly IndexedSegment[], query: SummaryQuery): SummaryPlan {
  const { since, until, bucketMs } = query;
  const bucketStart = Math.floor(since / bucketMs) * bucketMs;
  const bucketCount = Math.max(1, Math.ceil((until - bucketStart) / bucketMs));
  const buckets = new Array<number>(bucketCount).fill(0);
  const byKind = new Array<number>(EVENT_KIND_COUNT).fill(0);
  const columns = new AttackerColumns();
  const table = new AddressTable(columns);
  const firstDay = new Date(since).toISOString().slice(0, 10);
  const lastDay = new Date(Math.max(since, until - 1)).toISOString().slice(0, 10);
  let total = 0;
  segments.forEach(({ name, index }, s) => {
    // Segments are named by the day of their entries' times: whole days outside the period are skipped.
    if (name < firstDay || name > lastDay) return;
    // One DataView over the records: explicit little-endian reads, no per-field Buffer decoding.
    const view = new DataView(index.buffer, index.byteOffset, index.length);
    let { count, first, last, kinds, segment, record } = columns;
    for (let at = 0; at < index.length; at += INDEX_RECORD_SIZE) {
      const time = view.getFloat64(at + RECORD_TIME, true);
      if (time < since || time >= until) continue;
      total++;
      const kind = index[at + RECORD_KIND] as number;
      if (kind < EVENT_KIND_COUNT) byKind[kind] = (byKind[kind] as number) + 1;
      const bucket = Math.floor((time - bucketStart) / bucketMs);
      buckets[bucket] = (buckets[bucket] as number) + 1;
      // The address's 4 words, little-endian as stored; IPv4 leaves the last three zero.
      const i = table.lookup(
        index[at + RECORD_FAMILY] as number,
        view.getInt32(at + RECORD_ADDRESS, true),
        view.getInt32(at + RECORD_ADDRESS + 4, true),
        view.getInt32(at + RECORD_ADDRESS + 8, true),
        view.getInt32(at + RECORD_ADDRESS + 12, true),
      );
      if (i >= count.length) ({ count, first, last, kinds, segment, record } = columns);
      count[i] = (count[i] as number) + 1;
      if (kind < EVENT_KIND_COUNT) kinds[i * EVENT_KIND_COUNT + kind] = (kinds[i * EVENT_KIND_COUNT + kind] as number) + 1;
      if (time < (first[i] as number)) first[i] = time;
      if (time >= (last[i] as number)) {
        last[i] = time;
        segment[i] = s;
        record[i] = at;
      }
    }
  });
  // The few most active, kept sorted while scanning: O(attackers), not a sort of all of them.
  const best: number[] = [];
  const better = (a: number, b: number): boolean =>
    (columns.count[a] as number) > (columns.count[b] as number) ||
    ((columns.count[a] as number) === (columns.count[b] as number) && (columns.last[a] as number) > (columns.last[b] as number));
  if (query.top > 0) {
    for (let i = 0; i < columns.size; i++) {
      if (best.length === query.top && !better(i, best[best.length - 1] as number)) continue;
      let j = best.length < query.top ? best.length : best.length - 1;
      best[j] = i;
      while (j > 0 && better(i, best[j - 1] as number)) {
        best[j] = best[j - 1] as number;
        best[--j] = i;
      }
    }
  }
  const top = best.map((i): AttackerSummary => {
    const segment = segments[columns.segment[i] as number] as IndexedSegment;
    const at = columns.record[i] as number;
    return {
      attacker: table.address(i),
      count: columns.count[i] as number,
      byKind: [...columns.kinds.subarray(i * EVENT_KIND_COUNT, i * EVENT_KIND_COUNT + EVENT_KIND_COUNT)],
      first: columns.first[i] as number,
      last: columns.last[i] as number,
      newest: {
        segment: segment.name,
        offset: segment.index.readDoubleLE(at + RECORD_OFFSET),
        length: segment.index.readUInt32LE(at + RECORD_LENGTH),
        time: columns.last[i] as number,
      },
    };
  });
  return { total, byKind, buckets, bucketStart, attackers: columns.size, top };
}

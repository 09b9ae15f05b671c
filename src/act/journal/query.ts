// Journal queries over index records: pure filtering, counting and paging.
import { addressFamily } from '../../model/address.js';
import type { EventKind } from '../../model/event.js';
import { addressBytes, addressFromBytes, INDEX_RECORD_SIZE, kindCode } from './entry.js';

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
      const time = index.readDoubleLE(at);
      if (time < since || time >= until) continue;
      if (kind >= 0 && index[at + 20] !== kind) continue;
      if (wanted !== null) {
        // The first word rules out nearly every other address before the full comparison.
        if (index[at + 21] !== family || index.readUInt32LE(at + 24) !== firstWord) continue;
        if (index.compare(wanted, 0, 16, at + 24, at + 40) !== 0) continue;
      }
      if (total >= skip && locations.length < perPage) {
        locations.push({ segment: name, offset: index.readDoubleLE(at + 8), length: index.readUInt32LE(at + 16), time });
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
      if (index.readDoubleLE(at) < since) continue;
      const family = index[at + 21];
      const key = index.toString('latin1', at + 24, at + (family === 4 ? 28 : 40));
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([key, count]) => ({ attacker: addressFromBytes(Buffer.from(key, 'latin1')), count }));
}

// The append-only attack journal: daily JSON Lines segments with a binary index beside each.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeIndexRecord, entryToLine, INDEX_RECORD_SIZE, lineToEntry, RECORD_LENGTH, RECORD_OFFSET, type JournalEntry } from './entry.js';
import {
  planQuery,
  summarize,
  topAttackers,
  type AttackerSummary,
  type EntryLocation,
  type IndexedSegment,
  type JournalQuery,
  type SummaryPlan,
  type SummaryQuery,
} from './query.js';

export interface JournalPage {
  total: number;
  page: number;
  pages: number;
  perPage: number;
  entries: JournalEntry[];
}

/** A period counted from the index, with the newest entry of each top attacker read. */
export interface JournalSummary extends Omit<SummaryPlan, 'top'> {
  top: Array<Omit<AttackerSummary, 'newest'> & { newest: JournalEntry | null }>;
}

export interface JournalOptions {
  /** Read-only journals (the CLI without a daemon) never write, repair or prune. */
  readOnly?: boolean;
}

interface Segment {
  name: string;
  /** Index records on disk. */
  records: number;
  /**
   * The index, when it lives only in memory (a read-only journal that had to rebuild it). Otherwise
   * queries read the .idx file: the page cache holds it, and the daemon's memory does not.
   */
  memoryIndex: Buffer | null;
  /** Bytes in the .jsonl file. */
  size: number;
}

const SEGMENT = /^(\d{4}-\d\d-\d\d)\.jsonl$/;

/** Bytes up to and including the last newline, read from the file's tail only. */
function completeLength(path: string, size: number): number {
  if (size === 0) return 0;
  const fd = openSync(path, 'r');
  try {
    const block = Buffer.alloc(65_536);
    for (let end = size; end > 0; end -= block.length) {
      const start = Math.max(0, end - block.length);
      readSync(fd, block, 0, end - start, start);
      const at = block.subarray(0, end - start).lastIndexOf(10);
      if (at >= 0) return start + at + 1;
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}

function readIndexFile(path: string): Buffer {
  return existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
}

let cachedDay = '';
let dayStart = 0;
let dayEnd = 0;

/** The UTC day of a time, `YYYY-MM-DD`; entries mostly fall on the day of the one before. */
function dayOf(ms: number): string {
  if (ms >= dayStart && ms < dayEnd) return cachedDay;
  cachedDay = new Date(ms).toISOString().slice(0, 10);
  dayStart = Date.parse(`${cachedDay}T00:00:00Z`);
  dayEnd = dayStart + 86_400_000;
  return cachedDay;
}

export class Journal {
  /** Torn or unreadable lines found when opening (a power cut mid-write), per segment. */
  readonly problems: string[] = [];
  private readonly segments = new Map<string, Segment>();
  private readonly fds = new Map<string, { data: number; index: number }>();

  private constructor(
    private readonly dir: string,
    private readonly readOnly: boolean,
  ) {}

  /** Opens (and with write access creates, mode 0700) the journal folder. */
  static open(dir: string, options: JournalOptions = {}): Journal {
    const journal = new Journal(dir, options.readOnly === true);
    if (!journal.readOnly) mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (existsSync(dir)) {
      for (const file of readdirSync(dir).sort()) {
        const m = SEGMENT.exec(file);
        if (m !== null) journal.load(m[1] as string);
      }
    }
    return journal;
  }

  private path(name: string, ext: 'jsonl' | 'idx'): string {
    return join(this.dir, `${name}.${ext}`);
  }

  private load(name: string): void {
    const dataPath = this.path(name, 'jsonl');
    let size = statSync(dataPath).size;
    const complete = completeLength(dataPath, size);
    if (complete < size) {
      this.problems.push(`${name}.jsonl: the last line is torn (no newline after byte ${complete}); it is skipped`);
      if (!this.readOnly) {
        // End the torn line so the next entry starts cleanly; readers skip the torn text.
        const fd = openSync(dataPath, 'a', 0o600);
        writeSync(fd, '\n');
        closeSync(fd);
        size += 1;
      }
    }
    const idxPath = this.path(name, 'idx');
    let index: Buffer = existsSync(idxPath) ? readFileSync(idxPath) : Buffer.alloc(0);
    const whole = index.length % INDEX_RECORD_SIZE === 0;
    const indexedUpTo =
      !whole || index.length === 0
        ? 0
        : index.readDoubleLE(index.length - INDEX_RECORD_SIZE + RECORD_OFFSET) + index.readUInt32LE(index.length - INDEX_RECORD_SIZE + RECORD_LENGTH);
    // A crash between the data write and the index write leaves them apart: rebuild from the data.
    if (!whole || indexedUpTo !== complete) {
      index = this.rebuildIndex(name, readFileSync(dataPath));
      if (!this.readOnly) {
        const fd = openSync(idxPath, 'w', 0o600);
        writeSync(fd, index);
        closeSync(fd);
      }
    }
    const rebuiltInMemory = this.readOnly && (!whole || indexedUpTo !== complete);
    this.segments.set(name, { name, records: index.length / INDEX_RECORD_SIZE, memoryIndex: rebuiltInMemory ? index : null, size });
  }

  private rebuildIndex(name: string, data: Buffer): Buffer {
    const records: Buffer[] = [];
    let start = 0;
    let bad = 0;
    while (start < data.length) {
      let end = data.indexOf(10, start);
      if (end < 0) end = data.length;
      const entry = lineToEntry(data.toString('utf8', start, end));
      if (entry === null) {
        if (end > start) bad++;
      } else {
        const record = Buffer.alloc(INDEX_RECORD_SIZE);
        encodeIndexRecord(record, 0, entry, start, end + 1 - start);
        records.push(record);
      }
      start = end + 1;
    }
    if (bad > 0) this.problems.push(`${name}.jsonl: ${bad} unreadable line(s) skipped`);
    return Buffer.concat(records);
  }

  private open(name: string): { data: number; index: number } {
    let fds = this.fds.get(name);
    if (fds === undefined) {
      fds = { data: openSync(this.path(name, 'jsonl'), 'a', 0o600), index: openSync(this.path(name, 'idx'), 'a', 0o600) };
      this.fds.set(name, fds);
      if (!this.segments.has(name)) this.segments.set(name, { name, records: 0, memoryIndex: null, size: fstatSync(fds.data).size });
    }
    return fds;
  }

  /** Appends entries; each costs one line and one index record, never a rewrite. */
  append(entries: readonly JournalEntry[]): void {
    if (this.readOnly) throw new Error('journal opened read-only');
    const byDay = new Map<string, JournalEntry[]>();
    for (const entry of entries) {
      const day = dayOf(entry.time);
      const list = byDay.get(day);
      if (list === undefined) byDay.set(day, [entry]);
      else list.push(entry);
    }
    for (const [day, list] of byDay) {
      const fds = this.open(day);
      const segment = this.segments.get(day) as Segment;
      const lines = list.map(entryToLine);
      const text = Buffer.from(lines.join(''));
      const buffer = Buffer.allocUnsafe(list.length * INDEX_RECORD_SIZE);
      let offset = segment.size;
      list.forEach((entry, i) => {
        const length = Buffer.byteLength(lines[i] as string);
        encodeIndexRecord(buffer, i * INDEX_RECORD_SIZE, entry, offset, length);
        offset += length;
      });
      // Data first: an index record never points past the data it describes.
      writeSync(fds.data, text);
      writeSync(fds.index, buffer, 0, list.length * INDEX_RECORD_SIZE);
      segment.records += list.length;
      segment.size = offset;
    }
  }

  private indexed(): IndexedSegment[] {
    return [...this.segments.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((s) => ({ name: s.name, index: (s.memoryIndex ?? readIndexFile(this.path(s.name, 'idx'))).subarray(0, s.records * INDEX_RECORD_SIZE) }));
  }

  /** The most active attackers since a time. */
  topAttackers(since: number, limit: number): Array<{ attacker: string; count: number }> {
    return topAttackers(this.indexed(), since, limit);
  }

  /** Matching entries, newest first, with the total count. */
  query(query: JournalQuery): JournalPage {
    const plan = planQuery(this.indexed(), query);
    const entries: JournalEntry[] = [];
    for (const location of plan.locations) {
      const entry = this.read(location);
      if (entry !== null) entries.push(entry);
    }
    return { total: plan.total, page: plan.page, pages: plan.pages, perPage: plan.perPage, entries };
  }

  /** Counts by kind, by time bucket and by attacker, from the index; reads one line per top attacker. */
  summarize(query: SummaryQuery): JournalSummary {
    const plan = summarize(this.indexed(), query);
    return { ...plan, top: plan.top.map((t) => ({ ...t, newest: this.read(t.newest) })) };
  }

  private read(location: EntryLocation): JournalEntry | null {
    const fd = openSync(this.path(location.segment, 'jsonl'), 'r');
    try {
      const buffer = Buffer.alloc(location.length);
      readSync(fd, buffer, 0, location.length, location.offset);
      return lineToEntry(buffer.toString('utf8'));
    } finally {
      closeSync(fd);
    }
  }

  /** Removes whole segments older than the retention; returns their names. */
  prune(now: number, retentionDays: number): string[] {
    if (this.readOnly) return [];
    const oldest = dayOf(now - retentionDays * 86_400_000);
    const removed: string[] = [];
    for (const name of [...this.segments.keys()]) {
      if (name >= oldest) continue;
      const fds = this.fds.get(name);
      if (fds !== undefined) {
        closeSync(fds.data);
        closeSync(fds.index);
        this.fds.delete(name);
      }
      rmSync(this.path(name, 'jsonl'), { force: true });
      rmSync(this.path(name, 'idx'), { force: true });
      this.segments.delete(name);
      removed.push(name);
    }
    return removed;
  }

  get size(): number {
    let n = 0;
    for (const s of this.segments.values()) n += s.records;
    return n;
  }

  close(): void {
    for (const fds of this.fds.values()) {
      closeSync(fds.data);
      closeSync(fds.index);
    }
    this.fds.clear();
  }
}

// One chunk of whole lines -> its line count, malformed lines and events, in a form that crosses
// threads cheaply. Pure: the same code runs in replay's main thread and in its parse workers.
import { MAX_LINE_LENGTH, type LineParser, type MalformedReason } from '../parse/parse-line.js';
import type { AttackEvent, Transport } from '../model/event.js';
import { decodeRange } from '../sources/read-lines.js';

export type MalformedCounts = Record<MalformedReason | 'invalid-utf8', number>;

/**
 * The events of a chunk as columns, one entry per event in line order. Typed arrays move between
 * threads without copying, and the strings go once per chunk however many events repeat them.
 */
export interface ChunkResult {
  /** Lines in the chunk. */
  lines: number;
  malformed: MalformedCounts;
  events: number;
  /** 0-based index of the event's line within the chunk. */
  line: Int32Array<ArrayBuffer>;
  /** The event's time; NaN when the line carries no stamp and the reader's clock is its time. */
  time: Float64Array<ArrayBuffer>;
  /** Index of the event's rule in `LineParser.rules`. */
  rule: Int32Array<ArrayBuffer>;
  /** Indexes into `strings`; -1 for null. */
  attacker: Int32Array<ArrayBuffer>;
  victim: Int32Array<ArrayBuffer>;
  user: Int32Array<ArrayBuffer>;
  userAgent: Int32Array<ArrayBuffer>;
  /** TRANSPORT_CODES index of the event's transport; 0 when the evidence does not say. */
  transport: Uint8Array<ArrayBuffer>;
  /** The distinct strings of the chunk's events. */
  strings: string[];
}

/** Transports by their code in ChunkResult.transport; code 0 is "not said". */
export const TRANSPORT_CODES: readonly (Transport | null)[] = [null, 'udp', 'tcp', 'tls'];

export function noMalformed(): MalformedCounts {
  return { 'too-long': 0, 'bad-address': 0, 'bad-time': 0, 'invalid-utf8': 0 };
}

/** Collects events into ChunkResult columns. */
class Columns {
  events = 0;
  line = new Int32Array(1024);
  time = new Float64Array(1024);
  rule = new Int32Array(1024);
  attacker = new Int32Array(1024);
  victim = new Int32Array(1024);
  user = new Int32Array(1024);
  userAgent = new Int32Array(1024);
  transport = new Uint8Array(1024);
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly ruleIndex: ReadonlyMap<string, number>) {}

  add(event: AttackEvent, line: number): void {
    if (this.events === this.line.length) this.grow();
    const i = this.events++;
    this.line[i] = line;
    this.time[i] = event.time;
    this.rule[i] = this.ruleIndex.get(event.rule) ?? -1;
    this.attacker[i] = this.intern(event.attacker, 0);
    this.victim[i] = this.intern(event.victim, 1);
    this.user[i] = this.intern(event.user, 2);
    this.userAgent[i] = this.intern(event.userAgent, 3);
    this.transport[i] = event.transport === undefined || event.transport === null ? 0 : TRANSPORT_CODES.indexOf(event.transport);
  }

  /** Per column, the text interned last and its index: an attack's events come in runs. */
  private readonly lastText: (string | null)[] = [null, null, null, null];
  private readonly lastAt = [-1, -1, -1, -1];

  /** The index of `text` in `strings` (added if new); `column` keys the memo of the last one. */
  private intern(text: string | null, column: number): number {
    if (text === null) return -1;
    if (text === this.lastText[column]) return this.lastAt[column] as number;
    let at = this.index.get(text);
    if (at === undefined) {
      at = this.strings.length;
      this.strings.push(text);
      this.index.set(text, at);
    }
    this.lastText[column] = text;
    this.lastAt[column] = at;
    return at;
  }

  private grow(): void {
    const size = this.line.length * 2;
    const widen = <T extends Int32Array | Float64Array | Uint8Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.line = widen(this.line, new Int32Array(size));
    this.time = widen(this.time, new Float64Array(size));
    this.rule = widen(this.rule, new Int32Array(size));
    this.attacker = widen(this.attacker, new Int32Array(size));
    this.victim = widen(this.victim, new Int32Array(size));
    this.user = widen(this.user, new Int32Array(size));
    this.userAgent = widen(this.userAgent, new Int32Array(size));
    this.transport = widen(this.transport, new Uint8Array(size));
  }

  result(lines: number, malformed: MalformedCounts): ChunkResult {
    const n = this.events;
    return {
      lines,
      malformed,
      events: n,
      line: this.line.slice(0, n),
      time: this.time.slice(0, n),
      rule: this.rule.slice(0, n),
      attacker: this.attacker.slice(0, n),
      victim: this.victim.slice(0, n),
      user: this.user.slice(0, n),
      userAgent: this.userAgent.slice(0, n),
      transport: this.transport.slice(0, n),
      strings: this.strings,
    };
  }
}

/**
 * Chunks are decoded and scanned this many bytes at a time (cut at the next line end): text this
 * short is an ordinary young-generation string that dies young, where text of the whole 4 MB chunk
 * would sit in the old generation until a full collection, and push peak memory up with it.
 */
const SLICE_BYTES = 64 * 1024;

/** Scans chunks of whole lines with one parser. */
export class ChunkScanner {
  private readonly finder: RegExp;
  /** Which pre-filter strings the candidate line being parsed holds. */
  private readonly needles: Uint8Array;
  private readonly ruleIndex: Map<string, number>;
  private lineStarts = new Int32Array(65_536);

  constructor(private readonly parser: LineParser) {
    this.finder = parser.prefilterGlobal();
    this.needles = parser.needleRecord();
    this.ruleIndex = new Map(parser.rules.map((rule, i) => [rule.id, i]));
  }

  /**
   * Every line of `bytes` (whole lines, each ending in \n except perhaps the last) counted, the
   * malformed ones by reason, and the events of the lines that match, timed NaN where the line
   * has no stamp.
   */
  scan(bytes: Uint8Array, source: string): ChunkResult {
    const malformed = noMalformed();
    const columns = new Columns(this.ruleIndex);
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let lines = 0;
    for (let from = 0; from < view.length;) {
      let to = from + SLICE_BYTES >= view.length ? view.length : view.indexOf(10, from + SLICE_BYTES) + 1;
      if (to === 0) to = view.length;
      const { text, hasInvalidUtf8 } = decodeRange(view, from, to);
      lines += this.scanText(text, hasInvalidUtf8, source, lines, malformed, columns);
      from = to;
    }
    return columns.result(lines, malformed);
  }

  /** Scans one run of whole lines, the first being the chunk's line `lineBase`; returns its line count. */
  private scanText(text: string, hasInvalidUtf8: boolean, source: string, lineBase: number, malformed: MalformedCounts, columns: Columns): number {
    // Pass 1: where every line starts; over-long and non-UTF-8 lines are counted here.
    let lineStarts = this.lineStarts;
    let count = 0;
    let tooLong: Set<number> | null = null;
    let nextBad = hasInvalidUtf8 ? text.indexOf('\uFFFD') : -1;
    for (let at = 0; at < text.length;) {
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      if (count === lineStarts.length) {
        const bigger = new Int32Array(lineStarts.length * 2);
        bigger.set(lineStarts);
        lineStarts = this.lineStarts = bigger;
      }
      lineStarts[count++] = at;
      if (end - at > MAX_LINE_LENGTH) {
        (tooLong ??= new Set()).add(at);
        malformed['too-long']++;
      }
      if (nextBad >= 0 && nextBad < end) {
        // Not UTF-8, yet still parsed: an attacker must not dodge detection with one bad byte.
        malformed['invalid-utf8']++;
        nextBad = text.indexOf('\uFFFD', end);
      }
      at = end + 1;
    }
    // Pass 2: only lines holding a rule's pre-filter string are cut out and parsed. Every such
    // string in the line is found (the scan goes on from just after each), so rules whose string
    // is absent are passed over unsearched; the first one past the line starts the next candidate.
    // Matches come in text order, so the line holding each is found by walking the line starts.
    const finder = this.finder;
    const needles = this.needles;
    let index = 0;
    finder.lastIndex = 0;
    let m = finder.exec(text);
    while (m !== null) {
      while (index + 1 < count && (lineStarts[index + 1] as number) <= m.index) index++;
      const lineStart = lineStarts[index] as number;
      // The next line's start is just past this line's \n; the text's last line may have none.
      const lineEnd = index + 1 < count ? (lineStarts[index + 1] as number) - 1 : text.charCodeAt(text.length - 1) === 10 ? text.length - 1 : text.length;
      needles.fill(0);
      do {
        this.parser.markNeedle(m[0], needles);
        finder.lastIndex = m.index + 1;
        m = finder.exec(text);
      } while (m !== null && m.index < lineEnd);
      if (tooLong !== null && tooLong.has(lineStart)) continue;
      const line = text.charCodeAt(lineEnd - 1) === 13 ? text.slice(lineStart, lineEnd - 1) : text.slice(lineStart, lineEnd);
      const outcome = this.parser.parseCandidate(line, source, NaN, needles);
      if (outcome.type === 'unmatched') continue;
      if (outcome.type === 'malformed') {
        malformed[outcome.reason]++;
        continue;
      }
      columns.add(outcome.event, lineBase + index);
    }
    return count;
  }
}

/** Summed malformed counts: every malformed line once, with the too-long ones never parsed. */
export function malformedTotal(counts: MalformedCounts): number {
  return counts['too-long'] + counts['bad-address'] + counts['bad-time'] + counts['invalid-utf8'];
}

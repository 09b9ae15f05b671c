// One log line -> zero or one typed event, through the compiled rules of one or more formats.
import { canonicalAddress } from '../model/address.js';
import { detach } from '../model/detach.js';
import type { AttackEvent, Transport } from '../model/event.js';
import type { CompiledRule, RuleSet } from './rule-file.js';
import { parseTimestamp, type TimeReference } from './time.js';

/** Lines longer than this are skipped as malformed: no PBX writes them, and they only cost time. */
export const MAX_LINE_LENGTH = 16_384;

export type ParseOutcome = { type: 'event'; event: AttackEvent } | { type: 'unmatched' } | { type: 'malformed'; reason: MalformedReason; rule?: string };

export type MalformedReason = 'too-long' | 'bad-address' | 'bad-time';

export interface LineParserOptions {
  /** Kernel log prefixes that make a line an event; `any` accepts every prefix. */
  kernelPrefixes: readonly string[] | 'any';
  time: TimeReference;
}

interface Candidate {
  rule: CompiledRule;
  timePatterns: readonly RegExp[];
  /** Index of the rule's first pre-filter string among the parser's `needles`. */
  needle: number;
}

/** A transport as a PBX or the kernel writes it (UDP, TCP, TLS, WS, WSS, any case); null for others. */
export function transportOf(text: string): Transport | null {
  switch (text.toLowerCase()) {
    case 'udp':
      return 'udp';
    case 'tcp':
    case 'ws':
      return 'tcp';
    case 'tls':
    case 'wss':
      return 'tls';
    default:
      return null;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parses lines with a fixed set of formats; `auto` is simply every format at once. */
export class LineParser {
  /** Every rule, in the order they are tried (an event's rule is one of these). */
  readonly rules: readonly CompiledRule[];
  private readonly candidates: Candidate[];
  /** The distinct first pre-filter strings of the rules, longest first. */
  private readonly needles: readonly string[];
  /** Per needle: the indexes of itself and of the needles it starts with (present wherever it is). */
  private readonly needleMarks: readonly (readonly number[])[];
  /** Per string length: the indexes of the needles of that length. */
  private readonly needlesByLength: readonly (readonly number[])[];
  private readonly prefilter: RegExp;
  private readonly prefixes: Set<string> | 'any';
  private time: TimeReference;

  constructor(ruleSets: readonly RuleSet[], options: LineParserOptions) {
    this.rules = ruleSets.flatMap((set) => set.rules);
    // One alternation of every rule's first pre-filter string rejects most lines in a single scan.
    // Longest first: where two start at one place, the longer is reported, and marks the shorter.
    const needles = [...new Set(this.rules.map((rule) => rule.contains[0] ?? ''))].sort((a, b) => b.length - a.length);
    this.needles = needles;
    this.needleMarks = needles.map((needle) => needles.flatMap((other, i) => (needle.startsWith(other) ? [i] : [])));
    this.needlesByLength = Array.from({ length: (needles[0]?.length ?? 0) + 1 }, (_, length) =>
      needles.flatMap((needle, i) => (needle.length === length ? [i] : [])),
    );
    this.candidates = ruleSets.flatMap((set) =>
      set.rules.map((rule) => ({ rule, timePatterns: set.timePatterns, needle: needles.indexOf(rule.contains[0] ?? '') })),
    );
    this.prefilter = needles.length === 0 ? /(?!)/ : new RegExp(needles.map(escapeRegExp).join('|'));
    this.prefixes = options.kernelPrefixes === 'any' ? 'any' : new Set(options.kernelPrefixes.map((p) => p.trim()));
    this.time = options.time;
  }

  /** Replay moves the reference forward as it reads (each file's mtime). */
  setTimeReference(time: TimeReference): void {
    this.time = time;
  }

  /** Cheap test: could any rule match this line? */
  mayMatch(line: string): boolean {
    return this.prefilter.test(line);
  }

  /** The pre-filter as a global expression, to find candidate lines in a text of many lines. */
  prefilterGlobal(): RegExp {
    return new RegExp(this.prefilter.source, 'g');
  }

  /** A blank record of which pre-filter strings a line holds, for `markNeedle` and `parseCandidate`. */
  needleRecord(): Uint8Array {
    return new Uint8Array(this.needles.length);
  }

  /** Records that a line holds `found`, a match of the pre-filter (and so every string it starts with). */
  markNeedle(found: string, record: Uint8Array): void {
    // Looked up by length and compared, not hashed: each match is a new string, hashed afresh.
    for (const i of this.needlesByLength[found.length] ?? []) {
      if (this.needles[i] !== found) continue;
      for (const j of this.needleMarks[i] ?? []) record[j] = 1;
      return;
    }
  }

  parse(line: string, source: string, fallbackTime: number): ParseOutcome {
    if (line.length > MAX_LINE_LENGTH) return { type: 'malformed', reason: 'too-long' };
    if (!this.prefilter.test(line)) return { type: 'unmatched' };
    return this.parseCandidate(line, source, fallbackTime);
  }

  /**
   * `parse` for a line already known to pass both cheap checks (at most MAX_LINE_LENGTH long, and
   * found by the pre-filter, as replay finds its lines), so that neither is paid for twice. With
   * `needles`, a record of every pre-filter string the line holds (`markNeedle` for each match of
   * the global pre-filter in it), a rule whose first string is missing is passed over without a
   * search of the line for it.
   */
  parseCandidate(line: string, source: string, fallbackTime: number, needles?: Uint8Array): ParseOutcome {
    for (const { rule, timePatterns, needle } of this.candidates) {
      if (needles !== undefined && needles[needle] === 0) continue;
      let present = true;
      for (let i = needles === undefined ? 0 : 1; i < rule.contains.length; i++) {
        if (!line.includes(rule.contains[i] ?? '')) {
          present = false;
          break;
        }
      }
      if (!present) continue;
      const match = rule.pattern.exec(line);
      if (match === null) continue;
      const groups = match.groups ?? {};
      if (rule.hasPrefix) {
        const prefix = (groups.prefix ?? '').trim();
        // Another rule (another format, in auto mode) may still own the line.
        if (this.prefixes !== 'any' && !this.prefixes.has(prefix)) continue;
      }
      const attacker = canonicalAddress(groups.attacker ?? '');
      if (attacker === null) return { type: 'malformed', reason: 'bad-address', rule: rule.id };
      const victimText = groups.victim;
      const victim = victimText === undefined ? null : canonicalAddress(victimText);
      const time = this.readTime(line, groups.time, timePatterns, fallbackTime);
      if (time === null) return { type: 'malformed', reason: 'bad-time', rule: rule.id };
      return {
        type: 'event',
        event: {
          time,
          kind: rule.kind,
          attacker,
          victim,
          userAgent: groups.userAgent === undefined ? null : detach(groups.userAgent),
          user: groups.user === undefined ? null : detach(groups.user),
          rule: rule.id,
          source,
          stream: rule.stream,
          transport: groups.transport === undefined ? null : transportOf(groups.transport),
        },
      };
    }
    return { type: 'unmatched' };
  }

  private readTime(line: string, captured: string | undefined, patterns: readonly RegExp[], fallback: number): number | null {
    if (captured !== undefined) return parseTimestamp(captured, this.time);
    for (const pattern of patterns) {
      const text = pattern.exec(line)?.groups?.time;
      if (text !== undefined) return parseTimestamp(text, this.time);
    }
    // A line with no stamp of its own (e.g. a bare message) happened when it was read.
    return fallback;
  }
}

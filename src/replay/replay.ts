// Offline run of the whole pure core over log files, clocked by each line's own timestamp.
import { statSync } from 'node:fs';
import { uptime } from 'node:os';
import { LineParser, MAX_LINE_LENGTH, type MalformedReason } from '../parse/parse-line.js';
import type { RuleSet } from '../parse/rule-file.js';
import { DetectionEngine } from '../decide/decide.js';
import type { Config } from '../config/types.js';
import type { AttackEvent, EventKind } from '../model/event.js';
import type { Decision, DecisionType } from '../model/decision.js';
import { readTextChunks } from '../sources/read-lines.js';

export interface ReplayOptions {
  config: Config;
  ruleSets: readonly RuleSet[];
  files: readonly string[];
  /** Overrides `config.kernel.prefixes`; `any` accepts every kernel log prefix. */
  kernelPrefixes?: readonly string[] | 'any';
  hostAddresses?: readonly string[];
  onEvent?: (event: AttackEvent, file: string, line: number) => void;
  onDecision?: (decision: Decision, file: string, line: number) => void;
}

export interface ReplaySummary {
  files: number;
  lines: number;
  matched: number;
  unmatched: number;
  malformed: number;
  malformedByReason: Record<MalformedReason | 'invalid-utf8', number>;
  matchedByRule: Record<string, number>;
  eventsByKind: Partial<Record<EventKind, number>>;
  duplicates: number;
  exempt: number;
  decisionsByType: Partial<Record<DecisionType, number>>;
}

/** Engine state is pruned once per this much log time, not per line. */
const TICK_EVERY_MS = 60_000;

/** The 0-based index of the line starting at `offset`, by binary search over line starts. */
function lineIndex(starts: Int32Array, count: number, offset: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function replayFiles(options: ReplayOptions): ReplaySummary {
  const summary: ReplaySummary = {
    files: options.files.length,
    lines: 0,
    matched: 0,
    unmatched: 0,
    malformed: 0,
    malformedByReason: { 'too-long': 0, 'bad-address': 0, 'bad-time': 0, 'invalid-utf8': 0 },
    matchedByRule: {},
    eventsByKind: {},
    duplicates: 0,
    exempt: 0,
    decisionsByType: {},
  };
  const bootTime = Date.now() - uptime() * 1000;
  const parser = new LineParser(options.ruleSets, {
    kernelPrefixes: options.kernelPrefixes ?? options.config.kernel.prefixes,
    time: { now: Date.now(), bootTime },
  });
  const engine = new DetectionEngine({ config: options.config, hostAddresses: options.hostAddresses ?? [] });
  let lastTick = -Infinity;
  const finder = parser.prefilterGlobal();
  let lineStarts = new Int32Array(65_536);
  for (const file of options.files) {
    const mtime = statSync(file).mtimeMs;
    parser.setTimeReference({ now: mtime, bootTime });
    let clock = mtime;
    let firstLine = 1;
    for (const { text, hasInvalidUtf8 } of readTextChunks(file)) {
      // Pass 1: where every line starts; over-long and non-UTF-8 lines are counted here.
      let count = 0;
      let tooLong: Array<[number, number]> | null = null;
      let nextBad = hasInvalidUtf8 ? text.indexOf('\uFFFD') : -1;
      for (let at = 0; at < text.length; ) {
        let end = text.indexOf('\n', at);
        if (end < 0) end = text.length;
        if (count === lineStarts.length) {
          const bigger = new Int32Array(lineStarts.length * 2);
          bigger.set(lineStarts);
          lineStarts = bigger;
        }
        lineStarts[count++] = at;
        if (end - at > MAX_LINE_LENGTH) (tooLong ??= []).push([at, end]);
        if (nextBad >= 0 && nextBad < end) {
          // Not UTF-8, yet still parsed: an attacker must not dodge detection with one bad byte.
          summary.malformed++;
          summary.malformedByReason['invalid-utf8']++;
          nextBad = text.indexOf('\uFFFD', end);
        }
        at = end + 1;
      }
      summary.lines += count;
      let skipped = 0;
      for (const _ of tooLong ?? []) {
        summary.malformed++;
        summary.malformedByReason['too-long']++;
        skipped++;
      }
      // Pass 2: only lines holding a rule's pre-filter string are cut out and parsed.
      let matched = 0;
      finder.lastIndex = 0;
      for (let m = finder.exec(text); m !== null; m = finder.exec(text)) {
        const lineStart = text.lastIndexOf('\n', m.index - 1) + 1;
        let lineEnd = text.indexOf('\n', m.index);
        if (lineEnd < 0) lineEnd = text.length;
        finder.lastIndex = lineEnd + 1;
        if (tooLong !== null && tooLong.some(([a]) => a === lineStart)) continue;
        const line = text.charCodeAt(lineEnd - 1) === 13 ? text.slice(lineStart, lineEnd - 1) : text.slice(lineStart, lineEnd);
        const outcome = parser.parse(line, file, clock);
        if (outcome.type === 'unmatched') continue;
        if (outcome.type === 'malformed') {
          summary.malformed++;
          summary.malformedByReason[outcome.reason]++;
          skipped++;
          continue;
        }
        matched++;
        const event = outcome.event;
        const lineNumber = firstLine + lineIndex(lineStarts, count, lineStart);
        clock = event.time;
        summary.matched++;
        summary.matchedByRule[event.rule] = (summary.matchedByRule[event.rule] ?? 0) + 1;
        summary.eventsByKind[event.kind] = (summary.eventsByKind[event.kind] ?? 0) + 1;
        options.onEvent?.(event, file, lineNumber);
        if (event.time - lastTick >= TICK_EVERY_MS) {
          engine.tick(event.time);
          lastTick = event.time;
        }
        const result = engine.handle(event);
        if (result.verdict === 'duplicate') summary.duplicates++;
        if (result.verdict === 'exempt-allowlist' || result.verdict === 'exempt-host') summary.exempt++;
        for (const decision of result.decisions) {
          summary.decisionsByType[decision.type] = (summary.decisionsByType[decision.type] ?? 0) + 1;
          options.onDecision?.(decision, file, lineNumber);
        }
      }
      summary.unmatched += count - matched - skipped;
      firstLine += count;
    }
  }
  return summary;
}

// Offline run of the whole pure core over log files, clocked by each line's own timestamp.
import { statSync } from 'node:fs';
import { uptime } from 'node:os';
import { LineParser, type MalformedReason } from '../parse/parse-line.js';
import type { RuleSet } from '../parse/rule-file.js';
import { DetectionEngine } from '../decide/decide.js';
import type { Config } from '../config/types.js';
import type { AttackEvent, EventKind } from '../model/event.js';
import type { Decision, DecisionType } from '../model/decision.js';
import { readLineBatches } from '../sources/read-lines.js';

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
  for (const file of options.files) {
    const mtime = statSync(file).mtimeMs;
    parser.setTimeReference({ now: mtime, bootTime });
    let clock = mtime;
    for (const batch of readLineBatches(file)) {
      const { lines, firstLine } = batch;
      summary.lines += lines.length;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i] as string;
        if (batch.hasInvalidUtf8 && line.includes('\uFFFD')) {
          // Not UTF-8, yet still parsed: an attacker must not dodge detection with one bad byte.
          summary.malformed++;
          summary.malformedByReason['invalid-utf8']++;
        }
        const outcome = parser.parse(line, file, clock);
        if (outcome.type === 'unmatched') {
          summary.unmatched++;
          continue;
        }
        if (outcome.type === 'malformed') {
          summary.malformed++;
          summary.malformedByReason[outcome.reason]++;
          continue;
        }
        const event = outcome.event;
        const lineNumber = firstLine + i;
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
    }
  }
  return summary;
}

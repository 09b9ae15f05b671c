// Replay's summarising: parsed chunks, in file order, become events for the engine and the summary's counts.
import type { DetectionEngine } from '../decide/decide.js';
import type { CompiledRule } from '../parse/rule-file.js';
import type { AttackEvent, EventKind } from '../model/event.js';
import type { Decision, DecisionType } from '../model/decision.js';
import { malformedTotal, noMalformed, TRANSPORT_CODES, type MalformedCounts } from './chunk-scan.js';
import type { ParsedChunk } from './chunk-schedule.js';

export interface ReplaySummary {
  files: number;
  lines: number;
  matched: number;
  unmatched: number;
  malformed: number;
  malformedByReason: MalformedCounts;
  matchedByRule: Record<string, number>;
  eventsByKind: Partial<Record<EventKind, number>>;
  duplicates: number;
  exempt: number;
  decisionsByType: Partial<Record<DecisionType, number>>;
}

export interface TallyOptions {
  engine: DetectionEngine;
  /** The parser's rules: chunk results name rules by their index here. */
  rules: readonly CompiledRule[];
  files: number;
  onEvent?: (event: AttackEvent, file: string, line: number) => void;
  onDecision?: (decision: Decision, file: string, line: number) => void;
}

/** Engine state is pruned once per this much log time, not per line. */
const TICK_EVERY_MS = 60_000;

export class ReplayTally {
  private readonly counts: ReplaySummary;
  private lastTick = -Infinity;
  private clock = 0;
  private firstLine = 1;
  /**
   * Events per rule (by index), put into the summary by rule id and kind at the end, in the order the
   * rules were first met (the summary's records list them in that order).
   */
  private readonly perRule: Float64Array;
  private readonly rulesMet: number[] = [];

  constructor(private readonly options: TallyOptions) {
    this.perRule = new Float64Array(options.rules.length);
    this.counts = {
      files: options.files,
      lines: 0,
      matched: 0,
      unmatched: 0,
      malformed: 0,
      malformedByReason: noMalformed(),
      matchedByRule: {},
      eventsByKind: {},
      duplicates: 0,
      exempt: 0,
      decisionsByType: {},
    };
  }

  /** One parsed chunk: its events go to the engine, on each line's own time, and are counted. */
  consume(parsed: ParsedChunk): void {
    const { engine, rules, onEvent, onDecision } = this.options;
    const summary = this.counts;
    const chunk = parsed.result;
    if (parsed.first) {
      this.clock = parsed.mtime;
      this.firstLine = 1;
    }
    summary.lines += chunk.lines;
    const bad = chunk.malformed;
    summary.malformed += malformedTotal(bad);
    for (const reason of Object.keys(bad) as Array<keyof typeof bad>) summary.malformedByReason[reason] += bad[reason];
    // Lines with invalid UTF-8 were still parsed: they are matched or unmatched as well.
    summary.unmatched += chunk.lines - chunk.events - bad['too-long'] - bad['bad-address'] - bad['bad-time'];
    const strings = chunk.strings;
    const text = (index: number): string | null => (index < 0 ? null : (strings[index] ?? null));
    for (let i = 0; i < chunk.events; i++) {
      const ruleAt = chunk.rule[i] ?? -1;
      const rule = rules[ruleAt];
      if (rule === undefined) throw new Error('replay: an event names no known rule');
      const stamped = chunk.time[i] ?? NaN;
      // A line without a stamp of its own happened when the previous event did (or at the mtime).
      this.clock = Number.isNaN(stamped) ? this.clock : stamped;
      const event: AttackEvent = {
        time: this.clock,
        kind: rule.kind,
        attacker: text(chunk.attacker[i] ?? -1) ?? '',
        victim: text(chunk.victim[i] ?? -1),
        userAgent: text(chunk.userAgent[i] ?? -1),
        transport: TRANSPORT_CODES[chunk.transport[i] ?? 0] ?? null,
        user: text(chunk.user[i] ?? -1),
        rule: rule.id,
        source: parsed.file,
        stream: rule.stream,
      };
      const lineNumber = this.firstLine + (chunk.line[i] ?? 0);
      if (this.perRule[ruleAt] === 0) this.rulesMet.push(ruleAt);
      this.perRule[ruleAt] = (this.perRule[ruleAt] ?? 0) + 1;
      onEvent?.(event, parsed.file, lineNumber);
      if (event.time - this.lastTick >= TICK_EVERY_MS) {
        engine.tick(event.time);
        this.lastTick = event.time;
      }
      const result = engine.handle(event);
      if (result.verdict === 'duplicate') summary.duplicates++;
      if (result.verdict === 'exempt-allowlist' || result.verdict === 'exempt-host') summary.exempt++;
      for (const decision of result.decisions) {
        summary.decisionsByType[decision.type] = (summary.decisionsByType[decision.type] ?? 0) + 1;
        onDecision?.(decision, parsed.file, lineNumber);
      }
    }
    this.firstLine += chunk.lines;
  }

  /** The summary of everything consumed. */
  summary(): ReplaySummary {
    const summary = this.counts;
    for (const i of this.rulesMet) {
      const rule = this.options.rules[i];
      if (rule === undefined) continue;
      const n = this.perRule[i] ?? 0;
      summary.matched += n;
      summary.matchedByRule[rule.id] = (summary.matchedByRule[rule.id] ?? 0) + n;
      summary.eventsByKind[rule.kind] = (summary.eventsByKind[rule.kind] ?? 0) + n;
    }
    this.rulesMet.length = 0;
    return summary;
  }
}

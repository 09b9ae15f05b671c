// Offline run of the whole pure core over log files, clocked by each line's own timestamp.
// Chunks of lines are parsed in this thread or, for large inputs, by worker threads in parallel;
// either way their events reach the one DetectionEngine in file order, so decisions are the same.
import { statSync } from 'node:fs';
import { uptime } from 'node:os';
import { LineParser } from '../parse/parse-line.js';
import type { RuleSet } from '../parse/rule-file.js';
import type { TimeReference } from '../parse/time.js';
import { DetectionEngine } from '../decide/decide.js';
import type { Config } from '../config/types.js';
import type { AttackEvent, EventKind } from '../model/event.js';
import type { Decision, DecisionType } from '../model/decision.js';
import { readByteChunks } from '../sources/read-lines.js';
import { ChunkScanner, malformedTotal, noMalformed, type ChunkResult, type MalformedCounts } from './chunk-scan.js';
import type { ParsePool } from './parse-pool.js';

export interface ReplayOptions {
  config: Config;
  ruleSets: readonly RuleSet[];
  files: readonly string[];
  /** Overrides `config.kernel.prefixes`; `any` accepts every kernel log prefix. */
  kernelPrefixes?: readonly string[] | 'any';
  hostAddresses?: readonly string[];
  /**
   * Parse workers, started by the caller (see parseWorkersFor) so they load while it reads its
   * config; without, chunks are parsed in this thread. The pool is not closed here.
   */
  pool?: ParsePool;
  onEvent?: (event: AttackEvent, file: string, line: number) => void;
  onDecision?: (decision: Decision, file: string, line: number) => void;
  /** Awaited after each chunk's events: lets the output catch up (a slow pipe) before more are made. */
  afterChunk?: () => Promise<void> | undefined;
}

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

/** Engine state is pruned once per this much log time, not per line. */
const TICK_EVERY_MS = 60_000;

/** A chunk on its way through the parser, with what the in-order reader needs to place it. */
interface Slot {
  file: string;
  /** Whether the chunk is its file's first: the line count and clock restart. */
  first: boolean;
  mtime: number;
  /** The worker's answer to come, if a worker parses the chunk. */
  result: Promise<ChunkResult> | null;
  /** The chunk parsed: by this thread at once, or a worker's answer once it is back. */
  done: ChunkResult | null;
}

interface Chunk {
  file: string;
  first: boolean;
  mtime: number;
  time: TimeReference;
  bytes: Buffer;
}

/** Every file's chunks in order, each with its file's time reference. */
function* readChunks(files: readonly string[], spare: Buffer[], bootTime: number): Generator<Chunk> {
  for (const file of files) {
    const mtime = statSync(file).mtimeMs;
    const time: TimeReference = { now: mtime, bootTime };
    let first = true;
    for (const bytes of readByteChunks(file, spare)) {
      yield { file, first, mtime, time, bytes };
      first = false;
    }
  }
}

export async function replayFiles(options: ReplayOptions): Promise<ReplaySummary> {
  const summary: ReplaySummary = {
    files: options.files.length,
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
  const bootTime = Date.now() - uptime() * 1000;
  const kernelPrefixes = options.kernelPrefixes ?? options.config.kernel.prefixes;
  const engine = new DetectionEngine({ config: options.config, hostAddresses: options.hostAddresses ?? [] });

  const pool = options.pool;
  /** Chunk buffers done with, read into again. */
  const spare: Buffer[] = [];
  const parser = new LineParser(options.ruleSets, { kernelPrefixes, time: { now: Date.now(), bootTime } });
  const scanner = new ChunkScanner(parser);
  // Chunk results name rules by their index here.
  const rules = parser.rules;
  const scanHere = (bytes: Buffer, file: string, time: TimeReference): ChunkResult => {
    parser.setTimeReference(time);
    const result = scanner.scan(bytes, file);
    // The whole buffer, not the chunk's view of it: read into again, it holds a full chunk.
    spare.push(Buffer.from(bytes.buffer, 0, bytes.buffer.byteLength));
    return result;
  };
  pool?.configure(options.ruleSets, kernelPrefixes);
  let queued = 0;
  const scanInPool = (pool: ParsePool, slot: Slot, bytes: Buffer, time: TimeReference): Promise<ChunkResult> => {
    queued++;
    const result = pool
      .scan(bytes, slot.file, time)
      .then((reply) => {
        spare.push(reply.bytes);
        slot.done = reply.result;
        return reply.result;
      })
      .finally(() => {
        queued--;
      });
    // Awaited in order later; a failure must not also surface as an unhandled rejection first.
    result.catch(() => undefined);
    return result;
  };
  // Two chunks queued per worker keep every worker busy; chunks in flight bound the memory held.
  const poolDepth = pool === undefined ? 0 : 2 * pool.size;
  const maxInFlight = pool === undefined ? 1 : poolDepth + 2;

  let lastTick = -Infinity;
  let clock = 0;
  let firstLine = 1;
  // Events per rule (by index), put into the summary by rule id and kind at the end, in the order
  // the rules were first met (the summary's records list them in that order).
  const perRule = new Float64Array(rules.length);
  const rulesMet: number[] = [];
  const consume = (slot: Slot, chunk: ChunkResult): void => {
    if (slot.first) {
      clock = slot.mtime;
      firstLine = 1;
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
      clock = Number.isNaN(stamped) ? clock : stamped;
      const event: AttackEvent = {
        time: clock,
        kind: rule.kind,
        attacker: text(chunk.attacker[i] ?? -1) ?? '',
        victim: text(chunk.victim[i] ?? -1),
        userAgent: text(chunk.userAgent[i] ?? -1),
        user: text(chunk.user[i] ?? -1),
        rule: rule.id,
        source: slot.file,
        stream: rule.stream,
      };
      const lineNumber = firstLine + (chunk.line[i] ?? 0);
      if (perRule[ruleAt] === 0) rulesMet.push(ruleAt);
      perRule[ruleAt] = (perRule[ruleAt] ?? 0) + 1;
      options.onEvent?.(event, slot.file, lineNumber);
      if (event.time - lastTick >= TICK_EVERY_MS) {
        engine.tick(event.time);
        lastTick = event.time;
      }
      const result = engine.handle(event);
      if (result.verdict === 'duplicate') summary.duplicates++;
      if (result.verdict === 'exempt-allowlist' || result.verdict === 'exempt-host') summary.exempt++;
      for (const decision of result.decisions) {
        summary.decisionsByType[decision.type] = (summary.decisionsByType[decision.type] ?? 0) + 1;
        options.onDecision?.(decision, slot.file, lineNumber);
      }
    }
    firstLine += chunk.lines;
  };

  // Chunks go to the workers while they have room; when the next result due is not back yet, this
  // thread parses the next chunk itself rather than wait (with few cores, it would otherwise idle
  // while the workers have more than they can do). Results are consumed strictly in file order.
  const chunks = readChunks(options.files, spare, bootTime);
  let upcoming = chunks.next();
  const inFlight: Slot[] = [];
  const take = (): { slot: Slot; bytes: Buffer; time: TimeReference } | null => {
    if (upcoming.done === true) return null;
    const { file, first, mtime, time, bytes } = upcoming.value;
    upcoming = chunks.next();
    return { slot: { file, first, mtime, result: null, done: null }, bytes, time };
  };
  for (;;) {
    while (pool !== undefined && queued < poolDepth && inFlight.length < maxInFlight) {
      const next = take();
      if (next === null) break;
      next.slot.result = scanInPool(pool, next.slot, next.bytes, next.time);
      inFlight.push(next.slot);
    }
    const head = inFlight[0];
    if (head === undefined) {
      const next = take();
      if (next === null) break;
      next.slot.done = scanHere(next.bytes, next.slot.file, next.time);
      inFlight.push(next.slot);
      continue;
    }
    if (head.done === null && inFlight.length < maxInFlight) {
      const next = take();
      if (next !== null) {
        next.slot.done = scanHere(next.bytes, next.slot.file, next.time);
        inFlight.push(next.slot);
        // Let the workers' answers in before deciding again.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
    }
    inFlight.shift();
    consume(head, head.done ?? (await (head.result as Promise<ChunkResult>)));
    await options.afterChunk?.();
  }
  for (const i of rulesMet) {
    const rule = rules[i];
    if (rule === undefined) continue;
    const n = perRule[i] ?? 0;
    summary.matched += n;
    summary.matchedByRule[rule.id] = (summary.matchedByRule[rule.id] ?? 0) + n;
    summary.eventsByKind[rule.kind] = (summary.eventsByKind[rule.kind] ?? 0) + n;
  }
  return summary;
}

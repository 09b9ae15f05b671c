// Offline run of the whole pure core over log files, clocked by each line's own timestamp.
// Chunks of lines are parsed in this thread or, for large inputs, by worker threads in parallel;
// either way their events reach the one DetectionEngine in file order, so decisions are the same.
import { uptime } from 'node:os';
import { LineParser } from '../parse/parse-line.js';
import type { RuleSet } from '../parse/rule-file.js';
import { DetectionEngine } from '../decide/decide.js';
import type { Config } from '../config/types.js';
import type { AttackEvent } from '../model/event.js';
import type { Decision } from '../model/decision.js';
import { ChunkScanner } from './chunk-scan.js';
import type { ParsePool } from './parse-pool.js';
import { fileChunks, parsedInOrder } from './chunk-schedule.js';
import { ReplayTally, type ReplaySummary } from './tally.js';

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

/** Replays the files through the parser and one detection engine; decisions and events go to the callbacks. */
export async function replayFiles(options: ReplayOptions): Promise<ReplaySummary> {
  const bootTime = Date.now() - uptime() * 1000;
  const kernelPrefixes = options.kernelPrefixes ?? options.config.kernel.prefixes;
  const engine = new DetectionEngine({ config: options.config, hostAddresses: options.hostAddresses ?? [] });
  const parser = new LineParser(options.ruleSets, { kernelPrefixes, time: { now: Date.now(), bootTime } });
  options.pool?.configure(options.ruleSets, kernelPrefixes);
  /** Chunk buffers done with, read into again. */
  const spare: Buffer[] = [];
  const tally = new ReplayTally({
    engine,
    rules: parser.rules,
    files: options.files.length,
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    ...(options.onDecision === undefined ? {} : { onDecision: options.onDecision }),
  });
  const parsed = parsedInOrder({ chunks: fileChunks(options.files, spare, bootTime), parser, scanner: new ChunkScanner(parser), pool: options.pool, spare });
  for await (const chunk of parsed) {
    tally.consume(chunk);
    await options.afterChunk?.();
  }
  return tally.summary();
}

// Replay's scheduling: chunks of log go to worker threads or this thread, and come back in file order.
import { statSync } from 'node:fs';
import type { TimeReference } from '../parse/time.js';
import { readByteChunks } from '../sources/read-lines.js';
import type { ChunkResult, ChunkScanner } from './chunk-scan.js';
import type { LineParser } from '../parse/parse-line.js';
import type { ParsePool } from './parse-pool.js';

/** A chunk of whole lines of one file, with the time reference its stamps are read against. */
export interface Chunk {
  file: string;
  /** Whether the chunk is its file's first: the line count and clock restart. */
  first: boolean;
  mtime: number;
  time: TimeReference;
  bytes: Buffer;
}

/** A chunk parsed, handed out in file order. */
export interface ParsedChunk {
  file: string;
  first: boolean;
  mtime: number;
  result: ChunkResult;
}

/** A chunk on its way through the parser, with what the in-order reader needs to place it. */
interface Slot {
  file: string;
  first: boolean;
  mtime: number;
  /** The worker's answer to come, if a worker parses the chunk. */
  result: Promise<ChunkResult> | null;
  /** The chunk parsed: by this thread at once, or a worker's answer once it is back. */
  done: ChunkResult | null;
}

/** Every file's chunks in order, each with its file's time reference; `spare` buffers are read into again. */
export function* fileChunks(files: readonly string[], spare: Buffer[], bootTime: number): Generator<Chunk> {
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

export interface ScheduleOptions {
  chunks: Iterator<Chunk>;
  /** This thread's parser and scanner (its time reference is set per chunk). */
  parser: LineParser;
  scanner: ChunkScanner;
  /** Worker threads, already configured with the same rules; without, this thread parses everything. */
  pool: ParsePool | undefined;
  /** Buffers done with go here, for `chunks` to read into again. */
  spare: Buffer[];
}

/**
 * The chunks parsed, in file order. Chunks go to the workers while they have room; when the next
 * result due is not back yet, this thread parses the next chunk itself rather than wait (with few
 * cores, it would otherwise idle while the workers have more than they can do).
 */
export async function* parsedInOrder(options: ScheduleOptions): AsyncGenerator<ParsedChunk> {
  const { chunks, parser, scanner, pool, spare } = options;
  const scanHere = (bytes: Buffer, file: string, time: TimeReference): ChunkResult => {
    parser.setTimeReference(time);
    const result = scanner.scan(bytes, file);
    // The whole buffer, not the chunk's view of it: read into again, it holds a full chunk.
    spare.push(Buffer.from(bytes.buffer, 0, bytes.buffer.byteLength));
    return result;
  };
  let queued = 0;
  const scanInPool = (workers: ParsePool, slot: Slot, bytes: Buffer, time: TimeReference): Promise<ChunkResult> => {
    queued++;
    const result = workers
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
    const result = head.done ?? (await (head.result as Promise<ChunkResult>));
    yield { file: head.file, first: head.first, mtime: head.mtime, result };
  }
}

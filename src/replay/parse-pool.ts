// Worker threads that parse replay chunks in parallel; the caller consumes results in file order.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { RuleSet } from '../parse/rule-file.js';
import type { TimeReference } from '../parse/time.js';
import type { ChunkResult } from './chunk-scan.js';

export type WorkerRequest =
  | { type: 'init'; ruleSets: readonly RuleSet[]; kernelPrefixes: readonly string[] | 'any' }
  | { type: 'chunk'; id: number; bytes: Uint8Array; source: string; time: TimeReference };

/** The worker's answer hands the chunk's bytes back, to be read into again. */
export type WorkerReply = { type: 'result'; id: number; result: ChunkResult; bytes: Uint8Array } | { type: 'error'; id: number; message: string };

export interface ScanReply {
  result: ChunkResult;
  /** The chunk's buffer, back from the worker. */
  bytes: Buffer;
}

interface Pending {
  resolve: (reply: ScanReply) => void;
  reject: (error: Error) => void;
}

interface Member {
  worker: Worker;
  /** Chunks sent and not yet answered; a worker answers in the order it was asked. */
  pending: Map<number, Pending>;
}

/** Below this much input, starting workers costs more than parsing in one thread. */
const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;
/** Beyond a few workers the one engine thread, fed in order, is the limit. */
const MAX_WORKERS = 3;

/**
 * How many parse workers pay for `bytes` of input on this machine (0: parse in this thread): one
 * per CPU but the replay's own thread, which runs the engine and parses whenever it would wait.
 */
export function parseWorkersFor(bytes: number, cpus: number = availableParallelism()): number {
  if (bytes < PARALLEL_MIN_BYTES || cpus < 2) return 0;
  return Math.min(cpus - 1, MAX_WORKERS);
}

/** The compiled worker next to this module (dist/replay/parse-worker.js). */
export const PARSE_WORKER_SCRIPT = new URL('./parse-worker.js', import.meta.url);

export class ParsePool {
  private readonly members: Member[] = [];
  private nextId = 0;
  private failure: Error | null = null;

  /** Starts `size` workers at once: they load while the caller is still reading its config. */
  constructor(size: number, script: URL = PARSE_WORKER_SCRIPT) {
    for (let i = 0; i < size; i++) {
      const member: Member = { worker: new Worker(script), pending: new Map() };
      member.worker.on('message', (reply: WorkerReply) => this.settle(member, reply));
      member.worker.on('error', (error) => this.fail(error));
      member.worker.on('exit', (code) => {
        if (member.pending.size > 0) this.fail(new Error(`parse worker exited (status ${code}) with chunks unanswered`));
      });
      this.members.push(member);
    }
  }

  get size(): number {
    return this.members.length;
  }

  /** The rules every chunk is parsed with; sent before the first chunk. */
  configure(ruleSets: readonly RuleSet[], kernelPrefixes: readonly string[] | 'any'): void {
    const init: WorkerRequest = { type: 'init', ruleSets, kernelPrefixes };
    for (const { worker } of this.members) worker.postMessage(init);
  }

  /** Parses one chunk of whole lines; `bytes` is handed over (its memory moves to the worker and back). */
  scan(bytes: Uint8Array, source: string, time: TimeReference): Promise<ScanReply> {
    if (this.failure !== null) return Promise.reject(this.failure);
    // The least busy worker: chunks differ in cost (attack bursts parse far more lines).
    let member = this.members[0] as Member;
    for (const m of this.members) if (m.pending.size < member.pending.size) member = m;
    const id = this.nextId++;
    const request: WorkerRequest = { type: 'chunk', id, bytes, source, time };
    return new Promise((resolve, reject) => {
      member.pending.set(id, { resolve, reject });
      member.worker.postMessage(request, [bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map(({ worker }) => worker.terminate()));
  }

  private settle(member: Member, reply: WorkerReply): void {
    const pending = member.pending.get(reply.id);
    if (pending === undefined) return;
    member.pending.delete(reply.id);
    if (reply.type === 'result') pending.resolve({ result: reply.result, bytes: Buffer.from(reply.bytes.buffer, 0, reply.bytes.buffer.byteLength) });
    else pending.reject(new Error(reply.message));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const member of this.members) {
      for (const pending of member.pending.values()) pending.reject(error);
      member.pending.clear();
    }
  }
}

// The daemon's answers to control-socket requests: reads, and changes made through the kernel queue.
import { hostname } from 'node:os';
import type { IntervalClock } from '../model/clock.js';
import { limiterParameters } from '../config/limiter.js';
import { buildReport, type KernelCounters, type Report } from '../act/notify/report.js';
import type { EnforcerBackend } from '../act/enforcer/backend.js';
import type { SourcePosition } from '../model/source-position.js';
import type { DaemonLog } from './log.js';
import type { KernelQueue } from './kernel-queue.js';
import type { Request } from './protocol.js';
import {
  allowAddOperation,
  allowRemoveOperation,
  attackSummary,
  blockOperation,
  listEntries,
  logsOperation,
  unblockOperation,
  type StoreContext,
} from './operations.js';

/** A source's counters as `status` shows them. */
export interface SourceCounters {
  path: string;
  format: string;
  lines: number;
  events: number;
  malformed: number;
}

export interface RequestHandlerOptions {
  /** The daemon's current parts (a reload replaces them), with `now` read at the call. */
  context: () => StoreContext & { enforcer: EnforcerBackend };
  kernel: KernelQueue;
  log: DaemonLog;
  /** Writes the state now; settles when it is written (or has failed, which is logged). */
  saveNow: () => Promise<void>;
  clock: IntervalClock;
  startedAt: number;
  sources: () => ReadonlyArray<SourceCounters & { position: SourcePosition | null }>;
  /** Called after a status summary over many entries: the memory it took may be given back. */
  onLargeWork: (now: number) => void;
}

/** A status summary over this many journal entries gives its memory back once quiet, at most every LARGE_WORK_EVERY_MS. */
const LARGE_SUMMARY_ENTRIES = 100_000;
const LARGE_WORK_EVERY_MS = 600_000;

export class RequestHandler {
  private largeWorkAt = -Infinity;

  constructor(private readonly options: RequestHandlerOptions) {}

  /** One control-socket request; the daemon is the store's only writer. */
  async handle(request: Request): Promise<unknown> {
    const ctx = this.options.context();
    switch (request.command) {
      case 'status':
        return this.status();
      case 'list':
        return listEntries(ctx, request.list);
      case 'logs':
        return logsOperation(ctx.journal, request.query);
      case 'report':
        return this.report(request);
      case 'block':
        return this.change(
          (c) => blockOperation(c, request),
          (row) => `block ${row.target} by hand${row.until === null ? ' (permanent)' : ''}`,
        );
      case 'unblock':
        return this.change(
          (c) => unblockOperation(c, request.target, request.forget),
          (result) => `unblock ${result.target} by hand`,
        );
      case 'allow-add':
        return this.change(
          (c) => allowAddOperation(c, request.target, request.note),
          (result) => `allow ${result.target}${result.lifted.length > 0 ? `; lifted ${result.lifted.join(', ')}` : ''}`,
        );
      case 'allow-remove':
        return this.change(
          (c) => allowRemoveOperation(c, request.target),
          (result) => `allowlist: removed ${result.target}`,
        );
    }
  }

  /**
   * A change by command: it waits its turn behind the decisions already queued for the kernel, goes
   * through the store (which tells the engine), is logged, and is written before the answer.
   */
  private async change<T>(work: (ctx: StoreContext) => Promise<T>, describe: (result: T) => string): Promise<T> {
    const result = await this.options.kernel.run(() => work(this.options.context()));
    this.options.log.info(describe(result));
    await this.options.saveNow();
    return result;
  }

  async status(): Promise<Record<string, unknown>> {
    const { clock } = this.options;
    const ctx = this.options.context();
    const now = ctx.now;
    const rate = ctx.config.invite.rateLimit;
    const kernel = await kernelView(ctx.enforcer);
    // Counting a day's attackers builds a map of every one of them (a million after a flood): the
    // memory it takes is given back once the daemon is quiet, as after a burst of evidence.
    const attacks = attackSummary(ctx.journal, now - 86_400_000);
    const entries = Object.values(attacks.byKind).reduce((a, b) => a + b, 0);
    // Not after every status a monitoring script asks for: the compacting collection pauses the daemon.
    if (entries >= LARGE_SUMMARY_ENTRIES && clock.monotonic() - this.largeWorkAt >= LARGE_WORK_EVERY_MS) {
      this.largeWorkAt = clock.monotonic();
      this.options.onLargeWork(now);
    }
    const state = ctx.store.data;
    return {
      daemon: { running: true, pid: process.pid, startedAt: this.options.startedAt, uptimeMs: now - this.options.startedAt },
      backend: ctx.enforcer.name,
      lists: { allow: ctx.store.allowlist().length, deny: state.deny.length, dynamic: state.dynamic.length },
      attacks,
      limiter: { ...rate, intervalMs: limiterParameters(rate).intervalMs },
      kernel,
      sources: this.options.sources(),
    };
  }

  /** The report for a period, from the daemon's own journal and store (the CLI reads neither while it runs). */
  private async report(request: { from: number; to: number; top: number }): Promise<Report> {
    const ctx = this.options.context();
    const view = await kernelView(ctx.enforcer);
    const kernel: KernelCounters =
      'error' in view ? { unavailable: view.error } : view.counters === null ? { unavailable: 'the backend has no counters' } : { counters: view.counters };
    return buildReport({
      journal: ctx.journal,
      state: ctx.store.data,
      allowlist: ctx.config.allowlist,
      ipv6Prefix: ctx.config.blocking.ipv6Prefix,
      limiterEnabled: ctx.config.invite.rateLimit.enabled,
      period: { from: request.from, to: request.to },
      clock: { now: () => ctx.now },
      host: hostname(),
      kernel,
      top: request.top,
    });
  }
}

type KernelView = { counters: Record<string, number> | null; sets: unknown } | { error: string };

async function kernelView(backend: EnforcerBackend): Promise<KernelView> {
  try {
    return {
      counters: backend.counters === undefined ? null : await backend.counters(),
      sets: backend.fill === undefined ? null : await backend.fill(),
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

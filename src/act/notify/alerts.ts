// Permanent-block alerts: what one says, and the batcher deciding when a mail goes out (pure, clocked).
import type { Clock } from '../../model/clock.js';
import type { PermanentDecision } from '../../model/decision.js';
import type { EventKind } from '../../model/event.js';
import type { JournalEntry } from '../journal/entry.js';

/** Journal entries kept per alert: the newest few are evidence enough, and memory stays bounded. */
export const EVIDENCE_LIMIT = 10;

export interface AlertStrike {
  time: number;
  reason: string;
}

/** One permanent block by escalation, with what led to it. */
export interface BlockAlert {
  time: number;
  target: string;
  attacker: string;
  kind: EventKind;
  reason: string;
  /** The automatic note (may quote attacker-controlled text). */
  note: string;
  strikes: AlertStrike[];
  /** The attacker's journal entries behind the strikes, newest first, and how many there were; null when not read. */
  evidence: { total: number; entries: JournalEntry[] } | null;
}

/** An alert for a permanent decision; strikes and evidence come from the ledger and the journal. */
export function alertFromDecision(
  decision: PermanentDecision,
  strikes: readonly AlertStrike[],
  evidence: { total: number; entries: readonly JournalEntry[] } | null,
): BlockAlert {
  return {
    time: decision.time,
    target: decision.target,
    attacker: decision.attacker,
    kind: decision.kind,
    reason: decision.reason,
    note: decision.note,
    strikes: strikes.map((s) => ({ time: s.time, reason: s.reason })),
    evidence: evidence === null ? null : { total: evidence.total, entries: evidence.entries.slice(0, EVIDENCE_LIMIT) },
  };
}

export interface BatcherOptions {
  clock: Clock;
  /** At most one mail per this interval, ms. */
  minIntervalMs: number;
  /** First retry delay after a failed send, ms (default 30 s); doubles per failure. */
  retryInitialMs?: number;
  /** Longest retry delay, ms (default 30 min). */
  retryMaxMs?: number;
}

/** The alerts one mail carries. */
export interface AlertBatch<T> {
  id: number;
  items: T[];
  /** 1 for a first try, 2 for the first retry, ... */
  attempt: number;
}

/**
 * When alert mails go out. The first alert after a quiet interval goes at once; later ones wait
 * until `minInterval` has passed since the last mail, and then all go in one. A failed mail puts its
 * alerts back in front and is retried with exponential backoff; nothing is dropped.
 */
export class AlertBatcher<T> {
  private pending: T[] = [];
  private inFlight: AlertBatch<T> | null = null;
  private lastMailAt = -Infinity;
  private failures = 0;
  private retryAt = -Infinity;
  private nextId = 1;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly options: BatcherOptions) {
    this.retryInitialMs = options.retryInitialMs ?? 30_000;
    this.retryMaxMs = options.retryMaxMs ?? 1_800_000;
  }

  add(item: T): void {
    this.pending.push(item);
  }

  /** A new interval applies from the next mail on (a reloaded config). */
  setMinInterval(ms: number): void {
    this.options.minIntervalMs = ms;
  }

  /** Alerts waiting for a mail (not counting one being sent). */
  get waiting(): number {
    return this.pending.length;
  }

  /** Consecutive failed sends. */
  get failedAttempts(): number {
    return this.failures;
  }

  /** When the next mail may go (ms), or null when nothing waits or a mail is being sent. */
  dueAt(): number | null {
    if (this.pending.length === 0 || this.inFlight !== null) return null;
    return Math.max(this.lastMailAt + this.options.minIntervalMs, this.retryAt);
  }

  /** The batch to send now, or null; at most one is in flight until `delivered` or `failed`. */
  take(): AlertBatch<T> | null {
    const due = this.dueAt();
    if (due === null || this.options.clock.now() < due) return null;
    this.inFlight = { id: this.nextId++, items: this.pending, attempt: this.failures + 1 };
    this.pending = [];
    return this.inFlight;
  }

  /** The mail went out: the interval starts now. */
  delivered(id: number): void {
    if (this.inFlight?.id !== id) return;
    this.inFlight = null;
    this.lastMailAt = this.options.clock.now();
    this.failures = 0;
    this.retryAt = -Infinity;
  }

  /** The mail failed: its alerts go back in front, retried after the backoff; returns when. */
  failed(id: number): number {
    if (this.inFlight?.id === id) {
      this.pending = [...this.inFlight.items, ...this.pending];
      this.inFlight = null;
      this.failures++;
      this.retryAt = this.options.clock.now() + this.backoff(this.failures);
    }
    return this.retryAt;
  }

  /** The delay after the n-th consecutive failure: initial x 2^(n-1), capped. */
  backoff(failures: number): number {
    return Math.min(this.retryMaxMs, this.retryInitialMs * 2 ** Math.max(0, failures - 1));
  }

  /** Everything not yet delivered (in flight first), to keep across a restart. */
  undelivered(): T[] {
    return [...(this.inFlight?.items ?? []), ...this.pending];
  }
}

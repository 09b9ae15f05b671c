// Strikes per block target within the escalation window (threshold x dynamic block time).
import type { Strike } from '../model/strike.js';

export class StrikeLedger {
  private readonly strikes = new Map<string, Strike[]>();

  constructor(private readonly windowMs: number) {}

  /** Adds a strike; returns the strikes still inside the window ending at its time, oldest first. */
  add(target: string, strike: Strike): readonly Strike[] {
    const from = strike.time - this.windowMs;
    const kept = (this.strikes.get(target) ?? []).filter((s) => s.time > from);
    kept.push(strike);
    this.strikes.set(target, kept);
    return kept;
  }

  get(target: string): readonly Strike[] {
    return this.strikes.get(target) ?? [];
  }

  forget(target: string): void {
    this.strikes.delete(target);
  }

  /** Drops strikes that left the window; runs every second over every target, so allocates only when one did. */
  prune(now: number): void {
    const from = now - this.windowMs;
    for (const [target, list] of this.strikes) {
      // Oldest first: when the oldest is inside the window, all are.
      if ((list[0]?.time ?? from) > from) continue;
      const kept = list.filter((s) => s.time > from);
      if (kept.length === 0) this.strikes.delete(target);
      else if (kept.length !== list.length) this.strikes.set(target, kept);
    }
  }

  entries(): IterableIterator<[string, Strike[]]> {
    return this.strikes.entries();
  }

  restore(target: string, strikes: readonly Strike[]): void {
    // Oldest first, as prune expects, whatever order the state file gave.
    if (strikes.length > 0)
      this.strikes.set(
        target,
        [...strikes].sort((a, b) => a.time - b.time),
      );
  }
}

// Failed-request counting per address over a sliding window; pure, time comes with each call.

/**
 * Counts events per key within the last `windowMs`; keeps at most `limit` stamps per key.
 * Most attackers fail once or twice: a lone stamp is kept as a bare number, not a list, so a
 * million tracked addresses stay within a few tens of megabytes. Keys are compact (the engine
 * passes targetKey values): with a million entries, the keys are most of the memory.
 */
export class FailureWindow<K = string> {
  private readonly stamps = new Map<K, number | number[]>();

  constructor(
    private readonly windowMs: number,
    private readonly limit: number,
  ) {}

  /** Records one failure and returns how many fall in the window ending at `time`. */
  record(key: K, time: number): number {
    const from = time - this.windowMs;
    const held = this.stamps.get(key);
    if (held === undefined || (typeof held === 'number' && held <= from)) {
      this.stamps.set(key, time);
      return 1;
    }
    const list = typeof held === 'number' ? [held] : held;
    let drop = 0;
    while (drop < list.length && (list[drop] ?? 0) <= from) drop++;
    if (drop > 0) list.splice(0, drop);
    list.push(time);
    // Past the threshold the exact count no longer matters; capping keeps memory per attacker flat.
    if (list.length > this.limit) list.shift();
    if (list !== held) this.stamps.set(key, list);
    return list.length;
  }

  reset(key: K): void {
    this.stamps.delete(key);
  }

  /** Forgets keys whose newest failure left the window. */
  prune(now: number): void {
    const from = now - this.windowMs;
    for (const [key, held] of this.stamps) {
      const newest = typeof held === 'number' ? held : (held[held.length - 1] ?? 0);
      if (newest <= from) this.stamps.delete(key);
    }
  }

  get size(): number {
    return this.stamps.size;
  }
}

// The INVITE limiter's userspace model: the same token bucket the kernel's `limit rate over` keeps.
import type { LimiterParameters } from '../config/limiter.js';

interface Bucket {
  /** Earned time in ms, capped at burst x interval; each request spends one interval. */
  credit: number;
  last: number;
}

/**
 * Per-source token buckets: `burst` tokens, one more every interval; a request with no token is
 * dropped. Tokens are kept as earned time, as the kernel keeps them in nanoseconds, so whole
 * milliseconds never round.
 */
export class InviteBucket<K = string> {
  private readonly buckets = new Map<K, Bucket>();
  private readonly capacity: number;

  constructor(private readonly params: LimiterParameters) {
    this.capacity = params.intervalMs * params.burst;
  }

  /** Offers one INVITE at `time`; true when accepted, false when the limiter drops it. */
  offer(key: K, time: number): boolean {
    const { intervalMs } = this.params;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { credit: this.capacity, last: time };
      this.buckets.set(key, bucket);
    } else if (time > bucket.last) {
      bucket.credit = Math.min(this.capacity, bucket.credit + (time - bucket.last));
      bucket.last = time;
    }
    if (bucket.credit >= intervalMs) {
      bucket.credit -= intervalMs;
      return true;
    }
    return false;
  }

  /** Forgets buckets that have refilled completely: they behave exactly like new ones. */
  prune(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.credit + (now - bucket.last) >= this.capacity) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }
}

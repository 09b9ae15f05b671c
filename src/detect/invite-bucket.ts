// The INVITE limiter's userspace model: the same token bucket the kernel's `limit rate over` keeps.
import type { RateLimitConfig, RateUnit } from '../config/types.js';

export const UNIT_MS: Record<RateUnit, number> = { second: 1000, minute: 60_000, hour: 3_600_000 };

/** The limiter's parameters, computed once for both the kernel ruleset and this model. */
export interface LimiterParameters {
  /** Milliseconds between tokens: unit / value (60 s / 20 = 3 s). */
  intervalMs: number;
  burst: number;
  unitMs: number;
  /** As nft writes it: `over 20/minute burst 10 packets`. */
  nftRate: string;
}

export function limiterParameters(limit: RateLimitConfig): LimiterParameters {
  const unitMs = UNIT_MS[limit.unit];
  return {
    intervalMs: unitMs / limit.value,
    burst: limit.burst,
    unitMs,
    nftRate: `over ${limit.value}/${limit.unit} burst ${limit.burst} packets`,
  };
}

interface Bucket {
  tokens: number;
  last: number;
}

/** Per-source token buckets: `burst` tokens, one more every interval; a request with no token is dropped. */
export class InviteBucket {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly params: LimiterParameters) {}

  /** Offers one INVITE at `time`; true when accepted, false when the limiter drops it. */
  offer(key: string, time: number): boolean {
    const { intervalMs, burst } = this.params;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: burst, last: time };
      this.buckets.set(key, bucket);
    } else if (time > bucket.last) {
      bucket.tokens = Math.min(burst, bucket.tokens + (time - bucket.last) / intervalMs);
      bucket.last = time;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Forgets buckets that have refilled completely: they behave exactly like new ones. */
  prune(now: number): void {
    const fullAfter = this.params.intervalMs * this.params.burst;
    for (const [key, bucket] of this.buckets) if (now - bucket.last >= fullAfter) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }
}

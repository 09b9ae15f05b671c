// The INVITE limiter's parameters, derived from the config once for the kernel ruleset and the model.
import type { RateLimitConfig, RateUnit } from './types.js';

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

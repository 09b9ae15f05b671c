// Time is injected everywhere in the pure core, so replay and tests run on the log's own clock.

/** A source of "now" in milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
}

/** A clock that also measures intervals on a time that never steps (the daemon's timers and costs). */
export interface IntervalClock extends Clock {
  /** Milliseconds from an arbitrary origin; unaffected by changes of the wall clock. */
  monotonic(): number;
}

/** The wall clock and the monotonic one, for the daemon and CLI edges only. */
export const systemClock: IntervalClock = { now: () => Date.now(), monotonic: () => performance.now() };

/** A clock that only moves when told to: replay drives it from line timestamps, tests by hand. */
export class ManualClock implements IntervalClock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  monotonic(): number {
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

// Time is injected everywhere in the pure core, so replay and tests run on the log's own clock.

/** A source of "now" in milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
}

/** The wall clock, for the daemon and CLI edges only. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: replay drives it from line timestamps, tests by hand. */
export class ManualClock implements Clock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

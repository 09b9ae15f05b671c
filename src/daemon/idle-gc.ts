// After a burst of evidence (a flood), gives memory back once the daemon is idle again.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8 collects its old generation lazily: after a flood the heap stays at its peak until memory
 * pressure forces a collection, although the live state is a fraction of it. A full collection
 * when a burst is over returns the difference to the system.
 */
export class IdleCollector {
  private readonly collect: () => void;
  private eventsSince = 0;
  private lastEvent = 0;

  constructor(
    private readonly burst = 50_000,
    private readonly quietMs = 2000,
  ) {
    setFlagsFromString('--expose-gc');
    this.collect = runInNewContext('gc') as () => void;
  }

  /** Counts evidence handled at `now`. */
  saw(count: number, now: number): void {
    this.eventsSince += count;
    this.lastEvent = now;
  }

  /** Called on the daemon's tick: collects once a large burst has been followed by quiet. */
  tick(now: number): void {
    if (this.eventsSince >= this.burst && now - this.lastEvent >= this.quietMs) {
      this.eventsSince = 0;
      this.collect();
    }
  }
}

// Saves the daemon's state file without holding up detection. The state is one JSON document (blocks,
// strikes, source positions); at 100,000 blocks it takes a tenth of a second or more to serialize and
// longer to reach the disk, so writing it whole, synchronously, after every decision held every
// block behind it. Saves are coalesced, spaced so serializing stays a small share of the time, and
// written to disk asynchronously, one after another (they share one temporary file); hand edits wait
// for theirs to be on disk.
import type { StateData } from './state.js';

/** Where a save goes: the atomic text writer of `SecureJsonFile`, and its synchronous whole write. */
export interface StateTarget {
  writeText(text: string): Promise<void>;
  write(data: StateData): void;
}

export interface StateSaverOptions {
  target: StateTarget;
  /** The state as it is to be saved, read when a save starts. */
  data: () => StateData;
  /** Milliseconds on a monotonic clock. */
  clock: () => number;
  /** Saves are at least this far apart, unless one is asked for `now`. */
  minIntervalMs: number;
  /** Serializing may take at most this share of the time between saves (0.05: 5 %). */
  maxShare: number;
  onError: (error: Error) => void;
}

export class StateSaver {
  private readonly options: StateSaverOptions;
  private pending = false;
  /** Writes run one after another on this chain; it settles when the last one asked for is done. */
  private chain: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private nextAt = 0;
  private finished: Promise<void> | null = null;
  /** Serialized size and time of the last save, for status and tests. */
  lastSave: { bytes: number; serializeMs: number } | null = null;

  constructor(options: StateSaverOptions) {
    this.options = options;
  }

  /** Asks for a save soon: one save covers every request made before it starts. */
  soon(): void {
    if (this.finished !== null) return;
    this.pending = true;
    if (this.inFlight > 0 || this.timer !== null) return;
    const wait = Math.max(0, this.nextAt - this.options.clock());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, wait);
  }

  /** Saves the state as it is now, after any save in flight; resolves once it is on disk. */
  async now(): Promise<void> {
    if (this.finished !== null) return this.finished;
    this.cancelTimer();
    this.start();
    await this.chain;
  }

  /** The last save, at exit: waits for every save in flight, then writes synchronously; later requests wait for it. */
  final(): Promise<void> {
    this.finished ??= (async () => {
      this.cancelTimer();
      this.pending = false;
      // A save may be chained while an earlier one is awaited: wait until none is left.
      for (let last = this.chain; ; last = this.chain) {
        await last;
        if (last === this.chain) break;
      }
      this.cancelTimer();
      this.options.target.write(this.options.data());
    })();
    return this.finished;
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Serializes the state now and chains its write after those before it. */
  private start(): void {
    this.pending = false;
    const began = this.options.clock();
    const text = JSON.stringify(this.options.data());
    const serializeMs = this.options.clock() - began;
    this.lastSave = { bytes: text.length, serializeMs };
    this.nextAt = this.options.clock() + Math.max(this.options.minIntervalMs, serializeMs / this.options.maxShare);
    this.inFlight++;
    this.chain = this.chain
      .then(() => this.options.target.writeText(text))
      .catch((error: unknown) => this.options.onError(error instanceof Error ? error : new Error(String(error))))
      .finally(() => {
        this.inFlight--;
        if (this.pending && this.inFlight === 0) this.soon();
      });
  }
}

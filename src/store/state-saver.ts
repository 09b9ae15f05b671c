// Saves the daemon's state file without holding up detection. The state is one JSON document (blocks,
// strikes, source positions); at 100,000 blocks it takes a tenth of a second or more to serialize and
// longer to reach the disk, so writing it whole, synchronously, after every decision held every
// block behind it. Saves are coalesced, spaced so serializing stays a small share of the time, and
// written to disk asynchronously; hand edits wait for theirs to be on disk.
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
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nextAt = 0;
  private closed = false;
  /** Serialized size and time of the last save, for status and tests. */
  lastSave: { bytes: number; serializeMs: number } | null = null;

  constructor(options: StateSaverOptions) {
    this.options = options;
  }

  /** Asks for a save soon: one save covers every request made before it starts. */
  soon(): void {
    if (this.closed) return;
    this.pending = true;
    if (this.writing !== null || this.timer !== null) return;
    const wait = Math.max(0, this.nextAt - this.options.clock());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, wait);
  }

  /** Saves the state as it is now, after any save in flight; resolves once it is on disk. */
  async now(): Promise<void> {
    this.cancelTimer();
    await this.writing;
    this.cancelTimer();
    this.start();
    await this.writing;
  }

  /** The last save, at exit: waits for a save in flight, then writes synchronously; later requests are ignored. */
  async final(): Promise<void> {
    this.closed = true;
    this.cancelTimer();
    await this.writing;
    // A save that ended just now may have asked for another.
    this.cancelTimer();
    this.pending = false;
    this.options.target.write(this.options.data());
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private start(): void {
    this.pending = false;
    const began = this.options.clock();
    const text = JSON.stringify(this.options.data());
    const serializeMs = this.options.clock() - began;
    this.lastSave = { bytes: text.length, serializeMs };
    this.nextAt = this.options.clock() + Math.max(this.options.minIntervalMs, serializeMs / this.options.maxShare);
    this.writing = this.options.target
      .writeText(text)
      .catch((error: unknown) => this.options.onError(error instanceof Error ? error : new Error(String(error))))
      .finally(() => {
        this.writing = null;
        if (this.pending) this.soon();
      });
  }
}

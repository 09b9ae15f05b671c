// Kernel work, one transaction at a time and in order: decisions, commands and repairs share one queue.

export class KernelQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  /**
   * Runs `work` after everything queued before it; with nothing queued it starts at once, so a
   * decision reaches the kernel before the state file and the log are written.
   */
  run<T>(work: () => Promise<T>): Promise<T> {
    this.pending++;
    const run = this.pending === 1 ? work() : this.tail.then(work);
    this.tail = run
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.pending--;
      });
    return run;
  }

  /** Transactions queued or running. */
  get size(): number {
    return this.pending;
  }

  /** Settles when everything queued so far has run (failed work included). */
  drained(): Promise<void> {
    return this.tail;
  }
}

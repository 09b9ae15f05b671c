// Follows one log file by path across rename and copytruncate rotation, delivering complete lines with resumable positions.
import { watch, type FSWatcher, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { SipwardenError } from '../model/errors.js';
import type { SourcePosition } from '../model/source-position.js';

/** What a rotation looked like: the path names a new file, the file shrank, or a missing file appeared. */
export type RotationKind = 'rename' | 'truncate' | 'appeared';

export interface FileFollowerOptions {
  /** Where a previous run stopped; null on a first run (start at the end of the file). */
  start: SourcePosition | null;
  /** Safety-net poll interval in ms, for filesystems where fs.watch misses events (default 250). */
  pollMs?: number;
  /** Longer lines are delivered cut to this many bytes and the rest skipped (default 65536). */
  maxLineBytes?: number;
  /** Complete lines from one read, and the position just past the last of them. */
  onLines: (lines: string[], position: SourcePosition) => void;
  /** I/O failures (reported once until the follower recovers), and errors thrown by onLines. */
  onError?: (error: Error) => void;
  onRotate?: (kind: RotationKind) => void;
}

const READ_CHUNK = 64 * 1024;
/**
 * After a rename rotation the new file may stay empty while the writer still appends to the old one
 * (logrotate `create` runs before the writer is told to reopen). The old file is kept and read until
 * the new one has data, or until the old one has been quiet this long.
 */
const ROTATE_GRACE_MS = 5000;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

/** Cuts a line to at most `max` bytes without splitting a UTF-8 sequence at the cut. */
function truncateUtf8(bytes: Buffer, max: number): Buffer {
  let cut = max;
  while (cut > 0 && max - cut < 3 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return Buffer.from(bytes.subarray(0, cut));
}

function decodeLine(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new SipwardenError('USAGE', `FileFollower: ${name}: got ${String(value)} (${typeof value}); use a positive integer`);
  }
  return value;
}

/**
 * Follows `path`: fs.watch on its directory for latency, a poll as the safety net, reads through an open fd.
 * Neither the watcher nor the poll keeps the process alive; the daemon owns that.
 */
export class FileFollower {
  private readonly path: string;
  private readonly dir: string;
  private readonly base: string;
  private readonly pollMs: number;
  private readonly maxLineBytes: number;
  private readonly onLines: FileFollowerOptions['onLines'];
  private readonly onError: FileFollowerOptions['onError'];
  private readonly onRotate: FileFollowerOptions['onRotate'];
  private readonly buffer = Buffer.allocUnsafe(READ_CHUNK);

  /** The saved position, until the first open has used it. */
  private saved: SourcePosition | null;
  /** Whether the next open is the first attempt (a first run then starts at the end). */
  private firstAttempt = true;
  private state: 'new' | 'running' | 'stopped' = 'new';

  private handle: FileHandle | null = null;
  private dev = 0;
  private ino = 0;
  /** File offset just past the last delivered (or skipped) line: the resumable position. */
  private offset = 0;
  /** File offset of the next byte to read: `offset` plus the bytes of the incomplete line. */
  private readPos = 0;
  /** The incomplete line's bytes (at most maxLineBytes). */
  private pending: Buffer = EMPTY;
  /** The incomplete line is over maxLineBytes: `pending` holds its cut head, the rest is skipped. */
  private skipping = false;
  /** Started mid-line: the first completed line is a fragment and is dropped. */
  private dropFirst = false;

  /** The path is missing or names another file while we still read the old one. */
  private detached = false;
  /** When the old file was last seen to grow (or the rotation was first seen), while detached. */
  private oldActiveAt = 0;

  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private lastError: string | null = null;

  constructor(path: string, options: FileFollowerOptions) {
    this.path = path;
    this.dir = dirname(path);
    this.base = basename(path);
    this.pollMs = positiveInteger('pollMs', options.pollMs, 250);
    this.maxLineBytes = positiveInteger('maxLineBytes', options.maxLineBytes, 65536);
    this.onLines = options.onLines;
    this.onError = options.onError;
    this.onRotate = options.onRotate;
    this.saved = options.start === null ? null : { ...options.start };
  }

  /** Starts following; the promise settles after the first read attempt (errors go to onError). */
  start(): Promise<void> {
    if (this.state !== 'new') {
      throw new SipwardenError('USAGE', `FileFollower: ${this.path}: start() called on a follower that is ${this.state}`);
    }
    this.state = 'running';
    this.ensureWatcher();
    this.timer = setInterval(() => {
      this.ensureWatcher();
      this.trigger();
    }, this.pollMs);
    this.timer.unref();
    this.trigger();
    return this.running ?? Promise.resolve();
  }

  /** Stops watching and polling, waits for a read in progress, and closes the file. No onLines after this. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.closeWatcher();
    if (this.running !== null) await this.running;
    await this.closeHandle();
  }

  /** Where a restart should resume: just past the last delivered line of the file being read. */
  position(): SourcePosition {
    if (this.handle === null && this.saved !== null) return { ...this.saved };
    return { dev: this.dev, ino: this.ino, offset: this.offset };
  }

  private get stopped(): boolean {
    return this.state === 'stopped';
  }

  private ensureWatcher(): void {
    if (this.watcher !== null || this.stopped) return;
    try {
      // Watching the directory sees appends, creation, rename and deletion of the file with one watcher.
      const watcher = watch(this.dir, { persistent: false }, (_event, filename) => {
        if (filename === null || filename === this.base || this.detached) this.trigger();
      });
      watcher.on('error', () => {
        // E.g. the directory was removed; the poll recreates the watcher when it can.
        if (this.watcher === watcher) this.closeWatcher();
      });
      this.watcher = watcher;
    } catch {
      // Missing directory or no inotify: the poll carries on and retries.
    }
  }

  private closeWatcher(): void {
    const watcher = this.watcher;
    this.watcher = null;
    watcher?.close();
  }

  private trigger(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pump();
        this.lastError = null;
      } catch (error) {
        this.report(error);
      }
    } while (this.again && !this.stopped);
    this.running = null;
  }

  private report(error: unknown): void {
    const wrapped = error instanceof Error ? error : new SipwardenError('IO', `${this.path}: ${String(error)}`, { cause: error });
    if (wrapped.message === this.lastError) return;
    this.lastError = wrapped.message;
    this.onError?.(wrapped);
  }

  private ioError(action: string, error: unknown): SipwardenError {
    const message = error instanceof Error ? error.message : String(error);
    return new SipwardenError('IO', `${this.path}: cannot ${action}: ${message}`, { cause: error });
  }

  /** One round: open if needed, read to EOF, then check the file for truncation and the path for rotation. */
  private async pump(): Promise<void> {
    if (this.handle === null && !(await this.openInitial())) return;
    for (;;) {
      await this.readToEof();
      if (this.stopped || this.handle === null) return;
      const size = await this.fileSize(this.handle);
      if (size < this.readPos) {
        this.rewind('truncate');
        continue;
      }
      const current = await this.statPath();
      if (current !== null && current.dev === this.dev && current.ino === this.ino) {
        this.detached = false;
        return;
      }
      const now = Date.now();
      if (!this.detached) {
        this.detached = true;
        this.oldActiveAt = now;
      }
      // The path is gone, or names a new file the writer has not used yet: keep reading the old one.
      if (current === null) return;
      if (current.size === 0 && now - this.oldActiveAt < ROTATE_GRACE_MS) return;
      await this.readToEof();
      if (this.stopped) return;
      await this.closeHandle();
      if (!(await this.openFrom('rename'))) return;
    }
  }

  /** Opens the path for the first time (or after it was missing), applying the saved position. */
  private async openInitial(): Promise<boolean> {
    const first = this.firstAttempt;
    this.firstAttempt = false;
    const handle = await this.tryOpen();
    if (handle === null) return false;
    if (this.stopped) {
      await handle.close().catch(() => undefined);
      return false;
    }
    const info = await this.adopt(handle);
    const saved = this.saved;
    this.saved = null;
    if (saved !== null) {
      // Same file and not shorter than where we stopped: resume exactly there. Otherwise it was
      // truncated or rotated while we were down, and all of what the path names now is new.
      if (saved.dev === info.dev && saved.ino === info.ino && saved.offset <= info.size) this.resetTo(saved.offset);
    } else if (first) {
      await this.seekToEnd(info.size);
    }
    if (!first) this.onRotate?.('appeared');
    return true;
  }

  /** Opens the path after a rename rotation: the new file is read from its start. */
  private async openFrom(kind: 'rename'): Promise<boolean> {
    const handle = await this.tryOpen();
    if (handle === null) {
      this.detached = false;
      return false;
    }
    await this.adopt(handle);
    this.onRotate?.(kind);
    return true;
  }

  /** Makes a newly opened file the one being read, from its start; its stat (dev, ino, size). */
  private async adopt(handle: FileHandle): Promise<Stats> {
    const info = await handle.stat().catch(async (error: unknown) => {
      await handle.close().catch(() => undefined);
      throw this.ioError('stat the open file', error);
    });
    this.handle = handle;
    this.dev = info.dev;
    this.ino = info.ino;
    this.detached = false;
    this.resetTo(0);
    return info;
  }

  private async tryOpen(): Promise<FileHandle | null> {
    try {
      return await open(this.path, 'r');
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return null;
      throw this.ioError('open', error);
    }
  }

  /** First run: start at the beginning of the last, incomplete line (so it is delivered whole once ended). */
  private async seekToEnd(size: number): Promise<void> {
    if (size === 0 || this.handle === null) return;
    const window = Math.min(size, this.maxLineBytes + 1);
    const tail = Buffer.allocUnsafe(window);
    const { bytesRead } = await this.read(this.handle, tail, size - window);
    const lastNewline = tail.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (lastNewline !== -1) {
      this.resetTo(size - window + lastNewline + 1);
    } else if (window === size) {
      this.resetTo(0);
    } else {
      this.resetTo(size);
      this.dropFirst = true;
    }
  }

  private resetTo(offset: number): void {
    this.offset = offset;
    this.readPos = offset;
    this.pending = EMPTY;
    this.skipping = false;
    this.dropFirst = false;
  }

  private rewind(kind: 'truncate'): void {
    this.resetTo(0);
    this.onRotate?.(kind);
  }

  private async read(handle: FileHandle, target: Buffer, position: number): Promise<{ bytesRead: number }> {
    try {
      return await handle.read(target, 0, target.length, position);
    } catch (error) {
      throw this.ioError('read', error);
    }
  }

  private async fileSize(handle: FileHandle): Promise<number> {
    try {
      return (await handle.stat()).size;
    } catch (error) {
      throw this.ioError('stat the open file', error);
    }
  }

  private async statPath(): Promise<{ dev: number; ino: number; size: number } | null> {
    try {
      return await stat(this.path);
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return null;
      throw this.ioError('stat', error);
    }
  }

  /** Reads the open file from readPos to its end, delivering complete lines after each read. */
  private async readToEof(): Promise<void> {
    for (;;) {
      const handle = this.handle;
      if (handle === null || this.stopped) return;
      // At a line start past 0, read from one byte earlier: that byte must still be the newline we
      // ended on. If not, the file was truncated and grew past our offset before we looked (copytruncate).
      const verify = this.readPos === this.offset && this.offset > 0 && !this.dropFirst;
      const from = verify ? this.readPos - 1 : this.readPos;
      const { bytesRead } = await this.read(handle, this.buffer, from);
      if (this.stopped || handle !== this.handle) return;
      let data = this.buffer.subarray(0, bytesRead);
      if (verify) {
        if (bytesRead === 0) return;
        if (data[0] !== NEWLINE) {
          this.rewind('truncate');
          continue;
        }
        data = data.subarray(1);
      }
      if (data.length === 0) return;
      if (this.detached) this.oldActiveAt = Date.now();
      const lines = this.consume(data);
      if (lines.length > 0) this.onLines(lines, this.position());
    }
  }

  /** Splits bytes read at readPos into complete lines, keeping the incomplete rest (bounded). */
  private consume(data: Buffer): string[] {
    const lines: string[] = [];
    const base = this.readPos;
    let i = 0;
    while (i < data.length) {
      const newline = data.indexOf(NEWLINE, i);
      if (newline === -1) {
        this.keep(data.subarray(i));
        break;
      }
      let bytes: Buffer;
      if (this.skipping) bytes = this.pending;
      else if (this.pending.length === 0) bytes = data.subarray(i, newline);
      else bytes = Buffer.concat([this.pending, data.subarray(i, newline)]);
      if (bytes.length > this.maxLineBytes) bytes = truncateUtf8(bytes, this.maxLineBytes);
      if (this.dropFirst) this.dropFirst = false;
      else lines.push(decodeLine(bytes));
      this.pending = EMPTY;
      this.skipping = false;
      this.offset = base + newline + 1;
      i = newline + 1;
    }
    this.readPos = base + data.length;
    return lines;
  }

  private keep(rest: Buffer): void {
    if (this.skipping) return;
    const joined = this.pending.length === 0 ? Buffer.from(rest) : Buffer.concat([this.pending, rest]);
    if (joined.length <= this.maxLineBytes) {
      this.pending = joined;
    } else {
      this.pending = truncateUtf8(joined, this.maxLineBytes);
      this.skipping = true;
    }
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle !== null) await handle.close().catch(() => undefined);
  }
}

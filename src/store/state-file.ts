// The state file: lowdb over an adapter that writes atomically, root-only, and never hides corruption.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, chmodSync, writeSync } from 'node:fs';
import { chmod, open, rename } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { LowSync, type SyncAdapter } from 'lowdb';
import { SipwardenError } from '../model/errors.js';
import { emptyState, type StateData } from './state.js';

/** JSON file adapter: temp file (0600) + fsync + rename, so a crash leaves the old or the new file. */
export class SecureJsonFile implements SyncAdapter<StateData> {
  constructor(private readonly path: string) {}

  read(): StateData | null {
    if (!existsSync(this.path)) return null;
    const text = readFileSync(this.path, 'utf8');
    try {
      const data = JSON.parse(text) as unknown;
      if (!isStateData(data)) throw new Error('not a sipwarden state file');
      return data;
    } catch (error) {
      // Keep the evidence: move it aside instead of silently starting over.
      const aside = join(dirname(this.path), `${basename(this.path)}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      renameSync(this.path, aside);
      throw new SipwardenError(
        'IO',
        `${this.path}: corrupt state file (${(error as Error).message}); moved aside to ${aside}, the next start begins with empty state`,
        { cause: error },
      );
    }
  }

  write(data: StateData): void {
    const temp = this.tempPath();
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(data));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temp, 0o600);
    renameSync(temp, this.path);
  }

  /** The same atomic write of text already serialized, without blocking the event loop on the disk. */
  async writeText(text: string): Promise<void> {
    const temp = this.tempPath();
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600);
    await rename(temp, this.path);
  }

  private tempPath(): string {
    return join(dirname(this.path), `.${basename(this.path)}.tmp`);
  }
}

function isStateData(value: unknown): value is StateData {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.version === 1 &&
    Array.isArray(v.allow) &&
    Array.isArray(v.deny) &&
    Array.isArray(v.dynamic) &&
    typeof v.strikes === 'object' &&
    typeof v.positions === 'object'
  );
}

export const STATE_FILE = 'state.json';

/** Opens the state under `stateDir` (created 0700), reading it once. */
export function openStateFile(stateDir: string): LowSync<StateData> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  const db = new LowSync<StateData>(new SecureJsonFile(join(stateDir, STATE_FILE)), emptyState());
  db.read();
  return db;
}

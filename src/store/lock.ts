// The store's lock: the daemon holds it while it runs; a CLI command takes it for one edit.
import lockfile from 'proper-lockfile';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SipwardenError } from '../model/errors.js';

const LOCK_TARGET = 'state.json';

/** Takes the lock on the state directory, or says who holds it. */
export async function lockStore(stateDir: string, options: { wait: boolean }): Promise<() => Promise<void>> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  try {
    return await lockfile.lock(join(stateDir, LOCK_TARGET), {
      realpath: false,
      // A daemon killed with -9 leaves its lock; it counts as stale 5 s after its last refresh,
      // so a restart by systemd waits at most that long.
      stale: 5000,
      update: 1000,
      lockfilePath: join(stateDir, 'sipwarden.lock'),
      retries: options.wait ? { retries: 40, minTimeout: 100, maxTimeout: 300 } : 0,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new SipwardenError('DAEMON', `${stateDir} is locked by another sipwarden process (a running daemon, or a command still at work)`, { cause: error });
    }
    throw new SipwardenError('IO', `cannot lock ${stateDir}: ${(error as Error).message}`, { cause: error });
  }
}

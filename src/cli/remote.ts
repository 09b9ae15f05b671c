// Commands go to the running daemon over its socket, or work on the store directly when none runs.
import { join } from 'node:path';
import { SipwardenError, type ErrorCode } from '../model/errors.js';
import { sendRequest } from '../daemon/control-socket.js';
import type { Request } from '../daemon/protocol.js';
import type { StoreContext } from '../daemon/operations.js';
import { hostAddresses } from '../daemon/host-addresses.js';
import { BlockStore } from '../store/block-store.js';
import { loadContext, type CommandContext } from '../config/context.js';

export interface RemoteOptions {
  configPath: string | undefined;
  /** false: change the store only, leave the kernel alone. */
  kernel: boolean;
}

export interface Outcome<T> {
  result: T;
  /** Whether a running daemon answered. */
  viaDaemon: boolean;
  context: CommandContext;
}

const CODES: readonly ErrorCode[] = ['CONFIG_INVALID', 'CONFIG_NOT_FOUND', 'RULES_INVALID', 'USAGE', 'IO', 'NOT_FOUND', 'KERNEL', 'DAEMON', 'MAIL'];

/**
 * Runs a request: through the daemon when it answers; otherwise `direct` runs on the store under its
 * lock (`mutates`), or on a read-only view of it.
 */
export async function runRequest<T>(
  options: RemoteOptions,
  request: Request,
  mutates: boolean,
  direct: (ctx: StoreContext) => Promise<T>,
): Promise<Outcome<T>> {
  const context = loadContext(options.configPath);
  const answer = await sendRequest(context.config.daemon.socket, request);
  if (answer !== null) {
    if (answer.ok) return { result: answer.result as T, viaDaemon: true, context };
    const code = (CODES as readonly string[]).includes(answer.error.code) ? (answer.error.code as ErrorCode) : 'DAEMON';
    throw new SipwardenError(code, answer.error.message, { details: answer.error.details });
  }
  // Loaded only here: a command answered by the daemon never pays for them.
  const [{ Journal }, { createEnforcer }, { openStateFile }, { lockStore }] = await Promise.all([
    import('../act/journal/journal.js'),
    import('../act/enforcer/create.js'),
    import('../store/state-file.js'),
    import('../store/lock.js'),
  ]);
  const stateDir = context.config.stateDir;
  const release = mutates ? await lockStore(stateDir, { wait: true }) : null;
  try {
    const db = openStateFile(stateDir);
    const journal = Journal.open(join(stateDir, 'journal'), { readOnly: true });
    const ctx: StoreContext = {
      config: context.config,
      store: new BlockStore(db.data, () => context.config.allowlist),
      journal,
      enforcer: options.kernel && mutates ? createEnforcer({ config: context.config }) : null,
      hostAddresses: hostAddresses(),
      now: Date.now(),
    };
    const result = await direct(ctx);
    if (mutates) db.write();
    return { result, viaDaemon: false, context };
  } finally {
    if (release !== null) await release();
  }
}

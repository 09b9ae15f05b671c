// Gathers what a report needs: from the running daemon, or from the journal, the store and the kernel's counters.
import { accessSync, constants, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import { SipwardenError } from '../model/errors.js';
import { Journal } from '../act/journal/journal.js';
import { buildReport, type KernelCounters, type Report } from '../act/notify/report.js';
import { SecureJsonFile, STATE_FILE } from '../store/state-file.js';
import { emptyState } from '../store/state.js';
import { sendRequest } from '../daemon/control-socket.js';

/** Kernel counters read directly when root (no daemon runs), else why not. */
async function kernelCounters(config: Config): Promise<KernelCounters> {
  if (process.getuid?.() !== 0) return { unavailable: 'needs root' };
  try {
    const { createEnforcer } = await import('../act/enforcer/create.js');
    const backend = createEnforcer({ config });
    if (backend.counters === undefined) return { unavailable: 'the backend has no counters' };
    return { counters: await backend.counters() };
  } catch (error) {
    return { unavailable: (error as Error).message.split('\n')[0] ?? 'unreadable' };
  }
}

/**
 * The report for a period: from the running daemon (the only reader and writer of its files while it
 * runs), else from the store under `stateDir`, read-only.
 */
export async function collectReport(config: Config, period: { from: number; to: number }, options: { now: number; top: number }): Promise<Report> {
  const answer = await sendRequest(config.daemon.socket, { command: 'report', from: period.from, to: period.to, top: options.top });
  if (answer !== null) {
    if (answer.ok) return answer.result as Report;
    throw new SipwardenError('DAEMON', answer.error.message, { details: answer.error.details });
  }
  return reportFromStore(config, period, options);
}

/** The report for a period from the store under `stateDir`; nothing is written. */
async function reportFromStore(config: Config, period: { from: number; to: number }, options: { now: number; top: number }): Promise<Report> {
  // An unreadable state folder would look like an empty journal: a report of zeros that is wrong.
  if (existsSync(config.stateDir)) {
    try {
      accessSync(config.stateDir, constants.R_OK | constants.X_OK);
    } catch (error) {
      throw new SipwardenError(
        'IO',
        `${config.stateDir}: cannot read the state and journal (${(error as NodeJS.ErrnoException).code ?? 'denied'}); run sipwarden report as root`,
      );
    }
  }
  const journal = Journal.open(join(config.stateDir, 'journal'), { readOnly: true });
  try {
    const state = new SecureJsonFile(join(config.stateDir, STATE_FILE)).read() ?? emptyState();
    return buildReport({
      journal,
      state,
      allowlist: config.allowlist,
      ipv6Prefix: config.blocking.ipv6Prefix,
      limiterEnabled: config.invite.rateLimit.enabled,
      period,
      clock: { now: () => options.now },
      host: hostname(),
      kernel: await kernelCounters(config),
      top: options.top,
    });
  } finally {
    journal.close();
  }
}

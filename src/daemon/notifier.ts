// Permanent-block alerts from the daemon: batched, mailed on a timer, retried with backoff, kept across restarts.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../model/clock.js';
import type { Decision } from '../model/decision.js';
import type { Config } from '../config/types.js';
import { formatDuration } from '../config/duration.js';
import type { Journal } from '../act/journal/journal.js';
import { AlertBatcher, alertFromDecision, EVIDENCE_LIMIT, type AlertBatch, type AlertStrike, type BlockAlert } from '../act/notify/alerts.js';
import { alertMail } from '../act/notify/message.js';
import { DETAIL_LIMIT } from '../act/notify/render-text.js';
import { sendMail } from '../act/notify/mailer.js';
import type { DaemonLog } from './log.js';

/** Undelivered alerts live here between runs (mode 0600, beside state.json). */
export const PENDING_ALERTS_FILE = 'alerts-pending.json';
/** The journal is searched this far before the first strike: a PBX logging in another time zone skews entry times. */
const EVIDENCE_LOOKBACK_MS = 86_400_000;
const PUMP_MS = 1000;
const STOP_WAIT_MS = 5000;

export interface NotifierOptions {
  config: Config;
  journal: Journal;
  log: DaemonLog;
  clock: Clock;
  /** Extra trusted CA (PEM) for the SMTP server's certificate. */
  ca?: string;
  /** The host name mails are about; default this machine's. */
  host?: string;
  /** Backoff after a failed mail, ms (default 30 s, doubling up to 30 min). */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** How often the timer looks for a due mail, ms (default 1 s); null: no timer, `pump()` is called by hand. */
  pumpMs?: number | null;
}

function isAlert(value: unknown): value is BlockAlert {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.time === 'number' && typeof v.target === 'string' && typeof v.attacker === 'string' && typeof v.note === 'string' && Array.isArray(v.strikes);
}

export class Notifier {
  private config: Config;
  private readonly batcher: AlertBatcher<BlockAlert>;
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private dirty = false;
  private readonly host: string;

  constructor(private readonly options: NotifierOptions) {
    this.config = options.config;
    this.host = options.host ?? hostname();
    this.batcher = new AlertBatcher<BlockAlert>({
      clock: options.clock,
      minIntervalMs: options.config.notifications.minInterval,
      ...(options.retryInitialMs === undefined ? {} : { retryInitialMs: options.retryInitialMs }),
      ...(options.retryMaxMs === undefined ? {} : { retryMaxMs: options.retryMaxMs }),
    });
  }

  private get path(): string {
    return join(this.config.stateDir, PENDING_ALERTS_FILE);
  }

  /** Loads alerts left undelivered by the last run and starts the send timer. */
  start(): void {
    this.load();
    const every = this.options.pumpMs === undefined ? PUMP_MS : this.options.pumpMs;
    if (every === null) return;
    this.timer = setInterval(() => void this.pump(), every);
    this.timer.unref();
  }

  /** A reloaded config: new SMTP settings, recipients and interval apply to the next mail. */
  configure(config: Config): void {
    this.config = config;
    this.batcher.setMinInterval(config.notifications.minInterval);
  }

  /** Alerts waiting to be mailed, a mail in flight included. */
  get undelivered(): number {
    return this.batcher.undelivered().length;
  }

  /** Permanent decisions made by escalation become alerts, with their strikes and journal entries. */
  onDecisions(decisions: readonly Decision[], strikesOf: (target: string) => readonly AlertStrike[]): void {
    if (this.config.notifications.smtp === null) return;
    for (const decision of decisions) {
      if (decision.type !== 'permanent') continue;
      const strikes = strikesOf(decision.target);
      // Only alerts that the mail will show in detail are worth a journal query (a campaign adds thousands).
      let evidence: BlockAlert['evidence'] = null;
      if (this.batcher.waiting < DETAIL_LIMIT) {
        try {
          const since = Math.min(decision.time, ...strikes.map((s) => s.time)) - EVIDENCE_LOOKBACK_MS;
          const page = this.options.journal.query({ attacker: decision.attacker, since, perPage: EVIDENCE_LIMIT });
          evidence = { total: page.total, entries: page.entries };
        } catch (error) {
          this.options.log.warning(`mail: cannot read the attack journal for ${decision.attacker}: ${(error as Error).message}`);
        }
      }
      this.batcher.add(alertFromDecision(decision, strikes, evidence));
      this.dirty = true;
    }
  }

  /** Sends a mail when one is due; resolves when that send has finished (tests drive this by hand). */
  async pump(): Promise<void> {
    if (this.sending !== null) return this.sending;
    if (this.dirty) this.save();
    const smtp = this.config.notifications.smtp;
    if (smtp === null) return;
    const batch = this.batcher.take();
    if (batch === null) return;
    this.sending = this.send(batch).finally(() => {
      this.sending = null;
    });
    return this.sending;
  }

  private async send(batch: AlertBatch<BlockAlert>): Promise<void> {
    const { smtp, to } = this.config.notifications;
    if (smtp === null) {
      this.batcher.failed(batch.id);
      return;
    }
    const what = `alert for ${batch.items.length} permanent block(s)`;
    try {
      await sendMail({ smtp, to, ...(this.options.ca === undefined ? {} : { ca: this.options.ca }) }, alertMail(batch.items, this.host));
      this.batcher.delivered(batch.id);
      this.options.log.info(`mail: ${what} sent to ${to.join(', ')}${batch.attempt > 1 ? ` (attempt ${batch.attempt})` : ''}`);
    } catch (error) {
      const retryAt = this.batcher.failed(batch.id);
      const wait = formatDuration(Math.max(0, Math.round((retryAt - this.options.clock.now()) / 1000) * 1000));
      this.options.log.error(`${(error as Error).message}; ${what} kept, retry in ${wait} (attempt ${batch.attempt} failed)`);
    }
    this.save();
  }

  /** Stops the timer, waits briefly for a mail in flight, and keeps what is undelivered for the next run. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.sending !== null) {
      // A hung server must not hold up shutdown; an unfinished mail is kept and sent again next run.
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([this.sending, new Promise<void>((resolve) => (timeout = setTimeout(resolve, STOP_WAIT_MS)))]);
      clearTimeout(timeout);
    }
    this.save();
  }

  private load(): void {
    if (!existsSync(this.path)) return;
    try {
      const raw = JSON.parse(readFileSync(this.path, 'utf8')) as { alerts?: unknown };
      const alerts = Array.isArray(raw.alerts) ? raw.alerts.filter(isAlert) : [];
      for (const alert of alerts) this.batcher.add(alert);
      if (alerts.length > 0) this.options.log.info(`mail: ${alerts.length} undelivered alert(s) from the last run will be sent`);
    } catch (error) {
      this.options.log.warning(`mail: ${this.path}: unreadable, undelivered alerts from the last run are lost: ${(error as Error).message}`);
    }
  }

  private save(): void {
    this.dirty = false;
    const alerts = this.batcher.undelivered();
    if (alerts.length === 0 && !existsSync(this.path)) return;
    const temp = `${this.path}.tmp`;
    try {
      const fd = openSync(temp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify({ version: 1, alerts }));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.path);
    } catch (error) {
      this.options.log.error(`mail: cannot save undelivered alerts to ${this.path}: ${(error as Error).message}`);
    }
  }
}

// The daemon: the only owner of timers, the socket and the store; wires sources to the kernel.
import type { Server } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LowSync } from 'lowdb';
import { SipwardenError } from '../model/errors.js';
import type { AttackEvent } from '../model/event.js';
import type { Decision } from '../model/decision.js';
import type { Clock } from '../model/clock.js';
import type { Config } from '../config/types.js';
import { LineParser } from '../parse/parse-line.js';
import { DetectionEngine } from '../decide/decide.js';
import { limiterParameters } from '../config/limiter.js';
import { Journal } from '../act/journal/journal.js';
import type { JournalEntry } from '../act/journal/entry.js';
import { createEnforcer } from '../act/enforcer/create.js';
import { Spawner } from '../act/enforcer/spawner.js';
import type { EnforcerBackend } from '../act/enforcer/backend.js';
import { FileFollower } from '../sources/file-tail.js';
import { NflogSource, type PacketEvidence } from '../sources/nflog.js';
import { UserAgentMatcher } from '../detect/user-agents.js';
import { packetEvent } from './packet-evidence.js';
import { IdleCollector } from './idle-gc.js';
import { expireBlocks, recordDecisions, type StateData } from '../store/state.js';
import { openStateFile, SecureJsonFile, STATE_FILE } from '../store/state-file.js';
import { StateSaver } from '../store/state-saver.js';
import { lockStore } from '../store/lock.js';
import { loadContext, type RuleLibrary } from '../config/context.js';
import { listenControlSocket } from './control-socket.js';
import type { Request } from './protocol.js';
import {
  allowAddOperation,
  allowlistOf,
  allowRemoveOperation,
  attackSummary,
  blockOperation,
  desiredState,
  listEntries,
  logsOperation,
  unblockOperation,
  type StoreContext,
} from './operations.js';
import type { DaemonLog } from './log.js';
import { hostAddresses } from './host-addresses.js';
import { Notifier } from './notifier.js';

export interface DaemonOptions {
  configPath: string | undefined;
  log: DaemonLog;
  clock: Clock;
  teardownOnExit: boolean;
}

interface SourceCounters {
  path: string;
  format: string;
  lines: number;
  events: number;
  malformed: number;
}

/** State is written at most this often while events stream in. */
const STATE_FLUSH_MS = 1000;
/** Serializing the state may take at most this share of the daemon's time (see StateSaver). */
const STATE_SERIALIZE_SHARE = 0.05;
const TICK_MS = 1000;
/** How often the periodic reconcile reads every element back from the kernel (see `reconcile`). */
const FULL_RECONCILE_MS = 600_000;
/** A status summary over this many journal entries gives its memory back once quiet, at most every LARGE_WORK_EVERY_MS. */
const LARGE_SUMMARY_ENTRIES = 100_000;
const LARGE_WORK_EVERY_MS = 600_000;
const RETENTION_EVERY_MS = 6 * 3_600_000;

export class Daemon {
  private config!: Config;
  private rules!: RuleLibrary;
  private db!: LowSync<StateData>;
  private journal!: Journal;
  private enforcer!: EnforcerBackend;
  private engine!: DetectionEngine;
  private notifier: Notifier | null = null;
  private parsers = new Map<string, LineParser>();
  private followers: FileFollower[] = [];
  private nflog: NflogSource | null = null;
  private userAgents = new UserAgentMatcher([]);
  private counters: SourceCounters[] = [];
  private server: Server | null = null;
  private releaseLock: (() => Promise<void>) | null = null;
  private timers: NodeJS.Timeout[] = [];
  private kernelQueue: Promise<void> = Promise.resolve();
  /** Kernel transactions queued or running. */
  private kernelPending = 0;
  /** Fallback-limit log count already warned about. */
  private fallbackSeen = 0;
  /** When the last full reconcile started, on the monotonic clock (a wall-clock step must not stop them). */
  private fullReconcileAt = 0;
  private largeWorkAt = -Infinity;
  private saver: StateSaver | null = null;
  /** Runs nft / iptables from a small child process (see spawner.ts); started before the heap grows. */
  private spawner: Spawner | null = null;
  private readonly host = hostAddresses();
  private readonly idle = new IdleCollector();
  private readonly startedAt: number;
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: DaemonOptions) {
    this.startedAt = options.clock.now();
  }

  private get log(): DaemonLog {
    return this.options.log;
  }

  private get state(): StateData {
    return this.db.data;
  }

  /** Loads everything, repairs the kernel, and starts reading. */
  async start(): Promise<void> {
    this.spawner = new Spawner();
    const context = loadContext(this.options.configPath);
    this.config = context.config;
    this.rules = context.rules;
    // Every configured format compiles now: a broken rule file stops the start, not a later line.
    this.rules.get([...new Set(this.config.sources.map((s) => s.format))]);
    this.releaseLock = await lockStore(this.config.stateDir, { wait: true });
    this.db = openStateFile(this.config.stateDir);
    this.saver = new StateSaver({
      target: new SecureJsonFile(join(this.config.stateDir, STATE_FILE)),
      data: () => {
        this.syncStrikes();
        return this.state;
      },
      clock: () => performance.now(),
      minIntervalMs: STATE_FLUSH_MS,
      maxShare: STATE_SERIALIZE_SHARE,
      onError: (error) => this.log.error(`state: cannot write: ${error.message}`),
    });
    this.journal = Journal.open(join(this.config.stateDir, 'journal'));
    for (const problem of this.journal.problems) this.log.warning(`journal: ${problem}`);
    this.enforcer = createEnforcer({ config: this.config, ...(this.spawner === null ? {} : { runner: this.spawner.runner }) });
    this.engine = this.buildEngine();
    const now = this.options.clock.now();
    expireBlocks(this.state, now);
    const result = await this.enforcer.reconcile(desiredState(this.config, this.state), now);
    this.fullReconcileAt = performance.now();
    this.log.info(
      `kernel ${this.enforcer.name}: ${result.rebuilt ? 'ruleset loaded' : 'ruleset in place'}, ${this.state.dynamic.length} dynamic and ${this.state.deny.length} permanent block(s)`,
    );
    this.server = await listenControlSocket(this.config.daemon.socket, (request) => this.handle(request));
    this.notifier = new Notifier({ config: this.config, journal: this.journal, log: this.log, clock: this.options.clock });
    this.notifier.start();
    this.startSources();
    this.timers.push(setInterval(() => this.tick(), TICK_MS));
    this.timers.push(setInterval(() => void this.reconcile(true), this.config.daemon.reconcileInterval));
    this.timers.push(setInterval(() => this.pruneJournal(), RETENTION_EVERY_MS));
    this.pruneJournal();
    this.log.info(`sipwarden daemon started (pid ${process.pid}), following ${this.config.sources.length} source(s)`);
  }

  private buildEngine(): DetectionEngine {
    const engine = new DetectionEngine({ config: this.config, hostAddresses: this.host });
    engine.setAllowlist(allowlistOf(this.config, this.state));
    engine.restore({
      dynamic: this.state.dynamic.map((d) => [d.target, d.until] as [string, number]),
      permanent: this.state.deny.map((d) => d.target),
      strikes: Object.entries(this.state.strikes),
    });
    return engine;
  }

  private parserFor(format: string): LineParser {
    let parser = this.parsers.get(format);
    if (parser === undefined) {
      parser = new LineParser(this.rules.get([format]), { kernelPrefixes: this.config.kernel.prefixes, time: { now: Date.now(), bootTime: Date.now() } });
      this.parsers.set(format, parser);
    }
    return parser;
  }

  private startSources(): void {
    this.userAgents = new UserAgentMatcher(this.config.blocking.userAgents);
    if (this.config.kernel.evidence === 'nflog') {
      const group = this.config.kernel.nflogGroup;
      this.nflog = new NflogSource({
        group,
        onEvidence: (list) => this.onPackets(`nflog:${group}`, list),
        onError: (error) => this.log.error(`nflog:${group}: ${error.message}`),
      });
      this.nflog.start();
    }
    this.counters = this.config.sources.map((s) => ({ path: s.path, format: s.format, lines: 0, events: 0, malformed: 0 }));
    this.followers = this.config.sources.map((source, i) => {
      const counters = this.counters[i] as SourceCounters;
      const parser = this.parserFor(source.format);
      const follower = new FileFollower(source.path, {
        start: this.state.positions[source.path] ?? null,
        onLines: (lines, position) => this.onLines(source.path, parser, counters, lines, position),
        onError: (error) => this.log.error(`${source.path}: ${error.message}`),
        onRotate: (kind) => this.log.info(`${source.path}: ${kind === 'appeared' ? 'appeared' : `rotated (${kind})`}; reading the new file from its start`),
      });
      follower.start();
      return follower;
    });
  }

  private onLines(path: string, parser: LineParser, counters: SourceCounters, lines: string[], position: StateData['positions'][string]): void {
    const now = this.options.clock.now();
    parser.setTimeReference({ now: now + 60_000, bootTime: now - process.uptime() * 1000 });
    const entries: JournalEntry[] = [];
    const decisions: Decision[] = [];
    counters.lines += lines.length;
    this.idle.saw(lines.length, now);
    for (const line of lines) {
      const outcome = parser.parse(line, path, now);
      if (outcome.type === 'unmatched') continue;
      if (outcome.type === 'malformed') {
        counters.malformed++;
        continue;
      }
      counters.events++;
      const event = outcome.event;
      entries.push(toEntry(event));
      // Live decisions run on the daemon's clock: a PBX logging in another time zone cannot skew block times.
      decisions.push(...this.engine.handle({ ...event, time: now }).decisions);
    }
    if (entries.length > 0) this.journal.append(entries);
    this.state.positions[path] = position;
    this.saver?.soon();
    if (decisions.length > 0) this.commit(decisions, now);
  }

  /** Packets the kernel logged: journaled with their User-Agent and victim, then decided on. */
  private onPackets(source: string, list: readonly PacketEvidence[]): void {
    const now = this.options.clock.now();
    const entries: JournalEntry[] = [];
    const decisions: Decision[] = [];
    for (const evidence of list) {
      const event = packetEvent(evidence, this.userAgents, source);
      if (event === null) continue;
      entries.push(toEntry(event));
      decisions.push(...this.engine.handle({ ...event, time: now }).decisions);
    }
    if (entries.length > 0) this.journal.append(entries);
    if (decisions.length > 0) this.commit(decisions, now);
  }

  /** Records decisions, sends them to the kernel at once, and logs them. */
  private commit(decisions: Decision[], now: number): void {
    // The kernel first: with nothing queued, the transaction starts now, before the state file
    // and the log are written.
    this.enqueueKernel(() => this.enforcer.apply(decisions, now)).catch((error: unknown) =>
      this.log.error(`kernel: ${(error as Error).message}; the next reconcile retries`),
    );
    recordDecisions(this.state, decisions);
    for (const decision of decisions) this.log.decision(decision);
    // Permanent decisions here come from escalation (hand blocks go through handle()): mail them.
    this.notifier?.onDecisions(decisions, (target) => this.engine.strikesOf(target));
    this.saver?.soon();
  }

  private syncStrikes(): void {
    const strikes: StateData['strikes'] = {};
    for (const [target, list] of this.engine.strikeEntries()) strikes[target] = [...list];
    this.state.strikes = strikes;
  }

  private tick(): void {
    const now = this.options.clock.now();
    this.engine.tick(now);
    this.idle.tick(now);
    if (expireBlocks(this.state, now).length > 0) this.saver?.soon();
  }

  /**
   * Repairs the kernel's table. The periodic pass is quick (the table's structure, and the elements
   * against what the daemon put there); every FULL_RECONCILE_MS, and after a reload, every element is
   * read back too, which at 100,000 blocks costs nft a second or more and holds up blocks queued
   * behind it.
   */
  private async reconcile(periodic = false): Promise<void> {
    const now = this.options.clock.now();
    const quick = periodic && performance.now() - this.fullReconcileAt < FULL_RECONCILE_MS;
    if (!quick) this.fullReconcileAt = performance.now();
    try {
      const result = await this.enqueueKernel(() => this.enforcer.reconcile(desiredState(this.config, this.state), now, { quick }));
      if (result.rebuilt) this.log.warning('kernel: sipwarden table was missing or changed; rebuilt it');
      else if (result.added + result.removed + result.refreshed > 0) {
        this.log.info(`kernel: repaired ${result.added} missing, ${result.removed} stray and ${result.refreshed} stale element(s)`);
      }
    } catch (error) {
      this.log.error(`kernel: reconcile failed: ${(error as Error).message}`);
    }
    await this.warnAboutCapacity();
  }

  /**
   * A full limiter set must never go unnoticed: sources it cannot take fall under the shared
   * fallback limit (logged by the kernel), and the administrator should raise kernel.setSizes.
   */
  private async warnAboutCapacity(): Promise<void> {
    const backend = this.enforcer;
    try {
      const counters = backend.counters === undefined ? {} : await backend.counters();
      const fallback = counters.fallback_logged ?? 0;
      if (fallback > this.fallbackSeen) {
        this.log.warning(
          `kernel: the INVITE limiter set is full; ${fallback - this.fallbackSeen} source(s) fell under the shared fallback limit; raise kernel.setSizes.limiter`,
        );
      }
      this.fallbackSeen = fallback;
      // The limiter's own sets are not listed every time: a full one shows in the fallback counter.
      for (const set of backend.fill === undefined ? [] : await backend.fill({ packetSets: false, now: this.options.clock.now() })) {
        if (set.size > 0 && set.elements >= 0.9 * set.size) {
          this.log.warning(
            `kernel: set ${set.name} is ${Math.round((100 * set.elements) / set.size)}% full (${set.elements} of ${set.size}); raise kernel.setSizes`,
          );
        }
      }
    } catch (error) {
      this.log.warning(`kernel: cannot read counters: ${(error as Error).message.split('\n')[0] ?? ''}`);
    }
  }

  private pruneJournal(): void {
    const days = Math.max(1, Math.round(this.config.journal.retention / 86_400_000));
    const removed = this.journal.prune(this.options.clock.now(), days);
    if (removed.length > 0) this.log.info(`journal: removed ${removed.length} segment(s) older than ${days} days`);
  }

  private context(): StoreContext {
    return { config: this.config, state: this.state, journal: this.journal, enforcer: this.enforcer, hostAddresses: this.host, now: this.options.clock.now() };
  }

  /** One control-socket request; the daemon is the store's only writer. */
  private async handle(request: Request): Promise<unknown> {
    const ctx = this.context();
    switch (request.command) {
      case 'status':
        return this.status();
      case 'list':
        return listEntries(ctx, request.list);
      case 'logs':
        return logsOperation(this.journal, request.query);
      case 'block': {
        const row = await this.serialized(() => blockOperation(ctx, request));
        this.engine.restore(row.until === null ? { permanent: [row.target] } : { dynamic: [[row.target, row.until]] });
        this.log.info(`block ${row.target} by hand${row.until === null ? ' (permanent)' : ''}`);
        await this.saver?.now();
        return row;
      }
      case 'unblock': {
        const result = await this.serialized(() => unblockOperation(ctx, request.target, request.forget));
        this.engine.unblock(result.target, request.forget);
        this.log.info(`unblock ${result.target} by hand`);
        await this.saver?.now();
        return result;
      }
      case 'allow-add': {
        const result = await this.serialized(() => allowAddOperation(ctx, request.target, request.note));
        this.engine.setAllowlist(allowlistOf(this.config, this.state));
        for (const target of result.lifted) this.engine.unblock(target, false);
        this.log.info(`allow ${result.target}${result.lifted.length > 0 ? `; lifted ${result.lifted.join(', ')}` : ''}`);
        await this.saver?.now();
        return result;
      }
      case 'allow-remove': {
        const result = await this.serialized(() => allowRemoveOperation(ctx, request.target));
        this.engine.setAllowlist(allowlistOf(this.config, this.state));
        this.log.info(`allowlist: removed ${result.target}`);
        await this.saver?.now();
        return result;
      }
    }
  }

  /**
   * Kernel work runs one transaction at a time, in order; with nothing queued it starts at once,
   * so a decision reaches the kernel before the state file and log are written.
   */
  private enqueueKernel<T>(work: () => Promise<T>): Promise<T> {
    this.kernelPending++;
    const run = this.kernelPending === 1 ? work() : this.kernelQueue.then(work);
    this.kernelQueue = run
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.kernelPending--;
      });
    return run;
  }

  /** Kernel work from commands waits its turn behind the decisions already queued. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    return this.enqueueKernel(work);
  }

  async status(): Promise<Record<string, unknown>> {
    const now = this.options.clock.now();
    const rate = this.config.invite.rateLimit;
    const limiter = limiterParameters(rate);
    let kernel: Record<string, unknown>;
    try {
      const backend = this.enforcer;
      kernel = {
        counters: backend.counters === undefined ? null : await backend.counters(),
        sets: backend.fill === undefined ? null : await backend.fill(),
      };
    } catch (error) {
      kernel = { error: (error as Error).message };
    }
    // Counting a day's attackers builds a map of every one of them (a million after a flood): the
    // memory it takes is given back once the daemon is quiet, as after a burst of evidence.
    const attacks = attackSummary(this.journal, now - 86_400_000);
    const entries = Object.values(attacks.byKind).reduce((a, b) => a + b, 0);
    // Not after every status a monitoring script asks for: the compacting collection pauses the daemon.
    if (entries >= LARGE_SUMMARY_ENTRIES && performance.now() - this.largeWorkAt >= LARGE_WORK_EVERY_MS) {
      this.largeWorkAt = performance.now();
      this.idle.sawLargeWork(now);
    }
    return {
      daemon: { running: true, pid: process.pid, startedAt: this.startedAt, uptimeMs: now - this.startedAt },
      backend: this.enforcer.name,
      lists: { allow: allowlistOf(this.config, this.state).length, deny: this.state.deny.length, dynamic: this.state.dynamic.length },
      attacks,
      limiter: { ...rate, intervalMs: limiter.intervalMs },
      kernel,
      sources: this.counters.map((c) => ({ ...c, position: this.state.positions[c.path] ?? null })),
    };
  }

  /** SIGHUP: a valid new config replaces the old one whole; an invalid one is logged and ignored. */
  async reload(): Promise<void> {
    let context: ReturnType<typeof loadContext>;
    try {
      context = loadContext(this.options.configPath);
      context.rules.get([...new Set(context.config.sources.map((s) => s.format))]);
    } catch (error) {
      const details = error instanceof SipwardenError ? error.details : [];
      this.log.error(`reload refused, the old config stays in force: ${(error as Error).message}`);
      for (const detail of details) this.log.error(`  ${detail}`);
      return;
    }
    for (const follower of this.followers) await follower.stop();
    await this.nflog?.stop();
    this.nflog = null;
    this.config = context.config;
    this.rules = context.rules;
    this.parsers.clear();
    this.enforcer = createEnforcer({ config: this.config, ...(this.spawner === null ? {} : { runner: this.spawner.runner }) });
    this.engine = this.buildEngine();
    this.notifier?.configure(this.config);
    await this.reconcile();
    this.startSources();
    this.log.info('config reloaded');
  }

  /** SIGTERM/SIGINT: stop reading, save everything; kernel blocks stay unless asked to tear down. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      for (const follower of this.followers) await follower.stop();
      await this.nflog?.stop();
      await this.kernelQueue;
      await this.notifier?.stop();
      await this.saver?.final();
      this.journal.close();
      if (this.options.teardownOnExit) {
        await this.enforcer.teardown();
        this.log.info('kernel: sipwarden table removed (--teardown-on-exit)');
      }
      this.spawner?.stop();
      if (this.server !== null) {
        await new Promise<void>((resolve) => this.server?.close(() => resolve()));
        rmSync(this.config.daemon.socket, { force: true });
      }
      if (this.releaseLock !== null) await this.releaseLock();
      this.log.info('sipwarden daemon stopped');
    })();
    return this.stopping;
  }
}

function toEntry(event: AttackEvent): JournalEntry {
  return {
    time: event.time,
    attacker: event.attacker,
    victim: event.victim,
    kind: event.kind,
    userAgent: event.userAgent,
    user: event.user,
    source: event.source,
    rule: event.rule,
  };
}

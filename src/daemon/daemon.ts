// The daemon: the only owner of timers, the socket and the store; wires sources to the kernel.
import type { Server } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { uptime } from 'node:os';
import type { LowSync } from 'lowdb';
import { SipwardenError } from '../model/errors.js';
import type { AttackEvent } from '../model/event.js';
import type { Decision } from '../model/decision.js';
import type { IntervalClock } from '../model/clock.js';
import type { Config } from '../config/types.js';
import { LineParser } from '../parse/parse-line.js';
import { DetectionEngine } from '../decide/decide.js';
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
import type { StateData } from '../store/state.js';
import { BlockStore } from '../store/block-store.js';
import { openStateFile, SecureJsonFile, STATE_FILE } from '../store/state-file.js';
import { StateSaver } from '../store/state-saver.js';
import { lockStore } from '../store/lock.js';
import { loadContext, type RuleLibrary } from '../config/context.js';
import { listenControlSocket } from './control-socket.js';
import { desiredState, type StoreContext } from './operations.js';
import { KernelQueue } from './kernel-queue.js';
import { RequestHandler, type SourceCounters } from './requests.js';
import type { DaemonLog } from './log.js';
import { hostAddresses } from './host-addresses.js';
import { Notifier } from './notifier.js';

export interface DaemonOptions {
  configPath: string | undefined;
  log: DaemonLog;
  clock: IntervalClock;
  teardownOnExit: boolean;
}

/** State is written at most this often while events stream in. */
const STATE_FLUSH_MS = 1000;
/** Serializing the state may take at most this share of the daemon's time (see StateSaver). */
const STATE_SERIALIZE_SHARE = 0.05;
const TICK_MS = 1000;
/** How often the periodic reconcile reads every element back from the kernel (see `reconcile`). */
const FULL_RECONCILE_MS = 600_000;
const RETENTION_EVERY_MS = 6 * 3_600_000;

export class Daemon {
  private config!: Config;
  private rules!: RuleLibrary;
  private db!: LowSync<StateData>;
  /** The blocks and the allowlist; the engine follows its changes. */
  private store!: BlockStore;
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
  private readonly kernel = new KernelQueue();
  private requests!: RequestHandler;
  /** Fallback-limit log count already warned about. */
  private fallbackSeen = 0;
  /** When the last full reconcile started, on the monotonic clock (a wall-clock step must not stop them). */
  private fullReconcileAt = 0;
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

  private get clock(): IntervalClock {
    return this.options.clock;
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
    this.store = new BlockStore(this.db.data, () => this.config.allowlist);
    // The engine's blocks are derived from the store's: every change reaches it through here.
    this.store.follow((change) => this.engine.follow(change));
    this.saver = new StateSaver({
      target: new SecureJsonFile(join(this.config.stateDir, STATE_FILE)),
      data: () => {
        this.syncStrikes();
        return this.state;
      },
      clock: () => this.clock.monotonic(),
      minIntervalMs: STATE_FLUSH_MS,
      maxShare: STATE_SERIALIZE_SHARE,
      onError: (error) => this.log.error(`state: cannot write: ${error.message}`),
    });
    this.journal = Journal.open(join(this.config.stateDir, 'journal'));
    for (const problem of this.journal.problems) this.log.warning(`journal: ${problem}`);
    this.enforcer = createEnforcer({ config: this.config, ...(this.spawner === null ? {} : { runner: this.spawner.runner }) });
    this.engine = this.buildEngine();
    const now = this.clock.now();
    this.store.expire(now);
    const result = await this.enforcer.reconcile(desiredState(this.store), now);
    this.fullReconcileAt = this.clock.monotonic();
    this.log.info(
      `kernel ${this.enforcer.name}: ${result.rebuilt ? 'ruleset loaded' : 'ruleset in place'}, ${this.state.dynamic.length} dynamic and ${this.state.deny.length} permanent block(s)`,
    );
    this.requests = new RequestHandler({
      context: () => this.context(),
      kernel: this.kernel,
      log: this.log,
      saveNow: async () => await this.saver?.now(),
      clock: this.clock,
      startedAt: this.startedAt,
      sources: () => this.counters.map((c) => ({ ...c, position: this.state.positions[c.path] ?? null })),
      onLargeWork: (now) => this.idle.sawLargeWork(now),
    });
    const requests = this.requests;
    this.server = await listenControlSocket(this.config.daemon.socket, (request) => requests.handle(request));
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
    engine.setAllowlist(this.store.allowlist());
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
      const now = this.clock.now();
      parser = new LineParser(this.rules.get([format]), { kernelPrefixes: this.config.kernel.prefixes, time: { now, bootTime: bootTime(now) } });
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
    const now = this.clock.now();
    parser.setTimeReference({ now: now + 60_000, bootTime: bootTime(now) });
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
    this.kernel
      .run(() => this.enforcer.apply(decisions, now))
      .catch((error: unknown) => this.log.error(`kernel: ${(error as Error).message}; the next reconcile retries`));
    this.store.record(decisions);
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
    const now = this.clock.now();
    this.engine.tick(now);
    this.idle.tick(now);
    if (this.store.expire(now).length > 0) this.saver?.soon();
  }

  /**
   * Repairs the kernel's table. The periodic pass is quick (the table's structure, and the elements
   * against what the daemon put there); every FULL_RECONCILE_MS, and after a reload, every element is
   * read back too, which at 100,000 blocks costs nft a second or more and holds up blocks queued
   * behind it.
   */
  private async reconcile(periodic = false): Promise<void> {
    const now = this.clock.now();
    const quick = periodic && this.clock.monotonic() - this.fullReconcileAt < FULL_RECONCILE_MS;
    if (!quick) this.fullReconcileAt = this.clock.monotonic();
    try {
      const result = await this.kernel.run(() => this.enforcer.reconcile(desiredState(this.store), now, { quick }));
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
      for (const set of backend.fill === undefined ? [] : await backend.fill({ packetSets: false, now: this.clock.now() })) {
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
    const removed = this.journal.prune(this.clock.now(), days);
    if (removed.length > 0) this.log.info(`journal: removed ${removed.length} segment(s) older than ${days} days`);
  }

  private context(): StoreContext & { enforcer: EnforcerBackend } {
    return { config: this.config, store: this.store, journal: this.journal, enforcer: this.enforcer, hostAddresses: this.host, now: this.clock.now() };
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
    this.store.configChanged();
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
      await this.kernel.drained();
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

/** When the system booted, on the wall clock: kernel log stamps count seconds from it. */
function bootTime(now: number): number {
  return now - uptime() * 1000;
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

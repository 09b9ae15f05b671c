// The pure core: events in, decisions out. Exemptions, /64 grouping, windows, limiter, escalation.
import { blockTarget, isLoopbackOrUnspecified, parseCidr, RangeSet, targetKey, type Cidr, type TargetKey } from '../model/address.js';
import type { AttackEvent, EventKind } from '../model/event.js';
import type { Decision, StrikeClass } from '../model/decision.js';
import type { Config } from '../config/types.js';
import { formatDuration } from '../config/duration.js';
import { FailureWindow } from '../detect/failure-window.js';
import { InviteBucket } from '../detect/invite-bucket.js';
import { limiterParameters, type LimiterParameters } from '../config/limiter.js';
import { UserAgentMatcher } from '../detect/user-agents.js';
import { StrikeLedger } from '../detect/strike-ledger.js';
import type { Strike } from '../model/strike.js';
import type { BlockChange } from '../model/block-change.js';
import { isForgeable } from '../detect/forgeable.js';
import { StreamDedup } from '../detect/dedup.js';

const FAILURE_WINDOW_MS = 60_000;

export interface EngineOptions {
  config: Config;
  /** The host's own addresses: never blocked, whatever the evidence says. */
  hostAddresses?: readonly string[];
}

/** What the engine made of one event, besides its decisions. */
export type Verdict = 'counted' | 'duplicate' | 'exempt-allowlist' | 'exempt-host' | 'already-blocked' | 'limited' | 'accepted';

export interface EngineResult {
  verdict: Verdict;
  decisions: Decision[];
}

/** Why a failure counts, per event kind, for messages and notes. */
const KIND_TEXT: Record<EventKind, string> = {
  register: 'failed REGISTER',
  invite: 'rejected INVITE',
  auth: 'failed authentication',
  scanner: 'blocked User-Agent',
  ratelimit: 'INVITE rate limit exceeded',
};

function strikeClass(kind: EventKind): StrikeClass {
  return kind === 'invite' || kind === 'ratelimit' ? 'invite' : 'register';
}

function isoMinute(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Detection and escalation for one config; all time comes from the events and `tick(now)`. */
export class DetectionEngine {
  private readonly config: Config;
  private allow: RangeSet;
  private readonly host: RangeSet;
  /** Per-attacker counters, by compact key: a flood fills them with a million fresh sources. */
  private readonly failures: FailureWindow<TargetKey>;
  private readonly limiter: LimiterParameters;
  private readonly buckets: InviteBucket<TargetKey>;
  private readonly userAgents: UserAgentMatcher;
  private readonly strikes: StrikeLedger;
  private readonly dedup = new StreamDedup();
  /** Open rate-limit episodes: target -> time of the latest drop. */
  private readonly episodes = new Map<string, number>();
  /** Dynamic blocks in force: target -> end time. */
  private readonly dynamic = new Map<string, number>();
  private readonly permanent = new Set<string>();
  private allowEntries: readonly string[];
  private readonly hostEntries: readonly string[];
  /** IPv6 block targets holding an allowlisted or own address. */
  private readonly exemptTargets = new Set<string>();
  /** Exempt IPv6 ranges wider than a block target (rare: checked by overlap). */
  private wideExempt: RangeSet[] = [];

  constructor(options: EngineOptions) {
    this.config = options.config;
    this.allow = new RangeSet(options.config.allowlist.map((c) => parseCidr(c)).filter((c) => c !== null));
    this.host = new RangeSet((options.hostAddresses ?? []).map((a) => parseCidr(a)).filter((c) => c !== null));
    this.allowEntries = [...options.config.allowlist];
    this.hostEntries = [...(options.hostAddresses ?? [])];
    this.failures = new FailureWindow(FAILURE_WINDOW_MS, options.config.register.maxFailures + 1);
    this.limiter = limiterParameters(options.config.invite.rateLimit);
    this.buckets = new InviteBucket(this.limiter);
    this.userAgents = new UserAgentMatcher(options.config.blocking.userAgents);
    this.strikes = new StrikeLedger(options.config.blocking.threshold * options.config.blocking.dynamicBlockTime);
    this.indexExemptions();
  }

  /** Feeds one event, on the event's own clock. */
  handle(event: AttackEvent): EngineResult {
    const now = event.time;
    const attacker = event.attacker;
    if (isLoopbackOrUnspecified(attacker) || this.host.contains(attacker)) return { verdict: 'exempt-host', decisions: [] };
    if (this.allow.contains(attacker)) return { verdict: 'exempt-allowlist', decisions: [] };
    const target = blockTarget(attacker, this.config.blocking.ipv6Prefix);
    if (target !== attacker && this.rangeHoldsExempt(target)) return { verdict: 'exempt-allowlist', decisions: [] };
    if (this.isBlocked(target, now)) return { verdict: 'already-blocked', decisions: [] };

    const agent = this.userAgents.match(event.userAgent);
    if (agent !== null || event.kind === 'scanner') {
      const why = agent === null ? KIND_TEXT.scanner : `User-Agent contains "${agent}"`;
      return { verdict: 'counted', decisions: this.block(target, event, 'scanner', why) };
    }

    switch (event.kind) {
      case 'register':
      case 'auth': {
        if (this.dedup.isDuplicate(event)) return { verdict: 'duplicate', decisions: [] };
        const key = targetKey(target);
        const count = this.failures.record(key, now);
        if (count <= this.config.register.maxFailures) return { verdict: 'counted', decisions: [] };
        this.failures.reset(key);
        const why = `${count} ${KIND_TEXT[event.kind]}s within 1m (limit ${this.config.register.maxFailures})`;
        return { verdict: 'counted', decisions: this.block(target, event, event.kind, why) };
      }
      case 'ratelimit':
        return { verdict: 'limited', decisions: this.episode(target, event, 'kernel') };
      case 'invite': {
        if (this.dedup.isDuplicate(event)) return { verdict: 'duplicate', decisions: [] };
        if (!this.config.invite.rateLimit.enabled) return { verdict: 'counted', decisions: [] };
        // INVITEs the kernel cannot see (TLS) are limited by the same model, from log evidence.
        if (this.buckets.offer(targetKey(target), now)) return { verdict: 'accepted', decisions: [] };
        return { verdict: 'limited', decisions: this.episode(target, event, 'model') };
      }
    }
    return { verdict: 'counted', decisions: [] };
  }

  /** Lets time pass: closes quiet episodes, ends expired blocks, forgets idle state. */
  tick(now: number): void {
    for (const [target, lastDrop] of this.episodes) if (now - lastDrop > this.limiter.unitMs) this.episodes.delete(target);
    for (const [target, until] of this.dynamic) if (until <= now) this.dynamic.delete(target);
    this.failures.prune(now);
    this.buckets.prune(now);
    this.strikes.prune(now);
    this.dedup.prune(now);
  }

  /** Replaces the allowlist (config plus addresses allowed at run time). */
  setAllowlist(entries: readonly string[]): void {
    this.allow = new RangeSet(entries.map((c) => parseCidr(c)).filter((c) => c !== null));
    this.allowEntries = [...entries];
    this.indexExemptions();
  }

  /**
   * A /64 target may hold an allowlisted or own address: such a range is never blocked. The
   * exempt targets are worked out once (see exemptTargetsOf), so a flood from a million fresh
   * IPv6 sources costs a set look-up each.
   */
  private rangeHoldsExempt(target: string): boolean {
    if (this.exemptTargets.has(target)) return true;
    if (this.wideExempt.length === 0) return false;
    const range = parseCidr(target);
    return range !== null && this.wideExempt.some((set) => set.overlaps(range));
  }

  /** Block targets that hold an exempt address, and the exempt ranges wider than a target. */
  private indexExemptions(): void {
    this.exemptTargets.clear();
    this.wideExempt = [];
    const prefix = this.config.blocking.ipv6Prefix;
    const wide: Cidr[] = [];
    for (const text of [...this.allowEntries, ...this.hostEntries]) {
      const range = parseCidr(text);
      if (range === null || range.family !== 6) continue;
      if (range.length >= prefix) this.exemptTargets.add(blockTarget(range.network, prefix));
      else wide.push(range);
    }
    if (wide.length > 0) this.wideExempt = [new RangeSet(wide)];
  }

  isBlocked(target: string, now: number): boolean {
    if (this.permanent.has(target)) return true;
    const until = this.dynamic.get(target);
    return until !== undefined && until > now;
  }

  /** Lifts a block (the CLI's unblock); `forget` also clears its strikes. */
  unblock(target: string, forget: boolean): void {
    this.dynamic.delete(target);
    this.permanent.delete(target);
    this.failures.reset(targetKey(target));
    if (forget) this.strikes.forget(target);
  }

  /** Follows a change the store made (store/block-store.ts): the engine's blocks are derived from the store's. */
  follow(change: BlockChange): void {
    switch (change.type) {
      case 'dynamic':
        this.dynamic.set(change.target, Math.max(this.dynamic.get(change.target) ?? change.until, change.until));
        break;
      case 'permanent':
        this.permanent.add(change.target);
        this.dynamic.delete(change.target);
        break;
      case 'lifted':
        this.unblock(change.target, change.forget);
        break;
      case 'expired': {
        const until = this.dynamic.get(change.target);
        if (until !== undefined && until <= change.until) this.dynamic.delete(change.target);
        break;
      }
      case 'allowlist':
        this.setAllowlist(change.entries);
        break;
    }
  }

  /** The blocks the engine holds in force at `now` (for comparing with the store's). */
  blocksInForce(now: number): { dynamic: Map<string, number>; permanent: Set<string> } {
    return { dynamic: new Map([...this.dynamic].filter(([, until]) => until > now)), permanent: new Set(this.permanent) };
  }

  /** Restores state kept across restarts. */
  restore(state: { dynamic?: Iterable<[string, number]>; permanent?: Iterable<string>; strikes?: Iterable<[string, Strike[]]> }): void {
    for (const [target, until] of state.dynamic ?? []) this.dynamic.set(target, until);
    for (const target of state.permanent ?? []) this.permanent.add(target);
    for (const [target, list] of state.strikes ?? []) this.strikes.restore(target, list);
  }

  /** The strikes held against one target (within the window). */
  strikesOf(target: string): readonly Strike[] {
    return this.strikes.get(target);
  }

  strikeEntries(): IterableIterator<[string, Strike[]]> {
    return this.strikes.entries();
  }

  /** How many addresses the engine currently holds state for (memory accounting). */
  trackedSources(): number {
    return this.failures.size + this.buckets.size;
  }

  private episode(target: string, event: AttackEvent, evidence: 'kernel' | 'model'): Decision[] {
    const now = event.time;
    const lastDrop = this.episodes.get(target);
    this.episodes.set(target, now);
    if (lastDrop !== undefined && now - lastDrop <= this.limiter.unitMs) return [];
    const decisions: Decision[] = [
      { type: 'episode', time: now, target, attacker: event.attacker, opened: true, evidence, victim: event.victim, userAgent: event.userAgent },
    ];
    if (this.config.blocking.permanent.invite) {
      decisions.push(...this.strike(target, event, 'ratelimit', `INVITE rate limit ${this.limiter.nftRate} exceeded`));
    }
    return decisions;
  }

  private block(target: string, event: AttackEvent, kind: EventKind, why: string): Decision[] {
    const until = event.time + this.config.blocking.dynamicBlockTime;
    const escalation = this.strike(target, event, kind, why);
    if (escalation.length > 0) return escalation;
    this.dynamic.set(target, until);
    return [
      {
        type: 'block',
        time: event.time,
        target,
        attacker: event.attacker,
        kind,
        until,
        reason: why,
        strikes: this.strikes.get(target).length,
      },
    ];
  }

  /** Records a strike where its class escalates; returns the permanent decision when the threshold is reached. */
  private strike(target: string, event: AttackEvent, kind: EventKind, why: string): Decision[] {
    const { threshold, permanent, dynamicBlockTime } = this.config.blocking;
    if (!permanent[strikeClass(kind)]) return [];
    // Evidence a forged packet can make never counts toward a permanent block unless the admin says so.
    if (!permanent.forgeable && isForgeable(event)) return [];
    const list = this.strikes.add(target, { time: event.time, reason: why });
    if (list.length < threshold) return [];
    this.permanent.add(target);
    this.dynamic.delete(target);
    const windowText = formatDuration(threshold * dynamicBlockTime);
    const note =
      `Blocked permanently by sipwarden on ${isoMinute(event.time)}: ${list.length} strikes within ${windowText} ` +
      `(${list.map((s) => `${isoMinute(s.time)} ${s.reason}`).join('; ')}).`;
    return [
      {
        type: 'permanent',
        time: event.time,
        target,
        attacker: event.attacker,
        kind,
        reason: why,
        strikes: list.length,
        note,
      },
    ];
  }
}

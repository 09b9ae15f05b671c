// The report's data: a period's attacks counted from the journal, with the store's blocks and lists.
import { blockTarget, parseCidr, RangeSet, type Cidr } from '../../model/address.js';
import type { Clock } from '../../model/clock.js';
import { EVENT_KINDS, type EventKind } from '../../model/event.js';
import type { JournalSummary } from '../journal/journal.js';
import type { SummaryQuery } from '../journal/query.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Up to this long a period is charted per hour; longer ones per day. */
const HOURLY_UP_TO_MS = 8 * DAY_MS;

/** What the report reads from the journal (the Journal class has it). */
export interface ReportJournal {
  summarize(query: SummaryQuery): JournalSummary;
}

/** What the report reads from the store (StateData has it). */
export interface ReportState {
  allow: ReadonlyArray<{ target: string }>;
  deny: ReadonlyArray<{ target: string; note: string; since: number; by: 'system' | 'admin'; strikes: number }>;
  dynamic: ReadonlyArray<{ target: string; since: number; until: number }>;
}

/** Kernel drop counters by rule (packets), or why they could not be read. */
export type KernelCounters = { counters: Record<string, number> } | { unavailable: string };

export type AttackerStatus =
  { state: 'allowed' } | { state: 'permanent'; target: string; since: number } | { state: 'blocked'; target: string; until: number } | { state: 'none' };

export interface AttackerRow {
  attacker: string;
  count: number;
  /** Only the kinds it was seen with. */
  byKind: Partial<Record<EventKind, number>>;
  firstSeen: number;
  lastSeen: number;
  status: AttackerStatus;
  /** From its newest entry; attacker-controlled. */
  userAgent: string | null;
  user: string | null;
  victim: string | null;
}

export interface PermanentRow {
  target: string;
  since: number;
  by: 'system' | 'admin';
  strikes: number;
  /** May quote attacker-controlled text. */
  note: string;
}

export interface Report {
  /** The machine the report is about (host name). */
  host: string;
  generatedAt: number;
  period: { from: number; to: number };
  total: number;
  /** Distinct attacking addresses. */
  attackers: number;
  byKind: Record<EventKind, number>;
  /** Attacks per bucket (an hour, or a day for periods over 8 days), aligned to whole hours or days (UTC). */
  chart: { bucketMs: number; buckets: Array<{ start: number; count: number }> };
  top: AttackerRow[];
  /** Permanent blocks made in the period, oldest first. */
  newPermanentBlocks: PermanentRow[];
  /** Current list sizes. */
  lists: { allow: number; deny: number; dynamic: number };
  /** Rate-limit episodes journaled in the period. */
  limiter: { enabled: boolean; episodes: number };
  /** Null when not asked for. */
  kernel: KernelCounters | null;
}

export interface ReportInput {
  journal: ReportJournal;
  state: ReportState;
  /** The config's allowlist (canonical); the store's own allow entries are added. */
  allowlist: readonly string[];
  ipv6Prefix: number;
  limiterEnabled: boolean;
  period: { from: number; to: number };
  clock: Clock;
  host: string;
  kernel?: KernelCounters | null;
  /** How many top attackers; default 10. */
  top?: number;
}

function ranges(targets: Iterable<string>): Array<[Cidr, string]> {
  const out: Array<[Cidr, string]> = [];
  for (const target of targets) {
    const cidr = parseCidr(target);
    if (cidr !== null) out.push([cidr, target]);
  }
  return out;
}

/** Answers "what is this address's status now?" against the store's lists. */
class StatusLookup {
  private readonly allow: RangeSet;
  private readonly deny = new Map<string, { since: number }>();
  private readonly denyRanges: Array<[RangeSet, string, number]> = [];
  private readonly dynamic = new Map<string, number>();
  private readonly dynamicRanges: Array<[RangeSet, string, number]> = [];

  constructor(
    state: ReportState,
    allowlist: readonly string[],
    private readonly ipv6Prefix: number,
    now: number,
  ) {
    this.allow = new RangeSet(ranges([...allowlist, ...state.allow.map((a) => a.target)]).map(([c]) => c));
    for (const d of state.deny) {
      this.deny.set(d.target, { since: d.since });
      if (d.target.includes('/')) for (const [cidr, t] of ranges([d.target])) this.denyRanges.push([new RangeSet([cidr]), t, d.since]);
    }
    for (const d of state.dynamic) {
      if (d.until <= now) continue;
      this.dynamic.set(d.target, d.until);
      if (d.target.includes('/')) for (const [cidr, t] of ranges([d.target])) this.dynamicRanges.push([new RangeSet([cidr]), t, d.until]);
    }
  }

  status(attacker: string): AttackerStatus {
    if (this.allow.contains(attacker)) return { state: 'allowed' };
    const target = blockTarget(attacker, this.ipv6Prefix);
    for (const key of [attacker, target]) {
      const deny = this.deny.get(key);
      if (deny !== undefined) return { state: 'permanent', target: key, since: deny.since };
    }
    for (const [set, t, since] of this.denyRanges) if (set.contains(attacker)) return { state: 'permanent', target: t, since };
    for (const key of [attacker, target]) {
      const until = this.dynamic.get(key);
      if (until !== undefined) return { state: 'blocked', target: key, until };
    }
    for (const [set, t, until] of this.dynamicRanges) if (set.contains(attacker)) return { state: 'blocked', target: t, until };
    return { state: 'none' };
  }
}

/** Builds the report for a period; the journal is only counted (its index), never parsed whole. */
export function buildReport(input: ReportInput): Report {
  const { from, to } = input.period;
  const now = input.clock.now();
  const bucketMs = to - from <= HOURLY_UP_TO_MS ? HOUR_MS : DAY_MS;
  const summary = input.journal.summarize({ since: from, until: to, bucketMs, top: input.top ?? 10 });
  const byKind = Object.fromEntries(EVENT_KINDS.map((k, i) => [k, summary.byKind[i] ?? 0])) as Record<EventKind, number>;
  const lookup = new StatusLookup(input.state, input.allowlist, input.ipv6Prefix, now);
  const top = summary.top.map((t): AttackerRow => {
    const kinds: Partial<Record<EventKind, number>> = {};
    EVENT_KINDS.forEach((k, i) => {
      const n = t.byKind[i] ?? 0;
      if (n > 0) kinds[k] = n;
    });
    return {
      attacker: t.attacker,
      count: t.count,
      byKind: kinds,
      firstSeen: t.first,
      lastSeen: t.last,
      status: lookup.status(t.attacker),
      userAgent: t.newest?.userAgent ?? null,
      user: t.newest?.user ?? null,
      victim: t.newest?.victim ?? null,
    };
  });
  const newPermanentBlocks = input.state.deny
    .filter((d) => d.since >= from && d.since < to)
    .map((d): PermanentRow => ({ target: d.target, since: d.since, by: d.by, strikes: d.strikes, note: d.note }))
    .sort((a, b) => a.since - b.since);
  const allow = new Set([...input.allowlist, ...input.state.allow.map((a) => a.target)]);
  return {
    host: input.host,
    generatedAt: now,
    period: { from, to },
    total: summary.total,
    attackers: summary.attackers,
    byKind,
    chart: { bucketMs, buckets: summary.buckets.map((n, i) => ({ start: summary.bucketStart + i * bucketMs, count: n })) },
    top,
    newPermanentBlocks,
    lists: { allow: allow.size, deny: input.state.deny.length, dynamic: input.state.dynamic.filter((d) => d.until > now).length },
    limiter: { enabled: input.limiterEnabled, episodes: byKind.ratelimit },
    kernel: input.kernel ?? null,
  };
}

// What the management commands do to the store and the kernel; shared by the daemon and direct CLI use.
import { formatCidr, parseCidr, RangeSet, type Cidr } from '../model/address.js';
import { SipwardenError } from '../model/errors.js';
import { EVENT_KINDS, type EventKind } from '../model/event.js';
import type { Decision } from '../model/decision.js';
import type { Config } from '../config/types.js';
import type { Journal, JournalPage } from '../act/journal/journal.js';
import type { JournalQuery } from '../act/journal/query.js';
import type { DesiredState, EnforcerBackend } from '../act/enforcer/backend.js';
import type { BlockStore } from '../store/block-store.js';
import type { ListName } from './protocol.js';

export interface StoreContext {
  config: Config;
  /** The blocks and the allowlist: every change goes through it. */
  store: BlockStore;
  journal: Journal;
  /** Null when the kernel is not to be touched (tests of the store alone). */
  enforcer: EnforcerBackend | null;
  hostAddresses: readonly string[];
  now: number;
}

/** Narrowest prefix a command accepts: anything wider would cut off a large part of the internet. */
const MIN_PREFIX = { 4: 8, 6: 16 } as const;
const LOOPBACK = new RangeSet(['127.0.0.0/8', '::1'].map((t) => parseCidr(t) as Cidr));

/** What the kernel should hold: the store's lists. */
export function desiredState(store: BlockStore): DesiredState {
  const state = store.data;
  return {
    allow: store.allowlist(),
    deny: state.deny.map((d) => d.target),
    dynamic: state.dynamic.map((d) => ({ target: d.target, until: d.until })),
  };
}

/** A user-given address or range, validated and canonical; refuses ranges too wide to mean it. */
export function parseTarget(text: string): Cidr {
  const cidr = parseCidr(text);
  if (cidr === null) {
    throw new SipwardenError('USAGE', `"${text}" is not an IPv4 or IPv6 address or CIDR; write it like 198.51.100.7, 203.0.113.0/24 or 2001:db8:bad::/48`);
  }
  if (cidr.length < MIN_PREFIX[cidr.family]) {
    throw new SipwardenError('USAGE', `"${text}" covers too much of the internet (/${cidr.length}); use a prefix of /${MIN_PREFIX[cidr.family]} or longer`);
  }
  return cidr;
}

function refuseExempt(ctx: StoreContext, cidr: Cidr, text: string): void {
  if (LOOPBACK.overlaps(cidr)) throw new SipwardenError('USAGE', `refusing to block ${text}: it is or holds a loopback address`);
  const host = new RangeSet(ctx.hostAddresses.map((a) => parseCidr(a)).filter((c) => c !== null));
  if (host.overlaps(cidr)) throw new SipwardenError('USAGE', `refusing to block ${text}: it is or holds one of this host's own addresses`);
  const allow = new RangeSet(
    ctx.store
      .allowlist()
      .map((a) => parseCidr(a))
      .filter((c) => c !== null),
  );
  if (allow.overlaps(cidr))
    throw new SipwardenError('USAGE', `refusing to block ${text}: it is or holds an allowlisted address; remove it from the allowlist first`);
}

async function applyToKernel(ctx: StoreContext, decisions: readonly Decision[]): Promise<void> {
  if (ctx.enforcer !== null && decisions.length > 0) await ctx.enforcer.apply(decisions, ctx.now);
}

async function reconcileKernel(ctx: StoreContext): Promise<void> {
  if (ctx.enforcer !== null) await ctx.enforcer.reconcile(desiredState(ctx.store), ctx.now);
}

export interface ListRow {
  list: ListName;
  target: string;
  since: number;
  /** Dynamic blocks only. */
  until: number | null;
  note: string | null;
  by: 'system' | 'admin' | 'config';
  strikes: number;
}

export function listEntries(ctx: Pick<StoreContext, 'config' | 'store'>, list: ListName | null): ListRow[] {
  const { config } = ctx;
  const state = ctx.store.data;
  const strikes = (target: string): number => state.strikes[target]?.length ?? 0;
  const rows: ListRow[] = [];
  if (list === null || list === 'dynamic') {
    for (const d of state.dynamic)
      rows.push({
        list: 'dynamic',
        target: d.target,
        since: d.since,
        until: d.until,
        note: d.reason,
        by: d.by,
        strikes: Math.max(d.strikes, strikes(d.target)),
      });
  }
  if (list === null || list === 'deny') {
    for (const d of state.deny)
      rows.push({ list: 'deny', target: d.target, since: d.since, until: null, note: d.note, by: d.by, strikes: Math.max(d.strikes, strikes(d.target)) });
  }
  if (list === null || list === 'allow') {
    for (const a of config.allowlist) rows.push({ list: 'allow', target: a, since: 0, until: null, note: 'from the config file', by: 'config', strikes: 0 });
    for (const a of state.allow) rows.push({ list: 'allow', target: a.target, since: a.since, until: null, note: a.note, by: 'admin', strikes: 0 });
  }
  return rows;
}

export interface BlockRequest {
  target: string;
  /** ms; null: the configured dynamic block time. */
  duration: number | null;
  permanent: boolean;
  note: string | null;
}

/** Blocks by hand: dynamic for a duration, or permanent; in the store and the kernel at once. */
export async function blockOperation(ctx: StoreContext, request: BlockRequest): Promise<ListRow> {
  const cidr = parseTarget(request.target);
  const target = formatCidr(cidr);
  refuseExempt(ctx, cidr, target);
  const duration = request.permanent ? null : (request.duration ?? ctx.config.blocking.dynamicBlockTime);
  ctx.store.blockByHand({ target, now: ctx.now, duration, note: request.note });
  const decision: Decision =
    duration === null
      ? {
          type: 'permanent',
          time: ctx.now,
          target,
          attacker: target,
          kind: 'auth',
          reason: 'blocked by hand',
          strikes: 0,
          note: request.note ?? 'Blocked by hand.',
        }
      : {
          type: 'block',
          time: ctx.now,
          target,
          attacker: target,
          kind: 'auth',
          until: ctx.now + duration,
          reason: request.note ?? 'blocked by hand',
          strikes: 0,
        };
  await applyToKernel(ctx, [decision]);
  const row = listEntries(ctx, duration === null ? 'deny' : 'dynamic').find((r) => r.target === target);
  return row as ListRow;
}

/** Lifts every block on the target, in the store and the kernel; NOT_FOUND when nothing was blocked. */
export async function unblockOperation(ctx: StoreContext, text: string, forget: boolean): Promise<{ target: string }> {
  const target = formatCidr(parseTarget(text));
  if (!ctx.store.unblock(target, forget)) {
    throw new SipwardenError('NOT_FOUND', `${target} is not blocked${forget ? ' and has no strikes' : ''}`);
  }
  await applyToKernel(ctx, [{ type: 'unblock', time: ctx.now, target, reason: 'unblocked by hand' }]);
  return { target };
}

/** Allowlists an address or range; its blocks are lifted at once. */
export async function allowAddOperation(ctx: StoreContext, text: string, note: string | null): Promise<{ target: string; lifted: string[] }> {
  const cidr = parseTarget(text);
  const target = formatCidr(cidr);
  ctx.store.allow(target, note, ctx.now);
  // Blocks inside the allowed range are lifted; a wider block stays for its other addresses
  // (the kernel's allow set is matched first, so the allowed part passes anyway).
  const inside = new RangeSet([cidr]);
  const lifted = [...ctx.store.data.dynamic, ...ctx.store.data.deny]
    .map((b) => b.target)
    .filter((t) => {
      const range = parseCidr(t);
      return range !== null && range.family === cidr.family && range.length >= cidr.length && inside.contains(range.network);
    });
  for (const t of lifted) ctx.store.unblock(t, false);
  await reconcileKernel(ctx);
  return { target, lifted };
}

export async function allowRemoveOperation(ctx: StoreContext, text: string): Promise<{ target: string }> {
  const target = formatCidr(parseTarget(text));
  if (ctx.config.allowlist.includes(target) && !ctx.store.data.allow.some((a) => a.target === target)) {
    throw new SipwardenError('USAGE', `${target} is allowlisted in the config file; remove it there and reload`);
  }
  if (!ctx.store.disallow(target)) throw new SipwardenError('NOT_FOUND', `${target} is not on the allowlist`);
  await reconcileKernel(ctx);
  return { target };
}

export function logsOperation(journal: Journal, query: JournalQuery): JournalPage {
  if (query.attacker !== undefined) {
    const cidr = parseCidr(query.attacker);
    if (cidr === null) throw new SipwardenError('USAGE', `--attacker: "${query.attacker}" is not an IPv4 or IPv6 address`);
    query.attacker = cidr.network;
  }
  return journal.query(query);
}

export interface AttackSummary {
  since: number;
  byKind: Record<EventKind, number>;
  top: Array<{ attacker: string; count: number }>;
}

/** Attacks since a time, by kind, and the most active attackers. */
export function attackSummary(journal: Journal, since: number, topN = 10): AttackSummary {
  const byKind = Object.fromEntries(EVENT_KINDS.map((k) => [k, journal.query({ kind: k, since, perPage: 1 }).total])) as Record<EventKind, number>;
  return { since, byKind, top: journal.topAttackers(since, topN) };
}

// The daemon's state as data, and the pure operations on it: decisions, hand edits, expiry.
import type { Decision } from '../model/decision.js';
import type { Strike } from '../model/strike.js';
import type { SourcePosition } from '../model/source-position.js';

export interface AllowEntry {
  target: string;
  note: string | null;
  since: number;
}

export interface DenyEntry {
  target: string;
  note: string;
  since: number;
  /** Who put it there: the escalation ("system") or an administrator. */
  by: 'system' | 'admin';
  strikes: number;
}

export interface DynamicEntry {
  target: string;
  since: number;
  until: number;
  reason: string;
  by: 'system' | 'admin';
  strikes: number;
}

export interface StateData {
  version: 1;
  allow: AllowEntry[];
  deny: DenyEntry[];
  dynamic: DynamicEntry[];
  strikes: Record<string, Strike[]>;
  positions: Record<string, SourcePosition>;
}

export function emptyState(): StateData {
  return { version: 1, allow: [], deny: [], dynamic: [], strikes: {}, positions: {} };
}

function without<T extends { target: string }>(list: T[], target: string): T[] {
  return list.filter((e) => e.target !== target);
}

/**
 * Target -> entry of a list of dynamic blocks, so that recording a block is not a scan of up to a
 * million entries. Built once per array: every removal replaces the array (`without`, `filter`),
 * and recordDecisions keeps the index through its own pushes; a length that differs from the
 * index's means a push made elsewhere, and a rebuild.
 */
const dynamicIndexes = new WeakMap<DynamicEntry[], { length: number; byTarget: Map<string, DynamicEntry> }>();

function dynamicIndex(list: DynamicEntry[]): { length: number; byTarget: Map<string, DynamicEntry> } {
  let index = dynamicIndexes.get(list);
  if (index === undefined || index.length !== list.length) {
    index = { length: list.length, byTarget: new Map(list.map((e) => [e.target, e])) };
    dynamicIndexes.set(list, index);
  }
  return index;
}

/** Records the engine's decisions; a block never shortens one already in force. */
export function recordDecisions(state: StateData, decisions: readonly Decision[]): void {
  for (const d of decisions) {
    switch (d.type) {
      case 'block': {
        const index = dynamicIndex(state.dynamic);
        const existing = index.byTarget.get(d.target);
        if (existing !== undefined) {
          existing.until = Math.max(existing.until, d.until);
          existing.reason = d.reason;
          existing.strikes = d.strikes;
        } else {
          const entry: DynamicEntry = { target: d.target, since: d.time, until: d.until, reason: d.reason, by: 'system', strikes: d.strikes };
          state.dynamic.push(entry);
          index.byTarget.set(entry.target, entry);
          index.length = state.dynamic.length;
        }
        break;
      }
      case 'permanent':
        state.dynamic = without(state.dynamic, d.target);
        state.deny = without(state.deny, d.target);
        state.deny.push({ target: d.target, note: d.note, since: d.time, by: 'system', strikes: d.strikes });
        break;
      case 'unblock':
        state.dynamic = without(state.dynamic, d.target);
        state.deny = without(state.deny, d.target);
        break;
      case 'episode':
        break;
    }
  }
}

/** Drops dynamic blocks that have ended; returns them. */
export function expireBlocks(state: StateData, now: number): DynamicEntry[] {
  const ended = state.dynamic.filter((e) => e.until <= now);
  if (ended.length > 0) state.dynamic = state.dynamic.filter((e) => e.until > now);
  return ended;
}

export interface HandBlock {
  target: string;
  now: number;
  /** ms; null for a permanent block. */
  duration: number | null;
  note: string | null;
}

/** An administrator's block: a dynamic one for a duration, or a permanent one with the note. */
export function blockByHand(state: StateData, block: HandBlock): void {
  state.dynamic = without(state.dynamic, block.target);
  state.deny = without(state.deny, block.target);
  if (block.duration === null) {
    state.deny.push({ target: block.target, note: block.note ?? 'Blocked by hand.', since: block.now, by: 'admin', strikes: 0 });
  } else {
    state.dynamic.push({
      target: block.target,
      since: block.now,
      until: block.now + block.duration,
      reason: block.note ?? 'blocked by hand',
      by: 'admin',
      strikes: 0,
    });
  }
}

/** Lifts every block on the target; `forget` also clears its strikes. Returns whether anything was lifted. */
export function unblockTarget(state: StateData, target: string, forget: boolean): boolean {
  const before = state.dynamic.length + state.deny.length;
  state.dynamic = without(state.dynamic, target);
  state.deny = without(state.deny, target);
  const hadStrikes = target in state.strikes;
  if (forget) delete state.strikes[target];
  return before !== state.dynamic.length + state.deny.length || (forget && hadStrikes);
}

export function allowTarget(state: StateData, target: string, note: string | null, now: number): void {
  state.allow = without(state.allow, target);
  state.allow.push({ target, note, since: now });
}

export function disallowTarget(state: StateData, target: string): boolean {
  const before = state.allow.length;
  state.allow = without(state.allow, target);
  return before !== state.allow.length;
}

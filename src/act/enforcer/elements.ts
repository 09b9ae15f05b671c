// Pure: desired state -> the elements each kernel set should hold, and the difference from what it holds.
import { parseCidr, formatCidr, type Cidr } from '../../model/address.js';
import type { DesiredState } from './backend.js';

export type ListKind = 'allow' | 'deny' | 'dynamic';

/** Where one validated range goes: a set name, and whether that set holds intervals (ranges). */
export interface SetChoice {
  set: string;
  interval: boolean;
}

/** A backend's sets: every set it manages, and which one takes a range of a list. */
export interface SetLayout {
  sets: readonly SetChoice[];
  choose(list: ListKind, cidr: Cidr): SetChoice;
}

/** Set name -> element text (`198.51.100.7`, `2001:db8:1::/64`) -> expiry in ms since epoch (null: none). */
export type ElementMap = Map<string, Map<string, number | null>>;

export interface DesiredElements {
  elements: ElementMap;
  /** Targets that are not valid addresses or CIDRs; never written into a ruleset. */
  rejected: string[];
}

const cidrCache = new Map<string, Cidr | null>();
const CIDR_CACHE_LIMIT = 1 << 21;

/** parseCidr, remembered: the same blocks are compared on every apply and reconcile. */
function cidrOf(text: string): Cidr | null {
  let hit = cidrCache.get(text);
  if (hit === undefined) {
    hit = parseCidr(text);
    if (cidrCache.size >= CIDR_CACHE_LIMIT) cidrCache.clear();
    cidrCache.set(text, hit);
  }
  return hit;
}

interface Candidate {
  cidr: Cidr;
  until: number | null;
}

function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.length > inner.length) return false;
  const masked = parseCidr(`${inner.network}/${outer.length}`);
  return masked !== null && masked.network === outer.network;
}

/**
 * Keeps only ranges no other range of the same set covers (an interval set refuses overlaps); a range
 * that covers others expires with the last of them, so nothing it replaced is released early.
 */
function normalize(candidates: Candidate[]): Candidate[] {
  const byLength = [...candidates].sort((a, b) => a.cidr.length - b.cidr.length);
  const kept: Candidate[] = [];
  const keptByLength = new Map<number, Map<string, Candidate>>();
  for (const candidate of byLength) {
    let cover: Candidate | undefined;
    for (const [length, nets] of keptByLength) {
      if (length > candidate.cidr.length) continue;
      const masked = length === candidate.cidr.length ? candidate.cidr : parseCidr(`${candidate.cidr.network}/${length}`);
      const found = masked === null ? undefined : nets.get(masked.network);
      if (found !== undefined && contains(found.cidr, candidate.cidr)) {
        cover = found;
        break;
      }
    }
    if (cover !== undefined) {
      if (cover.until !== null) cover.until = candidate.until === null ? null : Math.max(cover.until, candidate.until);
      continue;
    }
    const entry = { cidr: candidate.cidr, until: candidate.until };
    kept.push(entry);
    let nets = keptByLength.get(candidate.cidr.length);
    if (nets === undefined) {
      nets = new Map();
      keptByLength.set(candidate.cidr.length, nets);
    }
    nets.set(candidate.cidr.network, entry);
  }
  return kept;
}

/** The elements each set should hold at `now`: valid targets only, expired blocks left out, ranges kept whole. */
export function desiredElements(state: DesiredState, now: number, layout: SetLayout): DesiredElements {
  const rejected: string[] = [];
  const bySet = new Map<string, { interval: boolean; items: Map<string, Candidate> }>();
  for (const { set, interval } of layout.sets) bySet.set(set, { interval, items: new Map() });
  const put = (list: ListKind, text: string, until: number | null): void => {
    const cidr = cidrOf(text);
    if (cidr === null) {
      rejected.push(text);
      return;
    }
    const { set, interval } = layout.choose(list, cidr);
    let entry = bySet.get(set);
    if (entry === undefined) {
      entry = { interval, items: new Map() };
      bySet.set(set, entry);
    }
    const key = formatCidr(cidr);
    const previous = entry.items.get(key);
    const merged = previous === undefined ? until : previous.until === null || until === null ? null : Math.max(previous.until, until);
    entry.items.set(key, { cidr, until: merged });
  };
  for (const text of state.allow) put('allow', text, null);
  for (const text of state.deny) put('deny', text, null);
  for (const block of state.dynamic) if (block.until > now) put('dynamic', block.target, block.until);
  const elements: ElementMap = new Map();
  for (const [set, { interval, items }] of bySet) {
    const list = interval ? normalize([...items.values()]) : [...items.values()];
    elements.set(set, new Map(list.map((c) => [formatCidr(c.cidr), c.until])));
  }
  return { elements, rejected };
}

export interface ElementChange {
  set: string;
  value: string;
  /** Expiry in ms since epoch, or null for a set without timeouts. */
  until: number | null;
}

export interface ElementDiff {
  add: ElementChange[];
  /** Present with an expiry that differs from the desired one by more than the tolerance. */
  refresh: ElementChange[];
  remove: ElementChange[];
  /** Removals of elements covered by an element added to the same set in this batch. */
  superseded: ElementChange[];
}

/** What turns `current` into `target`; sets absent from `target` are not touched (`desiredElements` lists all). */
export function diffElements(current: ElementMap, target: ElementMap, toleranceMs: number, intervalSets: ReadonlySet<string>): ElementDiff {
  const diff: ElementDiff = { add: [], refresh: [], remove: [], superseded: [] };
  for (const [set, wanted] of target) {
    const have = current.get(set) ?? new Map<string, number | null>();
    const addedValues: string[] = [];
    for (const [value, until] of wanted) {
      if (!have.has(value)) {
        diff.add.push({ set, value, until });
        addedValues.push(value);
        continue;
      }
      const old = have.get(value) ?? null;
      if (until !== null && (old === null || Math.abs(old - until) > toleranceMs)) diff.refresh.push({ set, value, until });
    }
    let added: Cidr[] | null = null;
    for (const [value, until] of have) {
      if (wanted.has(value)) continue;
      if (added === null) added = addedValues.flatMap((v) => cidrOf(v) ?? []);
      const cidr = intervalSets.has(set) && added.length > 0 ? cidrOf(value) : null;
      const covered = cidr !== null && added.some((a) => contains(a, cidr));
      (covered ? diff.superseded : diff.remove).push({ set, value, until });
    }
  }
  return diff;
}

export function diffSize(diff: ElementDiff): number {
  return diff.add.length + diff.refresh.length + diff.remove.length + diff.superseded.length;
}

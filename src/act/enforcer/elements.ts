// Pure: desired state -> the elements each kernel set should hold, and the difference from what it holds.
import type { Cidr } from '../../model/address.js';
import type { DesiredState, DynamicBlock } from './backend.js';
import { peekRange, PrefixIndex, rangeOf, type Range } from './ranges.js';

export type ListKind = 'allow' | 'deny' | 'dynamic';

/** Where one validated range goes: a set name, and whether that set holds intervals (ranges). */
export interface SetChoice {
  set: string;
  interval: boolean;
  /**
   * A hash set of networks of this one prefix length, matched by masking the source address: its
   * elements are network addresses without `/length`. (nft 1.0.6 reads every element of every
   * interval set in the table before each transaction, so interval sets are kept for the few ranges
   * of other lengths.)
   */
  prefix?: number;
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

/** A range's element text in the set `choice` names: a prefix set's elements carry no `/length`. */
export function elementText(choice: SetChoice, range: Range): string {
  // The network is the text before `/` (ranges are written `formatCidr` does), already at hand.
  return choice.prefix === undefined ? range.text : range.cidr.network;
}

/** The later of two expiries; null (never) outlasts any time. */
function later(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : Math.max(a, b);
}

/**
 * Keeps only ranges no other range of the same set covers (an interval set refuses overlaps); a range
 * that covers others expires with the last of them, so nothing it replaced is released early.
 */
function normalize(items: Map<string, number | null>): Map<string, number | null> {
  // Widest first: a range is kept unless one already kept covers it.
  const byWidth = [...items.keys()].flatMap((text) => rangeOf(text) ?? []).sort((a, b) => a.cidr.length - b.cidr.length);
  const index = new PrefixIndex<{ text: string; until: number | null }>();
  const kept: Array<{ text: string; until: number | null }> = [];
  for (const range of byWidth) {
    const until = items.get(range.text) ?? null;
    const cover = index.covering(range);
    if (cover !== undefined) {
      cover.until = later(cover.until, until);
      continue;
    }
    const entry = { text: range.text, until };
    index.add(range, entry);
    kept.push(entry);
  }
  const out = new Map<string, number | null>();
  for (const { text, until } of kept) out.set(text, until);
  return out;
}

/** One set's elements being gathered: value -> expiry, and for an interval set the prefix lengths seen. */
interface Gathering {
  items: Map<string, number | null>;
  lengths: Set<number> | null;
}

/** The elements each set should hold at `now`: valid targets only, expired blocks left out, ranges kept whole. */
export function desiredElements(state: DesiredState, now: number, layout: SetLayout): DesiredElements {
  const rejected: string[] = [];
  const bySet = new Map<string, Gathering>();
  for (const { set, interval } of layout.sets) bySet.set(set, { items: new Map(), lengths: interval ? new Set() : null });
  const put = (list: ListKind, text: string, until: number | null): void => {
    // Read at once: what is kept is the element text and prefix length.
    const range = peekRange(text);
    if (range === null) {
      rejected.push(text);
      return;
    }
    const choice = layout.choose(list, range.cidr);
    const { set, interval } = choice;
    const value = elementText(choice, range);
    let gathering = bySet.get(set);
    if (gathering === undefined) {
      gathering = { items: new Map(), lengths: interval ? new Set() : null };
      bySet.set(set, gathering);
    }
    const previous = gathering.items.get(value);
    gathering.items.set(value, previous === undefined ? until : later(previous, until));
    gathering.lengths?.add(range.cidr.length);
  };
  for (const text of state.allow) put('allow', text, null);
  for (const text of state.deny) put('deny', text, null);
  for (const block of state.dynamic) if (block.until > now) put('dynamic', block.target, block.until);
  const elements: ElementMap = new Map();
  // Ranges of one length never overlap (equal ones are one element already): the usual set of /64
  // blocks needs no normalizing.
  for (const [set, { items, lengths }] of bySet) elements.set(set, lengths === null || lengths.size <= 1 ? items : normalize(items));
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
    const added: string[] = [];
    for (const [value, until] of wanted) {
      // Expiries are numbers or null: undefined means absent.
      const old = have.get(value);
      if (old === undefined) {
        diff.add.push({ set, value, until });
        added.push(value);
      } else if (until !== null && (old === null || Math.abs(old - until) > toleranceMs)) {
        diff.refresh.push({ set, value, until });
      }
    }
    // In an interval set, what an added range covers must go first (the set refuses the overlap).
    const covers = intervalSets.has(set) && added.length > 0 ? indexOf(added) : null;
    for (const [value, until] of have) {
      if (wanted.has(value)) continue;
      const range = covers === null ? null : rangeOf(value);
      const covered = range !== null && covers?.covering(range) !== undefined;
      (covered ? diff.superseded : diff.remove).push({ set, value, until });
    }
  }
  return diff;
}

function indexOf(values: readonly string[]): PrefixIndex<true> {
  const index = new PrefixIndex<true>();
  for (const value of values) {
    const range = rangeOf(value);
    if (range !== null) index.add(range, true);
  }
  return index;
}

export function diffSize(diff: ElementDiff): number {
  return diff.add.length + diff.refresh.length + diff.remove.length + diff.superseded.length;
}

/**
 * The elements this process last put in the kernel, kept current change by change, so a batch of new
 * blocks is checked against it without a full diff. Expired elements stay until the next full
 * replacement (every reconcile) and count as absent.
 */
export class HeldElements {
  readonly elements: ElementMap;
  /** Prefix lengths each interval set holds (expired ones included, which only ever errs towards a full diff). */
  private readonly lengths = new Map<string, Set<number>>();

  constructor(elements: ElementMap, intervalSets: ReadonlySet<string>) {
    this.elements = elements;
    for (const set of intervalSets) for (const value of elements.get(set)?.keys() ?? []) this.noteLength(set, lengthOf(value));
  }

  /** Notes that an interval set holds (or is about to hold) a range of prefix length `length`. */
  noteLength(set: string, length: number): void {
    let lengths = this.lengths.get(set);
    if (lengths === undefined) {
      lengths = new Set();
      this.lengths.set(set, lengths);
    }
    lengths.add(length);
  }

  /** The element -> expiry map of `set`, made when missing: for writing a batch in place. */
  valuesOf(set: string): Map<string, number | null> {
    let values = this.elements.get(set);
    if (values === undefined) {
      values = new Map();
      this.elements.set(set, values);
    }
    return values;
  }

  /** The expiry of `value` in `set`: undefined when it is not held or has expired by `now`. */
  expiry(set: string, value: string, now: number): number | null | undefined {
    const until = this.elements.get(set)?.get(value);
    return until === undefined || (until !== null && until <= now) ? undefined : until;
  }

  /** Whether every range `set` holds has prefix length `length`: a new range of that length then overlaps only its equal. */
  holdsOnly(set: string, length: number): boolean {
    const lengths = this.lengths.get(set);
    return lengths === undefined || lengths.size === 0 || (lengths.size === 1 && lengths.has(length));
  }

  /** Elements of `set`, expired ones included: an upper bound of what the kernel holds. */
  count(set: string): number {
    return this.elements.get(set)?.size ?? 0;
  }

  /** The elements not expired at `now`: what the kernel holds. */
  live(now: number): ElementMap {
    const live: ElementMap = new Map();
    for (const set of this.elements.keys()) live.set(set, this.liveValues(set, now));
    return live;
  }

  /** The elements of `set` not expired at `now`. */
  liveValues(set: string, now: number): Map<string, number | null> {
    const kept = new Map<string, number | null>();
    for (const [value, until] of this.elements.get(set) ?? []) if (until === null || until > now) kept.set(value, until);
    return kept;
  }

  /** How many elements of `set` have not expired at `now`; undefined for a set this process never loaded. */
  liveCount(set: string, now: number): number | undefined {
    const values = this.elements.get(set);
    if (values === undefined) return undefined;
    let count = 0;
    for (const until of values.values()) if (until === null || until > now) count++;
    return count;
  }
}

/** The prefix length of an element of an interval set (the text `formatCidr` wrote: a host has no `/`). */
function lengthOf(value: string): number {
  const slash = value.lastIndexOf('/');
  return slash >= 0 ? Number(value.slice(slash + 1)) : value.includes(':') ? 128 : 32;
}

/** A batch's changes, already written into the held elements: kept once the kernel takes them, else undone. */
export interface StagedBlocks {
  diff: ElementDiff;
  /** Puts back what the held elements had before the batch; a second call does nothing. */
  undo(): void;
}

/**
 * What a batch of new blocks changes, worked out from the blocks alone: each block's element is added,
 * or refreshed when it gains time; the same diff a full `diffElements` would give for these blocks.
 * The changes are written into `held` as they are found, one lookup and one write an element (a pass
 * over a map of 100,000 elements costs tens of milliseconds here), with what they replaced kept for
 * `undo`. Null, with `held` as it was, when the batch needs the full diff: a range would go into an
 * interval set that holds (or gets in this batch) ranges of another length, which might cover it or
 * be covered by it.
 */
export function blockDiff(held: HeldElements, blocks: readonly DynamicBlock[], now: number, layout: SetLayout): StagedBlocks | null {
  const diff: ElementDiff = { add: [], refresh: [], remove: [], superseded: [] };
  // What each refresh replaced, in order. An addition replaced nothing held (or an expired element,
  // which counts as absent): undone, it is deleted.
  const replaced: Array<{ values: Map<string, number | null>; value: string; until: number | null }> = [];
  let undone = false;
  const undo = (): void => {
    if (undone) return;
    undone = true;
    for (let i = replaced.length - 1; i >= 0; i--) {
      const entry = replaced[i];
      if (entry !== undefined) entry.values.set(entry.value, entry.until);
    }
    for (const { set, value } of diff.add) held.elements.get(set)?.delete(value);
  };
  // The one prefix length each interval set takes in this batch.
  const lengths = new Map<string, number>();
  // Batches are mostly runs of one set: its map is looked up once a run.
  let lastSet = '';
  let lastValues: Map<string, number | null> | null = null;
  for (const block of blocks) {
    if (block.until <= now) continue;
    // Read at once: nothing of the range is kept but its element text.
    const range = peekRange(block.target);
    // Not an address: never written (`desiredElements` rejects it the same way).
    if (range === null) continue;
    const choice = layout.choose('dynamic', range.cidr);
    const { set, interval } = choice;
    if (interval) {
      const length = lengths.get(set);
      if (length === undefined) {
        if (!held.holdsOnly(set, range.cidr.length)) {
          undo();
          return null;
        }
        lengths.set(set, range.cidr.length);
        held.noteLength(set, range.cidr.length);
      } else if (length !== range.cidr.length) {
        undo();
        return null;
      }
    }
    if (set !== lastSet || lastValues === null) {
      lastSet = set;
      lastValues = held.valuesOf(set);
    }
    const value = elementText(choice, range);
    const old = lastValues.get(value);
    const live = old !== undefined && (old === null || old > now);
    if (live && (old === null || block.until <= old)) continue;
    lastValues.set(value, block.until);
    if (live) {
      replaced.push({ values: lastValues, value, until: old });
      diff.refresh.push({ set, value, until: block.until });
    } else {
      diff.add.push({ set, value, until: block.until });
    }
  }
  mergeRepeats(diff);
  return { diff, undo };
}

/**
 * A target blocked again later in its own batch, for longer, shows up as a refresh of what the batch
 * itself added or refreshed: each element gets one change, with the latest expiry (a refresh deletes
 * the element first, and an element only being added is not there to delete).
 */
function mergeRepeats(diff: ElementDiff): void {
  if (diff.refresh.length === 0) return;
  // Keyed by set, then element: a /64 in its prefix set and a host in block6 share their text.
  const refreshed = new Map<string, Map<string, ElementChange>>();
  const repeats = new Set<ElementChange>();
  for (const change of diff.refresh) {
    let bySet = refreshed.get(change.set);
    if (bySet === undefined) {
      bySet = new Map();
      refreshed.set(change.set, bySet);
    }
    const first = bySet.get(change.value);
    if (first === undefined) {
      bySet.set(change.value, change);
    } else {
      first.until = later(first.until, change.until);
      repeats.add(change);
    }
  }
  for (const change of diff.add) {
    const again = refreshed.get(change.set)?.get(change.value);
    if (again === undefined) continue;
    change.until = later(change.until, again.until);
    repeats.add(again);
  }
  if (repeats.size > 0) diff.refresh = diff.refresh.filter((change) => !repeats.has(change));
}

// Pure: kernel elements -> nft scripts for `nft -f -` (the whole table, element changes, teardown).
import type { EnforcerSettings } from './backend.js';
import type { ElementChange, ElementDiff, ElementMap } from './elements.js';
import { MIN_TIMEOUT_MS, NFT_INTERVAL_SETS, NFT_TABLE_REF as TABLE, NFT_TIMEOUT_SETS as TIMEOUT_SETS, nftStructure } from './nft-structure.js';

/** Elements per `add element` line, so an error points near its element. */
const CHUNK = 5000;
/**
 * An element whose remaining time is at most this much below its block set's own timeout takes that
 * timeout (no per-element one): the kernel then releases it up to this long after its recorded expiry.
 * Within the tolerance reconcile allows between listed and stored expiries.
 */
const DEFAULT_TIMEOUT_SLACK_MS = 2000;
/** A block of an interval set this close to expiry is left to expire rather than deleted (it may be gone). */
const EXPIRY_MARGIN_MS = 2000;
/**
 * nft 1.0.6 takes time in proportion to an interval set's size for each element it deletes from it
 * (about 2 µs per element held: 0.1 s a deletion at 50,000, so refreshing 1,000 /64 blocks took
 * minutes). Flushing the set and adding back what it keeps costs about 12 µs an element, once: beyond
 * this many deletions that is faster, whatever the size.
 */
const REWRITE_AFTER_DELETES = 8;

/**
 * ` timeout Nms` for an element of a timeout set, or '' when the set's own timeout (the dynamic block
 * time) ends it no more than DEFAULT_TIMEOUT_SLACK_MS after its expiry: a block applied as it is
 * decided. nft spends about a fifth of a 100,000-block transaction parsing per-element timeouts.
 */
function timeoutText(until: number | null, now: number, setTimeoutMs: number | null): string {
  if (until === null) return '';
  const remaining = Math.max(MIN_TIMEOUT_MS, Math.round(until - now));
  if (setTimeoutMs !== null && remaining <= setTimeoutMs && setTimeoutMs - remaining <= DEFAULT_TIMEOUT_SLACK_MS) return '';
  return ` timeout ${remaining}ms`;
}

/** How elements' timeouts are written: not at all (deletes), or each its remaining time, left out where the set's own timeout serves. */
type TimeoutStyle = { written: false } | { written: true; now: number; setTimeoutMs: number | null };
const NO_TIMEOUTS: TimeoutStyle = { written: false };

/** Element lines for one operation, chunked. */
function elementLines(op: 'add' | 'delete', changes: readonly ElementChange[], timeouts: TimeoutStyle): string[] {
  const bySet = new Map<string, string[]>();
  // Blocks of one batch mostly share an expiry: its text is made once.
  let lastUntil: number | null = null;
  let lastTimeout = '';
  let lastSet = '';
  let items: string[] = [];
  for (const change of changes) {
    if (change.set !== lastSet) {
      lastSet = change.set;
      items = bySet.get(lastSet) ?? [];
      bySet.set(lastSet, items);
    }
    if (timeouts.written && TIMEOUT_SETS.has(change.set)) {
      if (change.until !== lastUntil) [lastUntil, lastTimeout] = [change.until, timeoutText(change.until, timeouts.now, timeouts.setTimeoutMs)];
      items.push(lastTimeout === '' ? change.value : change.value + lastTimeout);
    } else {
      items.push(change.value);
    }
  }
  const lines: string[] = [];
  for (const [name, setItems] of bySet) {
    for (let i = 0; i < setItems.length; i += CHUNK) lines.push(`${op} element ${TABLE} ${name} { ${setItems.slice(i, i + CHUNK).join(', ')} }`);
  }
  return lines;
}

/** Every element of `elements` as `add element` lines, with remaining time for dynamic blocks. */
function addAll(elements: ElementMap, timeouts: TimeoutStyle): string[] {
  const changes: ElementChange[] = [];
  for (const [name, values] of elements) for (const [value, until] of values) changes.push({ set: name, value, until });
  return elementLines('add', changes, timeouts);
}

/** The whole table in one transaction: created if missing, replaced if present, with its elements. */
export function nftFullScript(settings: EnforcerSettings, elements: ElementMap, now: number): string {
  const structure = nftStructure(settings);
  // `table` then `delete table` makes the load work whether or not the table exists.
  return [
    `table ${TABLE}`,
    `delete table ${TABLE}`,
    structure.text,
    ...addAll(elements, { written: true, now, setTimeoutMs: settings.blockTimeoutMs }),
    '',
  ].join('\n');
}

/** What a set holds once a change is made: every element, for rewriting the set whole. */
export type SetContents = (set: string) => ReadonlyMap<string, number | null>;

/** Interval sets the change deletes more than REWRITE_AFTER_DELETES elements from. */
function setsToRewrite(deletes: readonly ElementChange[], intervalSets: ReadonlySet<string>): Set<string> {
  const counts = new Map<string, number>();
  for (const { set } of deletes) if (intervalSets.has(set)) counts.set(set, (counts.get(set) ?? 0) + 1);
  return new Set([...counts].filter(([, count]) => count > REWRITE_AFTER_DELETES).map(([set]) => set));
}

export interface ChangeScriptOptions {
  /** What a set holds after the change, for an interval set rewritten whole; without it none is. */
  contents?: SetContents;
  /** The block sets' own timeout (`blockTimeoutMs` of the settings the table was made with); null: every timeout written. */
  setTimeoutMs?: number | null;
}

/**
 * Element changes in one transaction. An element that exists or is already gone is no error in a
 * hash set: a removal first adds the element (a no-op when present). Interval sets refuse that trick
 * (nft then sees the re-added range overlap what follows), so their removals are plain deletes of
 * elements just read or loaded; a removal of a block about to expire is left to the kernel. An
 * interval set the change deletes many elements from is flushed and its elements, from `contents`,
 * added back instead (see REWRITE_AFTER_DELETES).
 */
export function nftChangeScript(diff: ElementDiff, now: number, options: ChangeScriptOptions = {}): string {
  const { contents } = options;
  const intervalSets = NFT_INTERVAL_SETS;
  const timeouts: TimeoutStyle = { written: true, now, setTimeoutMs: options.setTimeoutMs ?? null };
  const expiring = (c: ElementChange): boolean => c.until !== null && c.until - now < EXPIRY_MARGIN_MS;
  const remove = diff.remove.filter((c) => !(intervalSets.has(c.set) && expiring(c)));
  const rewrite = contents === undefined ? new Set<string>() : setsToRewrite([...diff.superseded, ...remove, ...diff.refresh], intervalSets);
  const keep = (changes: readonly ElementChange[]): readonly ElementChange[] => (rewrite.size === 0 ? changes : changes.filter((c) => !rewrite.has(c.set)));
  const superseded = keep(diff.superseded);
  const refresh = keep(diff.refresh);
  const hashRemove = remove.filter((c) => !intervalSets.has(c.set));
  const intervalRemove = keep(remove.filter((c) => intervalSets.has(c.set)));
  const hashRefresh = refresh.filter((c) => !intervalSets.has(c.set));
  const rewritten = [...rewrite].flatMap((set) => {
    const values = contents?.(set) ?? new Map<string, number | null>();
    return [
      `flush set ${TABLE} ${set}`,
      ...elementLines(
        'add',
        [...values].map(([value, until]) => ({ set, value, until })),
        timeouts,
      ),
    ];
  });
  const lines = [
    ...rewritten,
    // Deletes come before adds: an interval set takes a range only once what it covers is gone.
    ...elementLines('delete', superseded, NO_TIMEOUTS),
    ...elementLines('delete', intervalRemove, NO_TIMEOUTS),
    ...elementLines('add', hashRemove, timeouts),
    ...elementLines('delete', hashRemove, NO_TIMEOUTS),
    ...elementLines('add', hashRefresh, timeouts),
    ...elementLines('delete', refresh, NO_TIMEOUTS),
    ...elementLines('add', refresh, timeouts),
    ...elementLines('add', keep(diff.add), timeouts),
  ];
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Removes sipwarden's table, and nothing else; not an error when it is absent. */
export function nftTeardownScript(): string {
  return `table ${TABLE}\ndelete table ${TABLE}\n`;
}

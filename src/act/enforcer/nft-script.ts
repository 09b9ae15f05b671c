// Pure: enforcer settings and kernel elements -> nft scripts (for `nft -f -`), and `nft -j` listings -> elements.
//
// The table, `inet sipwarden`, is the only one sipwarden touches. Its base chain hooks prerouting at raw
// priority, so a blocked flood costs no conntrack entries. Rule order: loopback and the allowlist
// accept; the denylist and dynamic blocks drop (counted); then the INVITE limiter.
//
// The INVITE limiter matches UDP and TCP packets to the SIP ports whose payload starts with `INVITE `
// (`@ih,0,56`: the first 7 bytes after the transport header, Linux 5.16+), keeps one token bucket per
// source in a dynamic set (`update @limiter4 { ip saddr limit rate over V/U burst B packets }`), and
// sends over-limit packets to `ratelimit`, which drops and counts them and logs the first one of each
// episode: `episode4/6` remember the sources logged, and every drop refreshes the entry, so an entry
// (an episode) ends one unit after the last drop. A full limiter set cannot take a new source (the
// kernel's update then does not match): such sources share the `fallback` limit and are logged at
// most once a second, so a full set never means "unlimited".
//
// What the kernel cannot see: INVITEs over TLS (limited from log evidence by the same model), and a
// User-Agent anywhere in the payload (nftables has no string search): the nft backend blocks scanners
// through the user-agent detector, from log or NFLOG evidence; the iptables backend also drops them
// in the kernel with a string match. A TCP segment dropped by the limiter is retransmitted, often
// merged with the requests behind it, so TCP floods are slowed rather than cut to an exact count.
import { addressFamily, canonicalAddress, formatV6Bytes } from '../../model/address.js';
import { KERNEL_PREFIX_FALLBACK, KERNEL_PREFIX_NEW, KERNEL_PREFIX_RATELIMIT } from '../../config/defaults.js';
import type { EnforcerSettings } from './backend.js';
import type { ElementChange, ElementDiff, ElementMap, SetChoice, SetLayout } from './elements.js';
import { fingerprint } from './fingerprint.js';

export const NFT_FAMILY = 'inet';
export const NFT_TABLE = 'sipwarden';
const TABLE = `${NFT_FAMILY} ${NFT_TABLE}`;
/** `INVITE ` (with its space) as the hex the payload match compares with. */
const INVITE_HEX = '0x494e5649544520';
/** NFLOG evidence: bytes of each packet handed over, enough for the request line and headers. */
const NFLOG_SNAPLEN = 2048;
/** First SIP requests of a new source sent to NFLOG, per source and hour. */
const PROBE_PER_SOURCE = 3;
/** Packets a second handed to NFLOG as first requests, all sources together: a flood of fresh
 * sources cannot flood userspace. */
const PROBE_BUDGET = 200;
const PROBE_TIMEOUT_MS = 3_600_000;
/** Elements per `add element` line, so an error points near its element. */
const CHUNK = 5000;
/** Set timeouts shorter than this are raised to it (an element must outlive the transaction). */
const MIN_TIMEOUT_MS = 1000;
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

const set = (name: string, interval: boolean, prefix?: number): SetChoice => ({ set: name, interval, ...(prefix === undefined ? {} : { prefix }) });
/** Every fixed choice made once: `choose` runs for each of up to a million targets. */
const CHOICES = {
  allow: { 4: set('allow4', true), 6: set('allow6', true) },
  deny: { 4: set('deny4', false), 6: set('deny6', false) },
  denyNet: { 4: set('denynet4', true), 6: set('denynet6', true) },
  block: { 4: set('block4', false), 6: set('block6', false) },
  blockNet: { 4: set('blocknet4', true), 6: set('blocknet6', true) },
} as const;

/**
 * The nft backend's sets. Interval sets cost every transaction a read of all their elements
 * (nft 1.0.6: 20,000 ranges make each change take 0.2 s), so what accumulates goes in hash sets:
 * single addresses (`deny4`, `block4`, ...), and IPv6 networks of the configured grouping prefix
 * (`denyprefix6`, `blockprefix6`, matched by masking the source). Interval sets (`allow*`,
 * `denynet*`, `blocknet*`) keep the allowlist and ranges of any other length.
 */
export function nftLayout(ipv6Prefix: number): SetLayout {
  const grouped = ipv6Prefix < 128;
  const denyPrefix = set('denyprefix6', false, ipv6Prefix);
  const blockPrefix = set('blockprefix6', false, ipv6Prefix);
  const sets: SetChoice[] = [CHOICES.allow[4], CHOICES.allow[6], CHOICES.deny[4], CHOICES.deny[6], CHOICES.denyNet[4], CHOICES.denyNet[6]];
  if (grouped) sets.push(denyPrefix);
  sets.push(CHOICES.block[4], CHOICES.block[6], CHOICES.blockNet[4], CHOICES.blockNet[6]);
  if (grouped) sets.push(blockPrefix);
  return {
    sets,
    choose(list, cidr) {
      if (list === 'allow') return CHOICES.allow[cidr.family];
      const host = cidr.length === (cidr.family === 4 ? 32 : 128);
      if (host) return (list === 'deny' ? CHOICES.deny : CHOICES.block)[cidr.family];
      if (cidr.family === 6 && cidr.length === ipv6Prefix) return list === 'deny' ? denyPrefix : blockPrefix;
      return (list === 'deny' ? CHOICES.denyNet : CHOICES.blockNet)[cidr.family];
    },
  };
}

/** The layout with the default grouping of IPv6 sources (/64); the backend uses its configured one. */
export const NFT_LAYOUT: SetLayout = nftLayout(64);

export const NFT_INTERVAL_SETS: ReadonlySet<string> = new Set(NFT_LAYOUT.sets.filter((s) => s.interval).map((s) => s.set));
const TIMEOUT_SETS: ReadonlySet<string> = new Set(['block4', 'block6', 'blockprefix6', 'blocknet4', 'blocknet6']);

/** The mask that keeps the first `length` bits of an IPv6 address, as nft reads it (`ffff:ffff:ffff:ffff::`). */
function ipv6Mask(length: number): string {
  const bytes = new Uint8Array(16);
  for (let bit = 0; bit < length; bit++) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return formatV6Bytes(bytes);
}

/** The table's declarations and chains, without elements. */
export interface NftStructure {
  /** The `table inet sipwarden { ... }` block. */
  text: string;
  /** Fingerprint of `text`, carried in a rule comment so reconcile can tell an out-of-date table. */
  fingerprint: string;
  /** Rules each chain holds. */
  chains: Record<string, number>;
  /** Every set the table declares. */
  sets: string[];
}

function logStatement(prefix: string, settings: EnforcerSettings): string {
  const quoted = `"${prefix} "`;
  // queue-threshold 1: the kernel hands each packet over at once; by default it batches them, up
  // to 100 packets or one second, and a scanner's first request would wait that second.
  return settings.evidence === 'nflog'
    ? `log prefix ${quoted} group ${settings.nflogGroup} snaplen ${NFLOG_SNAPLEN} queue-threshold 1`
    : `log prefix ${quoted} level warn`;
}

/** The limiter set's timeout: a bucket idle this long has refilled, so forgetting it changes nothing. */
export function limiterTimeoutMs(settings: EnforcerSettings): number {
  const limiter = settings.limiter;
  if (limiter === null) return MIN_TIMEOUT_MS;
  return Math.max(MIN_TIMEOUT_MS, Math.ceil(limiter.intervalMs * limiter.burst));
}

/** The table's sets, limits, counters and chains for the given settings. */
export function nftStructure(settings: EnforcerSettings): NftStructure {
  const sizes = settings.setSizes;
  const lines: string[] = [];
  const counters = ['deny_drop', 'block_drop'];
  const declarations: string[] = [];
  const declare = (name: string, family: 4 | 6, flags: string, size: number, timeoutMs?: number): void => {
    const type = family === 4 ? 'ipv4_addr' : 'ipv6_addr';
    const flagText = flags === '' ? '' : ` flags ${flags};`;
    const timeout = timeoutMs === undefined ? '' : ` timeout ${timeoutMs}ms;`;
    declarations.push(`\tset ${name} { type ${type};${flagText}${timeout} size ${size}; }`);
  };
  const layout = nftLayout(settings.ipv6Prefix);
  for (const { set: name, interval } of layout.sets) {
    const family = name.endsWith('4') ? 4 : 6;
    const list = name.startsWith('allow') || name.startsWith('deny');
    const flags = [interval ? 'interval' : '', list ? '' : 'timeout'].filter((f) => f !== '').join(',');
    // Block sets time out after the dynamic block time unless an element says otherwise (see timeoutText).
    declare(name, family, flags, list ? sizes.lists : sizes.blocks, list ? undefined : settings.blockTimeoutMs);
  }
  const chains: Array<{ name: string; base?: string; rules: string[] }> = [];
  const pre: string[] = ['iif "lo" accept comment "sipwarden ruleset FINGERPRINT"'];
  const match = ({ set: name, prefix }: SetChoice): string => {
    if (name.endsWith('4')) return `ip saddr @${name}`;
    return prefix === undefined ? `ip6 saddr @${name}` : `ip6 saddr & ${ipv6Mask(prefix)} @${name}`;
  };
  for (const choice of layout.sets) {
    const kind = choice.set.startsWith('allow') ? 'allow' : choice.set.startsWith('deny') ? 'deny' : 'block';
    pre.push(`${match(choice)} ${kind === 'allow' ? 'accept' : `counter name "${kind}_drop" drop`}`);
  }
  const limiter = settings.limiter;
  const sets = layout.sets.map((s) => s.set);
  let limitDeclaration = '';
  if (settings.evidence === 'nflog' && settings.ports.length > 0) {
    // The first few UDP requests of each source go to NFLOG, so its User-Agent is seen even
    // when the PBX logs none. (TCP's first segments carry no request; TCP sources are seen when
    // the limiter logs them.)
    for (const family of [4, 6] as const) {
      declare(`probe${family}`, family, 'dynamic,timeout', sizes.limiter, PROBE_TIMEOUT_MS);
      sets.push(`probe${family}`);
    }
    const udpPorts = [...settings.ports].sort((a, b) => a - b).join(', ');
    const log = logStatement(KERNEL_PREFIX_NEW, settings);
    const perSource = `limit rate ${PROBE_PER_SOURCE}/hour burst ${PROBE_PER_SOURCE} packets`;
    pre.push(`udp dport { ${udpPorts} } update @probe4 { ip saddr ${perSource} } limit name "probe_budget" ${log}`);
    pre.push(`udp dport { ${udpPorts} } update @probe6 { ip6 saddr ${perSource} } limit name "probe_budget" ${log}`);
  }
  if (limiter !== null && settings.ports.length > 0) {
    counters.push('ratelimit_drop', 'ratelimit_logged', 'fallback_drop', 'fallback_logged');
    const limiterTimeout = limiterTimeoutMs(settings);
    for (const family of [4, 6] as const) {
      declare(`limiter${family}`, family, 'dynamic,timeout', sizes.limiter, limiterTimeout);
      declare(`episode${family}`, family, 'dynamic,timeout', sizes.limiter, Math.max(MIN_TIMEOUT_MS, limiter.unitMs));
      sets.push(`limiter${family}`, `episode${family}`);
    }
    limitDeclaration = `\tlimit fallback { rate ${limiter.nftRate} }`;
    const ports = [...settings.ports].sort((a, b) => a - b).join(', ');
    pre.push(`meta l4proto { tcp, udp } th dport { ${ports} } @ih,0,56 ${INVITE_HEX} jump invite`);
    chains.push({
      name: 'invite',
      rules: [
        `meta nfproto ipv4 update @limiter4 { ip saddr limit rate ${limiter.nftRate} } goto ratelimit`,
        `meta nfproto ipv6 update @limiter6 { ip6 saddr limit rate ${limiter.nftRate} } goto ratelimit`,
        // Only sources the limiter set could not take (it is full) reach these two rules over the limit.
        'ip saddr != @limiter4 limit name "fallback" goto fallback',
        'ip6 saddr != @limiter6 limit name "fallback" goto fallback',
      ],
    });
    chains.push({
      name: 'ratelimit',
      rules: [
        'ip saddr @episode4 update @episode4 { ip saddr } counter name "ratelimit_drop" drop',
        'ip6 saddr @episode6 update @episode6 { ip6 saddr } counter name "ratelimit_drop" drop',
        `meta nfproto ipv4 update @episode4 { ip saddr } counter name "ratelimit_logged" ${logStatement(KERNEL_PREFIX_RATELIMIT, settings)}`,
        `meta nfproto ipv6 update @episode6 { ip6 saddr } counter name "ratelimit_logged" ${logStatement(KERNEL_PREFIX_RATELIMIT, settings)}`,
        'counter name "ratelimit_drop" drop',
      ],
    });
    chains.push({
      name: 'fallback',
      rules: [
        `limit rate 1/second burst 1 packets counter name "fallback_logged" ${logStatement(KERNEL_PREFIX_FALLBACK, settings)}`,
        'counter name "fallback_drop" drop',
      ],
    });
  }
  chains.unshift({ name: 'prerouting', base: 'type filter hook prerouting priority raw; policy accept;', rules: pre });

  lines.push(`table ${TABLE} {`);
  for (const counter of counters) lines.push(`\tcounter ${counter} { }`);
  if (limitDeclaration !== '') lines.push(limitDeclaration);
  if (settings.evidence === 'nflog' && settings.ports.length > 0)
    lines.push(`\tlimit probe_budget { rate ${PROBE_BUDGET}/second burst ${PROBE_BUDGET} packets }`);
  lines.push(...declarations);
  for (const chain of chains) {
    lines.push(`\tchain ${chain.name} {`);
    if (chain.base !== undefined) lines.push(`\t\t${chain.base}`);
    for (const rule of chain.rules) lines.push(`\t\t${rule}`);
    lines.push('\t}');
  }
  lines.push('}');
  const draft = lines.join('\n');
  const print = fingerprint(draft);
  return {
    text: draft.replace('FINGERPRINT', print),
    fingerprint: print,
    chains: Object.fromEntries(chains.map((c) => [c.name, c.rules.length])),
    sets,
  };
}

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

/** What `nft -j -t list ruleset` says about the table, with the elements of its managed sets added. */
export interface NftListing {
  /** Whether the table exists. */
  table: boolean;
  /** Fingerprint from the first rule's comment, or null when the rule is missing. */
  fingerprint: string | null;
  /** Rules per chain. */
  chains: Record<string, number>;
  sets: Map<string, { size: number | null; elements: Map<string, number | null> }>;
}

const KERNEL_TEXT = /^(?:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})$/;

/** A listed address in the text nft takes back: the kernel's own output (inet_ntop) is canonical already; anything else goes through ipaddr.js. */
function listedAddress(text: string): string | null {
  return KERNEL_TEXT.test(text) ? text : canonicalAddress(text);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An element value as the kernel lists it, in the text nft takes back; null when not an address. */
function elementValue(value: Json | undefined): string | null {
  if (typeof value === 'string') return listedAddress(value);
  if (!isObject(value)) return null;
  const prefix = value['prefix'];
  if (isObject(prefix) && typeof prefix['addr'] === 'string' && typeof prefix['len'] === 'number') {
    const addr = listedAddress(prefix['addr']);
    return addr === null ? null : `${addr}/${prefix['len']}`;
  }
  const range = value['range'];
  if (Array.isArray(range) && typeof range[0] === 'string' && typeof range[1] === 'string') {
    const from = listedAddress(range[0]);
    const to = listedAddress(range[1]);
    return from === null || to === null || addressFamily(from) !== addressFamily(to) ? null : `${from}-${to}`;
  }
  return null;
}

/** Whether a listed object belongs to `inet sipwarden` (a ruleset listing holds every table). */
function inOurTable(object: { [key: string]: Json }): boolean {
  return (object['family'] === undefined || object['family'] === NFT_FAMILY) && (object['table'] === undefined || object['table'] === NFT_TABLE);
}

/** Parses `nft -j` listings (`-t list ruleset`, `list set`) of the table; element expiries become ms since epoch relative to `now`. */
export function parseNftListing(text: string, now: number): NftListing {
  const root = JSON.parse(text) as Json;
  const items = isObject(root) && Array.isArray(root['nftables']) ? root['nftables'] : [];
  const listing: NftListing = { table: false, fingerprint: null, chains: {}, sets: new Map() };
  for (const item of items) {
    if (!isObject(item)) continue;
    const table = item['table'];
    if (isObject(table) && table['family'] === NFT_FAMILY && table['name'] === NFT_TABLE) listing.table = true;
    const chain = item['chain'];
    if (isObject(chain) && inOurTable(chain) && typeof chain['name'] === 'string') listing.chains[chain['name']] = 0;
    const rule = item['rule'];
    if (isObject(rule) && inOurTable(rule) && typeof rule['chain'] === 'string') {
      listing.chains[rule['chain']] = (listing.chains[rule['chain']] ?? 0) + 1;
      const comment = rule['comment'];
      const match = typeof comment === 'string' ? /^sipwarden ruleset ([0-9a-f]{8})$/.exec(comment) : null;
      if (match !== null && rule['chain'] === 'prerouting') listing.fingerprint = match[1] ?? null;
    }
    const s = item['set'];
    if (isObject(s) && inOurTable(s) && typeof s['name'] === 'string') {
      const elements = new Map<string, number | null>();
      const elems = Array.isArray(s['elem']) ? s['elem'] : [];
      for (const raw of elems) {
        const inner = isObject(raw) && isObject(raw['elem']) ? raw['elem'] : null;
        const value = elementValue(inner === null ? raw : inner['val']);
        if (value === null) continue;
        const expires = inner !== null && typeof inner['expires'] === 'number' ? inner['expires'] : null;
        elements.set(value, expires === null ? null : now + expires * 1000);
      }
      listing.sets.set(s['name'], { size: typeof s['size'] === 'number' ? s['size'] : null, elements });
    }
  }
  return listing;
}

/** Whether a listed table is the one `structure` describes (same fingerprint, every chain and set whole). */
export function listingMatches(listing: NftListing, structure: NftStructure): boolean {
  if (listing.fingerprint !== structure.fingerprint) return false;
  for (const [chain, rules] of Object.entries(structure.chains)) if (listing.chains[chain] !== rules) return false;
  return structure.sets.every((name) => listing.sets.has(name));
}

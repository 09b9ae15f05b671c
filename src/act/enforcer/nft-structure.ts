// Pure: the nftables table sipwarden owns: its set layout and its declarations and chains (no elements).
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
import { formatV6Bytes } from '../../model/address.js';
import { KERNEL_PREFIX_FALLBACK, KERNEL_PREFIX_NEW, KERNEL_PREFIX_RATELIMIT } from '../../config/defaults.js';
import type { EnforcerSettings } from './backend.js';
import type { SetChoice, SetLayout } from './elements.js';
import { fingerprint } from './fingerprint.js';

export const NFT_FAMILY = 'inet';
export const NFT_TABLE = 'sipwarden';
export const NFT_TABLE_REF = `${NFT_FAMILY} ${NFT_TABLE}`;
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
/** Set timeouts shorter than this are raised to it (an element must outlive the transaction). */
export const MIN_TIMEOUT_MS = 1000;

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
/** The sets whose elements time out (dynamic blocks). */
export const NFT_TIMEOUT_SETS: ReadonlySet<string> = new Set(['block4', 'block6', 'blockprefix6', 'blocknet4', 'blocknet6']);

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

/** One part of the table: what it adds to each section of the `table inet sipwarden { ... }` block. */
interface TablePart {
  counters: string[];
  /** Named limits (`limit x { ... }`). */
  limits: string[];
  /** Set declarations (`set x { ... }`). */
  declarations: string[];
  /** Every set the part declares, in order. */
  sets: string[];
  /** Rules appended to the base chain. */
  prerouting: string[];
  chains: Chain[];
}

interface Chain {
  name: string;
  /** The hook line of a base chain. */
  base?: string;
  rules: string[];
}

function setDeclaration(name: string, family: 4 | 6, flags: readonly string[], size: number, timeoutMs?: number): string {
  const type = family === 4 ? 'ipv4_addr' : 'ipv6_addr';
  const flagText = flags.length === 0 ? '' : ` flags ${flags.join(',')};`;
  const timeout = timeoutMs === undefined ? '' : ` timeout ${timeoutMs}ms;`;
  return `\tset ${name} { type ${type};${flagText}${timeout} size ${size}; }`;
}

/** The rule that matches a source against one layout set. */
function sourceMatch({ set: name, prefix }: SetChoice): string {
  if (name.endsWith('4')) return `ip saddr @${name}`;
  return prefix === undefined ? `ip6 saddr @${name}` : `ip6 saddr & ${ipv6Mask(prefix)} @${name}`;
}

/**
 * The address lists: loopback and the allowlist accept, the denylist and dynamic blocks drop
 * (counted). Block sets time out after the dynamic block time unless an element says otherwise
 * (see the scripts' timeoutText).
 */
function listsPart(settings: EnforcerSettings): TablePart {
  const layout = nftLayout(settings.ipv6Prefix);
  const declarations: string[] = [];
  const prerouting = ['iif "lo" accept comment "sipwarden ruleset FINGERPRINT"'];
  for (const choice of layout.sets) {
    const name = choice.set;
    const list = name.startsWith('allow') || name.startsWith('deny');
    const flags = [...(choice.interval ? ['interval'] : []), ...(list ? [] : ['timeout'])];
    const size = list ? settings.setSizes.lists : settings.setSizes.blocks;
    declarations.push(setDeclaration(name, name.endsWith('4') ? 4 : 6, flags, size, list ? undefined : settings.blockTimeoutMs));
    const kind = name.startsWith('allow') ? 'allow' : name.startsWith('deny') ? 'deny' : 'block';
    prerouting.push(`${sourceMatch(choice)} ${kind === 'allow' ? 'accept' : `counter name "${kind}_drop" drop`}`);
  }
  return { counters: ['deny_drop', 'block_drop'], limits: [], declarations, sets: layout.sets.map((s) => s.set), prerouting, chains: [] };
}

/**
 * NFLOG evidence: the first few UDP requests of each source go to NFLOG, so its User-Agent is seen
 * even when the PBX logs none. (TCP's first segments carry no request; TCP sources are seen when the
 * limiter logs them.)
 */
function probePart(settings: EnforcerSettings): TablePart | null {
  if (settings.evidence !== 'nflog' || settings.ports.length === 0) return null;
  const declarations: string[] = [];
  for (const family of [4, 6] as const)
    declarations.push(setDeclaration(`probe${family}`, family, ['dynamic', 'timeout'], settings.setSizes.limiter, PROBE_TIMEOUT_MS));
  const udpPorts = [...settings.ports].sort((a, b) => a - b).join(', ');
  const log = logStatement(KERNEL_PREFIX_NEW, settings);
  const perSource = `limit rate ${PROBE_PER_SOURCE}/hour burst ${PROBE_PER_SOURCE} packets`;
  return {
    counters: [],
    limits: [`\tlimit probe_budget { rate ${PROBE_BUDGET}/second burst ${PROBE_BUDGET} packets }`],
    declarations,
    sets: ['probe4', 'probe6'],
    prerouting: [
      `udp dport { ${udpPorts} } update @probe4 { ip saddr ${perSource} } limit name "probe_budget" ${log}`,
      `udp dport { ${udpPorts} } update @probe6 { ip6 saddr ${perSource} } limit name "probe_budget" ${log}`,
    ],
    chains: [],
  };
}

/** The INVITE limiter: per-source token buckets, episodes logged once, and the shared fallback limit. */
function limiterPart(settings: EnforcerSettings): TablePart | null {
  const limiter = settings.limiter;
  if (limiter === null || settings.ports.length === 0) return null;
  const sizes = settings.setSizes;
  const declarations: string[] = [];
  for (const family of [4, 6] as const) {
    declarations.push(setDeclaration(`limiter${family}`, family, ['dynamic', 'timeout'], sizes.limiter, limiterTimeoutMs(settings)));
    declarations.push(setDeclaration(`episode${family}`, family, ['dynamic', 'timeout'], sizes.limiter, Math.max(MIN_TIMEOUT_MS, limiter.unitMs)));
  }
  const ports = [...settings.ports].sort((a, b) => a - b).join(', ');
  return {
    counters: ['ratelimit_drop', 'ratelimit_logged', 'fallback_drop', 'fallback_logged'],
    limits: [`\tlimit fallback { rate ${limiter.nftRate} }`],
    declarations,
    sets: ['limiter4', 'episode4', 'limiter6', 'episode6'],
    prerouting: [`meta l4proto { tcp, udp } th dport { ${ports} } @ih,0,56 ${INVITE_HEX} jump invite`],
    chains: [
      {
        name: 'invite',
        rules: [
          `meta nfproto ipv4 update @limiter4 { ip saddr limit rate ${limiter.nftRate} } goto ratelimit`,
          `meta nfproto ipv6 update @limiter6 { ip6 saddr limit rate ${limiter.nftRate} } goto ratelimit`,
          // Only sources the limiter set could not take (it is full) reach these two rules over the limit.
          'ip saddr != @limiter4 limit name "fallback" goto fallback',
          'ip6 saddr != @limiter6 limit name "fallback" goto fallback',
        ],
      },
      {
        name: 'ratelimit',
        rules: [
          'ip saddr @episode4 update @episode4 { ip saddr } counter name "ratelimit_drop" drop',
          'ip6 saddr @episode6 update @episode6 { ip6 saddr } counter name "ratelimit_drop" drop',
          `meta nfproto ipv4 update @episode4 { ip saddr } counter name "ratelimit_logged" ${logStatement(KERNEL_PREFIX_RATELIMIT, settings)}`,
          `meta nfproto ipv6 update @episode6 { ip6 saddr } counter name "ratelimit_logged" ${logStatement(KERNEL_PREFIX_RATELIMIT, settings)}`,
          'counter name "ratelimit_drop" drop',
        ],
      },
      {
        name: 'fallback',
        rules: [
          `limit rate 1/second burst 1 packets counter name "fallback_logged" ${logStatement(KERNEL_PREFIX_FALLBACK, settings)}`,
          'counter name "fallback_drop" drop',
        ],
      },
    ],
  };
}

/** The table's sets, limits, counters and chains for the given settings. */
export function nftStructure(settings: EnforcerSettings): NftStructure {
  const parts = [listsPart(settings), probePart(settings), limiterPart(settings)].filter((p) => p !== null);
  const base: Chain = { name: 'prerouting', base: 'type filter hook prerouting priority raw; policy accept;', rules: parts.flatMap((p) => p.prerouting) };
  const chains = [base, ...parts.flatMap((p) => p.chains)];
  const lines = [
    `table ${NFT_TABLE_REF} {`,
    ...parts.flatMap((p) => p.counters).map((counter) => `\tcounter ${counter} { }`),
    ...parts.flatMap((p) => p.limits),
    ...parts.flatMap((p) => p.declarations),
  ];
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
    sets: parts.flatMap((p) => p.sets),
  };
}

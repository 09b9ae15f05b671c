// Pure: enforcer settings and elements -> `ipset restore` and `iptables-restore --noflush` scripts.
//
// Same semantics as the nft backend for systems without nftables: `hash:net` ipsets per family
// (allowlist, denylist, dynamic blocks with per-element timeouts), chains of our own in the raw table
// jumped to from PREROUTING, `hashlimit` per source (same rate and burst as the userspace model) on
// packets whose payload starts with `INVITE ` (a `string` match at the payload's offset: fixed for UDP;
// for TCP within the first bytes after the longest TCP header), `recent` lists that log the first
// drop of an episode, and `string` matches that drop blocked User-Agents in the kernel.
// Unlike nft's dynamic set, a full hashlimit table drops the new source's INVITEs rather than
// passing them, so a full table never means "unlimited" here either.
import { KERNEL_PREFIX_RATELIMIT } from '../../config/defaults.js';
import type { EnforcerSettings } from './backend.js';
import type { ElementChange, ElementDiff, ElementMap, ListKind, SetChoice, SetLayout } from './elements.js';
import { fingerprint } from './fingerprint.js';

export const CHAIN = 'SIPWARDEN';
export const CHAIN_INVITE = 'SIPWARDEN-INVITE';
export const CHAIN_RATELIMIT = 'SIPWARDEN-RATELIMIT';
export const CHAINS = [CHAIN, CHAIN_INVITE, CHAIN_RATELIMIT] as const;
export const IPT_TABLE = 'raw';

const set = (name: string): SetChoice => ({ set: name, interval: false });

/** Every choice made once: `choose` runs for each of up to a million targets. */
const CHOICES: Record<ListKind, Record<4 | 6, SetChoice>> = {
  allow: { 4: set('sipwarden-allow4'), 6: set('sipwarden-allow6') },
  deny: { 4: set('sipwarden-deny4'), 6: set('sipwarden-deny6') },
  dynamic: { 4: set('sipwarden-block4'), 6: set('sipwarden-block6') },
};

/** ipsets: hash:net holds hosts and ranges side by side, so no set needs ranges normalized. */
export const IPSET_LAYOUT: SetLayout = {
  sets: ([4, 6] as const).flatMap((f) => [CHOICES.allow[f], CHOICES.deny[f], CHOICES.dynamic[f]]),
  choose(list, cidr) {
    return CHOICES[list][cidr.family];
  },
};

const TIMEOUT_SETS: ReadonlySet<string> = new Set(['sipwarden-block4', 'sipwarden-block6']);
/** ipset's largest timeout, in seconds. */
const MAX_TIMEOUT_S = 2_147_483;

function seconds(until: number | null, now: number): string {
  if (until === null) return '';
  return ` timeout ${Math.min(MAX_TIMEOUT_S, Math.max(1, Math.ceil((until - now) / 1000)))}`;
}

function createLine(name: string, settings: EnforcerSettings, temporary = false): string {
  const family = name.endsWith('6') ? 'inet6' : 'inet';
  const size = TIMEOUT_SETS.has(name) ? settings.setSizes.blocks : settings.setSizes.lists;
  const timeout = TIMEOUT_SETS.has(name) ? ' timeout 0' : '';
  return `create ${temporary ? `${name}-new` : name} hash:net family ${family} hashsize 1024 maxelem ${size}${timeout} -exist`;
}

function addLine(name: string, value: string, until: number | null, now: number): string {
  return `add ${name} ${value}${TIMEOUT_SETS.has(name.replace(/-new$/, '')) ? seconds(until, now) : ''} -exist`;
}

/** Every set, filled atomically: built under a temporary name, then swapped in. */
export function ipsetFullScript(settings: EnforcerSettings, elements: ElementMap, now: number): string {
  const lines: string[] = [];
  for (const { set: name } of IPSET_LAYOUT.sets) {
    lines.push(createLine(name, settings), createLine(name, settings, true), `flush ${name}-new`);
    for (const [value, until] of elements.get(name) ?? new Map<string, number | null>()) lines.push(addLine(`${name}-new`, value, until, now));
    lines.push(`swap ${name}-new ${name}`, `destroy ${name}-new`);
  }
  return `${lines.join('\n')}\n`;
}

/** Element changes; `-exist` makes an existing add (it refreshes the timeout) and a missing delete no error. */
export function ipsetChangeScript(diff: ElementDiff, now: number): string {
  const removals: ElementChange[] = [...diff.superseded, ...diff.remove];
  const lines = [...removals.map((c) => `del ${c.set} ${c.value} -exist`), ...[...diff.refresh, ...diff.add].map((c) => addLine(c.set, c.value, c.until, now))];
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Destroys sipwarden's sets (run after its chains are gone). */
export function ipsetTeardownScript(existing: readonly string[]): string {
  const ours = existing.filter((n) => /^sipwarden-(allow|deny|block)[46](-new)?$/.test(n));
  return ours.map((n) => `destroy ${n}`).join('\n') + (ours.length > 0 ? '\n' : '');
}

/** Parses `ipset save` output: our sets' elements, timeouts as ms since epoch. */
export function parseIpsetSave(text: string, now: number): ElementMap {
  const out: ElementMap = new Map();
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] === 'create' && words[1] !== undefined && /^sipwarden-(allow|deny|block)[46]$/.test(words[1])) out.set(words[1], new Map());
    if (words[0] !== 'add' || words[1] === undefined || words[2] === undefined) continue;
    const values = out.get(words[1]);
    if (values === undefined) continue;
    const t = words.indexOf('timeout');
    const timeout = t >= 0 ? Number(words[t + 1]) : NaN;
    values.set(words[2], Number.isFinite(timeout) && TIMEOUT_SETS.has(words[1]) ? now + timeout * 1000 : null);
  }
  return out;
}

/** The iptables rules for one family, as `iptables-restore --noflush` takes them. */
export interface IptablesRules {
  /** The `*raw ... COMMIT` script; `hooked` says whether PREROUTING already jumps to our chain. */
  script: string;
  /** Rules each chain holds. */
  chains: Record<string, number>;
  fingerprint: string;
}

/** A double-quoted argument for iptables-restore (which splits on spaces outside quotes). */
function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '')}"`;
}

/** Chains and rules for one family; `hooked` tells whether PREROUTING already jumps to SIPWARDEN. */
export function iptablesRules(settings: EnforcerSettings, family: 4 | 6, hooked: boolean): IptablesRules {
  const chains: Record<string, string[]> = { [CHAIN]: [], [CHAIN_INVITE]: [], [CHAIN_RATELIMIT]: [] };
  const main = chains[CHAIN] ?? [];
  main.push('-i lo -m comment --comment FINGERPRINT -j ACCEPT');
  main.push(`-m set --match-set sipwarden-allow${family} src -j ACCEPT`);
  main.push(`-m set --match-set sipwarden-deny${family} src -j DROP`);
  main.push(`-m set --match-set sipwarden-block${family} src -j DROP`);
  const ports = [...settings.ports].sort((a, b) => a - b).join(',');
  if (settings.ports.length > 0) {
    for (const proto of ['udp', 'tcp']) {
      for (const agent of settings.userAgents) {
        main.push(`-p ${proto} -m multiport --dports ${ports} -m string --algo bm --icase --string ${quote(agent)} -j DROP`);
      }
    }
  }
  const limiter = settings.limiter;
  if (limiter !== null && settings.ports.length > 0) {
    const ip = family === 4 ? 20 : 40;
    // UDP: the payload starts right after the 8-byte header. TCP: anywhere up to the longest header.
    main.push(`-p udp -m multiport --dports ${ports} -m string --algo bm --from ${ip + 8} --to ${ip + 8 + 7} --string "INVITE " -j ${CHAIN_INVITE}`);
    main.push(`-p tcp -m multiport --dports ${ports} -m string --algo bm --from ${ip + 20} --to ${ip + 60 + 7} --string "INVITE " -j ${CHAIN_INVITE}`);
    // The rate exactly as limiterParameters() gives it to nft: `over 20/minute burst 10 packets`.
    const rate = /^over (\d+\/(?:second|minute|hour)) /.exec(limiter.nftRate)?.[1] ?? '1/second';
    const expireMs = Math.max(1000, Math.ceil(limiter.intervalMs * limiter.burst));
    chains[CHAIN_INVITE]?.push(
      `-m hashlimit --hashlimit-above ${rate} --hashlimit-burst ${limiter.burst} --hashlimit-mode srcip` +
        ` --hashlimit-name sipwarden${family} --hashlimit-htable-max ${settings.setSizes.limiter} --hashlimit-htable-expire ${expireMs} -j ${CHAIN_RATELIMIT}`,
    );
    const episodeS = Math.max(1, Math.round(limiter.unitMs / 1000));
    const log =
      settings.evidence === 'nflog'
        ? `-j NFLOG --nflog-group ${settings.nflogGroup} --nflog-prefix ${quote(`${KERNEL_PREFIX_RATELIMIT} `)}`
        : `-j LOG --log-prefix ${quote(`${KERNEL_PREFIX_RATELIMIT} `)} --log-level 4`;
    const rl = chains[CHAIN_RATELIMIT] ?? [];
    rl.push(`-m recent --name sipwarden-episode${family} --update --seconds ${episodeS} -j DROP`);
    rl.push(`-m recent --name sipwarden-episode${family} --set ${log}`);
    rl.push('-j DROP');
  }
  const body: string[] = [`*${IPT_TABLE}`];
  for (const name of CHAINS) body.push(`:${name} - [0:0]`);
  for (const name of CHAINS) body.push(`-F ${name}`);
  for (const [name, rules] of Object.entries(chains)) for (const rule of rules) body.push(`-A ${name} ${rule}`);
  const draft = body.join('\n');
  const print = fingerprint(draft);
  const lines = draft.replace('FINGERPRINT', quote(`sipwarden ruleset ${print}`)).split('\n');
  if (!hooked) lines.push(`-I PREROUTING 1 -j ${CHAIN}`);
  lines.push('COMMIT', '');
  return {
    script: lines.join('\n'),
    chains: Object.fromEntries(Object.entries(chains).map(([n, r]) => [n, r.length])),
    fingerprint: print,
  };
}

/** Unhooks and removes sipwarden's chains only; `present` are the chains that exist. */
export function iptablesTeardownScript(hooked: boolean, present: readonly string[]): string {
  const lines = [`*${IPT_TABLE}`];
  if (hooked) lines.push(`-D PREROUTING -j ${CHAIN}`);
  for (const name of CHAINS) if (present.includes(name)) lines.push(`-F ${name}`);
  for (const name of CHAINS) if (present.includes(name)) lines.push(`-X ${name}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

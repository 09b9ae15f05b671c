// The contract every enforcer backend keeps: desired state and decisions in, kernel state out.
import type { Decision } from '../../model/decision.js';
import type { Config, SetSizesConfig } from '../../config/types.js';
import { limiterParameters, type LimiterParameters } from '../../config/limiter.js';

/** A dynamic block: an address or CIDR (canonical text) blocked until `until` (ms since epoch). */
export interface DynamicBlock {
  target: string;
  until: number;
}

/** What the kernel should hold, as the daemon's store sees it. */
export interface DesiredState {
  /** Addresses and CIDRs exempt from everything (the config's allowlist). */
  allow: readonly string[];
  /** Permanent blocks. */
  deny: readonly string[];
  dynamic: readonly DynamicBlock[];
}

export const EMPTY_STATE: DesiredState = { allow: [], deny: [], dynamic: [] };

/** Everything about the ruleset that comes from the config, computed once. */
export interface EnforcerSettings {
  /** UDP and TCP ports the INVITE limiter watches. */
  ports: readonly number[];
  /** The INVITE limiter's parameters, or null when the limiter is off. */
  limiter: LimiterParameters | null;
  /** Where over-limit packets are logged: kernel log lines, or an NFLOG group (packets with payload). */
  evidence: 'log' | 'nflog';
  nflogGroup: number;
  setSizes: SetSizesConfig;
  /** User-Agent strings dropped in the kernel where the backend can match strings (iptables only). */
  userAgents: readonly string[];
  /** The prefix length IPv6 sources are blocked by (`blocking.ipv6Prefix`): such networks get a set of their own. */
  ipv6Prefix: number;
  /** The dynamic block time (`blocking.dynamicBlockTime`): the block sets' own timeout. */
  blockTimeoutMs: number;
}

/** The enforcer's settings from a validated config; the limiter's parameters come from `limiterParameters()`. */
export function enforcerSettings(config: Config): EnforcerSettings {
  const rate = config.invite.rateLimit;
  return {
    ports: [...config.sip.ports],
    limiter: rate.enabled ? limiterParameters(rate) : null,
    evidence: config.kernel.evidence,
    nflogGroup: config.kernel.nflogGroup,
    setSizes: { ...config.kernel.setSizes },
    userAgents: [...config.blocking.userAgents],
    ipv6Prefix: config.blocking.ipv6Prefix,
    blockTimeoutMs: config.blocking.dynamicBlockTime,
  };
}

export interface ApplyResult {
  /** Kernel transactions run (0 when nothing changed). */
  transactions: number;
  added: number;
  removed: number;
  refreshed: number;
}

export interface ReconcileResult extends ApplyResult {
  /** True when the table (or chain) was missing or out of date and was loaded whole. */
  rebuilt: boolean;
}

export interface ReconcileOptions {
  quick?: boolean;
}

/** How full one kernel set is. */
export interface SetFill {
  name: string;
  elements: number;
  size: number;
}

/** An enforcer: nftables, or iptables + ipset. Every change is one batch; a failed batch changes nothing. */
export interface EnforcerBackend {
  readonly name: 'nftables' | 'iptables';
  /** Applies a batch of decisions (episodes are ignored: the kernel limiter already acted). */
  apply(decisions: readonly Decision[], now: number): Promise<ApplyResult>;
  /**
   * Reads the kernel's state and repairs it towards `state` (rebuilding a flushed table). With
   * `quick`, a backend that loaded the table in this process may read only its structure and compare
   * the elements with what it put there, leaving the full read of every element to a later call.
   */
  reconcile(state: DesiredState, now: number, options?: ReconcileOptions): Promise<ReconcileResult>;
  /** Removes sipwarden's own table or chains and sets, nothing else. */
  teardown(): Promise<void>;
  /** The exact ruleset a full load of `state` would run (no privileges needed). */
  rulesText(state: DesiredState, now: number): string;
  /** Named packet counters of the ruleset (`deny_drop`, `ratelimit_drop`, ...), where the backend keeps them. */
  counters?(): Promise<Record<string, number>>;
  /** How full each kernel set is, where the backend can tell (see NftablesBackend.fill for the options). */
  fill?(options?: { packetSets?: boolean; now?: number }): Promise<SetFill[]>;
}

/** The desired state after a batch of decisions: blocks extend (never shorten), unblocks remove. */
export function applyDecisions(state: DesiredState, decisions: readonly Decision[]): DesiredState {
  const deny = new Set(state.deny);
  const dynamic = new Map<string, number>();
  for (const block of state.dynamic) dynamic.set(block.target, Math.max(block.until, dynamic.get(block.target) ?? 0));
  for (const decision of decisions) {
    switch (decision.type) {
      case 'block':
        dynamic.set(decision.target, Math.max(decision.until, dynamic.get(decision.target) ?? 0));
        break;
      case 'permanent':
        deny.add(decision.target);
        break;
      case 'unblock':
        deny.delete(decision.target);
        dynamic.delete(decision.target);
        break;
      case 'episode':
        break;
    }
  }
  return {
    allow: state.allow,
    deny: [...deny],
    dynamic: [...dynamic].map(([target, until]) => ({ target, until })),
  };
}

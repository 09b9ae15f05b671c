// Built-in defaults: every command works with these when no config file exists.
import type { Config } from './types.js';

/** Prefixes sipwarden's own ruleset writes in kernel log lines (iptables allows 29 characters). */
export const KERNEL_PREFIX_RATELIMIT = 'sipwarden-ratelimit:';
export const KERNEL_PREFIX_FALLBACK = 'sipwarden-fallback:';
/** NFLOG prefix of the first SIP requests of each new source (their User-Agent is checked). */
export const KERNEL_PREFIX_NEW = 'sipwarden-new:';

/** Kernel set capacity per family: room for a flood from 1,000,000 sources. */
export const DEFAULT_SET_SIZE = 1_000_000;

export const DEFAULT_CONFIG_PATH = '/etc/sipwarden/sipwarden.yml';

export function defaultConfig(): Config {
  return {
    sip: { ports: [5060] },
    register: { maxFailures: 10 },
    invite: { rateLimit: { enabled: false, value: 20, unit: 'minute', burst: 10 } },
    blocking: {
      dynamicBlockTime: 3_600_000,
      threshold: 3,
      permanent: { register: true, invite: false, forgeable: false },
      userAgents: ['friendly-scanner', 'sipvicious', 'sipsak', 'sundayddr', 'iWar', 'sip-scan', 'VaxSIPUserAgent', 'Elite'],
      ipv6Prefix: 64,
    },
    allowlist: [],
    sources: [
      { path: '/var/log/asterisk/messages', format: 'asterisk' },
      { path: '/var/log/asterisk/security', format: 'asterisk' },
    ],
    kernel: {
      prefixes: [KERNEL_PREFIX_RATELIMIT, KERNEL_PREFIX_FALLBACK],
      evidence: 'log',
      nflogGroup: 5060,
      setSizes: { limiter: DEFAULT_SET_SIZE, blocks: DEFAULT_SET_SIZE, lists: DEFAULT_SET_SIZE },
    },
    backend: 'nftables',
    stateDir: '/var/lib/sipwarden',
    daemon: { socket: '/run/sipwarden/sipwarden.sock', reconcileInterval: 30_000 },
    journal: { retention: 90 * 86_400_000 },
    notifications: { smtp: null, to: [], minInterval: 300_000 },
  };
}

// The validated, effective configuration every other stage reads.

export type RateUnit = 'second' | 'minute' | 'hour';

export interface RateLimitConfig {
  enabled: boolean;
  value: number;
  unit: RateUnit;
  burst: number;
}

/** Capacity of each kernel set, per address family. */
export interface SetSizesConfig {
  /** Sources the INVITE limiter tracks at once (and open rate-limit episodes). */
  limiter: number;
  /** Dynamic blocks. */
  blocks: number;
  /** Allowlist and denylist entries. */
  lists: number;
}

export interface SourceConfig {
  path: string;
  format: string;
}

export interface SmtpConfig {
  ssl: boolean;
  host: string;
  port: number;
  fromName: string;
  fromAddress: string;
  user: string | null;
  password: string | null;
  passwordFile: string | null;
}

export interface Config {
  sip: { ports: number[] };
  register: { maxFailures: number };
  invite: { rateLimit: RateLimitConfig };
  blocking: {
    /** Milliseconds. */
    dynamicBlockTime: number;
    threshold: number;
    /** forgeable: whether strikes from evidence a forged UDP packet can make count toward permanent blocks. */
    permanent: { register: boolean; invite: boolean; forgeable: boolean };
    userAgents: string[];
    ipv6Prefix: number;
  };
  /** Canonical addresses and CIDRs. */
  allowlist: string[];
  sources: SourceConfig[];
  kernel: { prefixes: string[]; evidence: 'log' | 'nflog'; nflogGroup: number; setSizes: SetSizesConfig };
  backend: 'nftables' | 'iptables';
  stateDir: string;
  daemon: {
    /** The root-only control socket. */
    socket: string;
    /** ms between kernel reconciliations. */
    reconcileInterval: number;
  };
  /** ms the attack journal keeps entries (whole days). */
  journal: { retention: number };
  notifications: {
    smtp: SmtpConfig | null;
    to: string[];
    /** ms: at most one permanent-block alert mail per interval. */
    minInterval: number;
  };
}

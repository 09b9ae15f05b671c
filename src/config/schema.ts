// The config's shape as data: types, defaults and limits for every key, read by validate.ts.
import type { Config } from './types.js';

export type Spec =
  | { type: 'int'; min: number; max: number }
  | { type: 'bool' }
  | { type: 'string'; nonEmpty?: boolean }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'duration'; minMs: number }
  | { type: 'cidr' }
  | { type: 'email' }
  | { type: 'list'; of: Spec; unique?: boolean }
  | { type: 'object'; fields: Record<string, Spec>; optional?: readonly string[] }
  | { type: 'nullable'; of: Spec };

const port: Spec = { type: 'int', min: 1, max: 65535 };

export const FORMATS = ['asterisk', 'freeswitch', 'kamailio', 'kernel'] as const;

export const CONFIG_SPEC: Spec = {
  type: 'object',
  fields: {
    sip: { type: 'object', fields: { ports: { type: 'list', of: port, unique: true } } },
    register: { type: 'object', fields: { maxFailures: { type: 'int', min: 1, max: 1_000_000 } } },
    invite: {
      type: 'object',
      fields: {
        rateLimit: {
          type: 'object',
          fields: {
            enabled: { type: 'bool' },
            value: { type: 'int', min: 1, max: 1_000_000 },
            unit: { type: 'enum', values: ['second', 'minute', 'hour'] },
            // The kernel turns a burst of 0 into 5: 0 would promise what it does not do.
            burst: { type: 'int', min: 1, max: 1_000_000 },
          },
        },
      },
    },
    blocking: {
      type: 'object',
      fields: {
        dynamicBlockTime: { type: 'duration', minMs: 1000 },
        threshold: { type: 'int', min: 1, max: 1000 },
        permanent: { type: 'object', fields: { register: { type: 'bool' }, invite: { type: 'bool' }, forgeable: { type: 'bool' } } },
        userAgents: { type: 'list', of: { type: 'string', nonEmpty: true } },
        ipv6Prefix: { type: 'int', min: 16, max: 128 },
      },
    },
    allowlist: { type: 'list', of: { type: 'cidr' } },
    sources: {
      type: 'list',
      of: {
        type: 'object',
        fields: { path: { type: 'string', nonEmpty: true }, format: { type: 'string', nonEmpty: true } },
      },
    },
    kernel: {
      type: 'object',
      fields: {
        prefixes: { type: 'list', of: { type: 'string', nonEmpty: true } },
        evidence: { type: 'enum', values: ['log', 'nflog'] },
        nflogGroup: { type: 'int', min: 0, max: 65535 },
        // Capacity of each kernel set, per address family (nft `size`, ipset `maxelem`).
        setSizes: {
          type: 'object',
          fields: {
            limiter: { type: 'int', min: 1, max: 100_000_000 },
            blocks: { type: 'int', min: 1, max: 100_000_000 },
            lists: { type: 'int', min: 1, max: 100_000_000 },
          },
        },
      },
    },
    backend: { type: 'enum', values: ['nftables', 'iptables'] },
    stateDir: { type: 'string', nonEmpty: true },
    daemon: {
      type: 'object',
      fields: {
        socket: { type: 'string', nonEmpty: true },
        reconcileInterval: { type: 'duration', minMs: 1000 },
      },
    },
    journal: { type: 'object', fields: { retention: { type: 'duration', minMs: 86_400_000 } } },
    notifications: {
      type: 'object',
      fields: {
        smtp: {
          type: 'nullable',
          of: {
            type: 'object',
            fields: {
              ssl: { type: 'bool' },
              host: { type: 'string', nonEmpty: true },
              port,
              fromName: { type: 'string' },
              fromAddress: { type: 'email' },
              user: { type: 'nullable', of: { type: 'string' } },
              password: { type: 'nullable', of: { type: 'string' } },
              passwordFile: { type: 'nullable', of: { type: 'string', nonEmpty: true } },
            },
            optional: ['user', 'password', 'passwordFile', 'fromName'],
          },
        },
        to: { type: 'list', of: { type: 'email' } },
        // At most one alert mail per this interval; it lists every permanent block made meanwhile.
        minInterval: { type: 'duration', minMs: 1000 },
      },
    },
  },
};

/** Keys whose values are never printed. */
export const SECRET_PATHS: ReadonlySet<string> = new Set(['notifications.smtp.password']);

export type { Config };

// Pure config validation: raw parsed YAML in, the effective config and every error out.
import { createRequire } from 'node:module';
import { parseCidr, formatCidr } from '../model/address.js';
import { parseDuration } from './duration.js';
import { CONFIG_SPEC, type Spec } from './schema.js';
import { defaultConfig } from './defaults.js';
import type { Config } from './types.js';

export interface ValidationResult {
  config: Config;
  /** `key.path: what is wrong; what is allowed`, every problem found. */
  errors: string[];
}

export interface ValidateOptions {
  /** Log formats that have a rule file; `sources[].format` must name one. */
  formats?: readonly string[];
}

const SMTP_DEFAULTS = { ssl: true, port: 465, fromName: 'sipwarden', user: null, password: null, passwordFile: null };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${String(value)}`;
}

// Suggestions are for invalid configs only: the edit-distance library loads when one is made.
const require = createRequire(import.meta.url);
const levenshtein = (): typeof import('fastest-levenshtein') => require('fastest-levenshtein') as typeof import('fastest-levenshtein');

function suggestion(got: string, allowed: readonly string[]): string {
  const { closest, distance } = levenshtein();
  const lower = got.toLowerCase();
  const prefixed = lower.length >= 2 ? allowed.find((a) => a.toLowerCase().startsWith(lower) || lower.startsWith(a.toLowerCase())) : undefined;
  const near = prefixed ?? (allowed.length === 0 ? undefined : closest(got, [...allowed]));
  if (near === undefined) return '';
  const limit = Math.max(2, Math.floor(got.length / 3));
  return prefixed !== undefined || distance(lower, near.toLowerCase()) <= limit ? ` (did you mean "${near}"?)` : '';
}

class Checker {
  readonly errors: string[] = [];

  fail(path: string, message: string): void {
    this.errors.push(`${path || '(top level)'}: ${message}`);
  }

  check(spec: Spec, value: unknown, fallback: unknown, path: string): unknown {
    if (value === undefined) return fallback;
    switch (spec.type) {
      case 'int': {
        if (typeof value !== 'number' || !Number.isInteger(value)) {
          this.fail(path, `got ${describe(value)}; use a whole number from ${spec.min} to ${spec.max}`);
          return fallback;
        }
        if (value < spec.min || value > spec.max) {
          this.fail(path, `got ${value}; use a whole number from ${spec.min} to ${spec.max}`);
          return fallback;
        }
        return value;
      }
      case 'bool':
        if (typeof value !== 'boolean') {
          this.fail(path, `got ${describe(value)}; use true or false`);
          return fallback;
        }
        return value;
      case 'string':
        if (typeof value !== 'string' || (spec.nonEmpty === true && value.trim() === '')) {
          this.fail(path, `got ${describe(value)}; use ${spec.nonEmpty === true ? 'a non-empty' : 'a'} string`);
          return fallback;
        }
        return value;
      case 'enum':
        if (typeof value !== 'string' || !spec.values.includes(value)) {
          const hint = typeof value === 'string' ? suggestion(value, spec.values) : '';
          this.fail(path, `got ${describe(value)}; use one of ${spec.values.join(', ')}${hint}`);
          return fallback;
        }
        return value;
      case 'duration': {
        const ms = typeof value === 'string' ? parseDuration(value) : null;
        if (ms === null || ms < spec.minMs) {
          this.fail(path, `got ${describe(value)}; use a duration of at least ${spec.minMs / 1000}s written like 90s, 15m, 1h, 7d`);
          return fallback;
        }
        return ms;
      }
      case 'cidr': {
        const cidr = typeof value === 'string' ? parseCidr(value) : null;
        if (cidr === null) {
          this.fail(path, `got ${describe(value)}; use an IPv4 or IPv6 address or CIDR such as 192.0.2.10, 198.51.100.0/24 or 2001:db8::/32`);
          return fallback;
        }
        return formatCidr(cidr);
      }
      case 'email':
        if (typeof value !== 'string' || !/^[^\s@<>"]+@[^\s@<>"]+$/.test(value)) {
          this.fail(path, `got ${describe(value)}; use a mail address such as pbx@example.com`);
          return fallback;
        }
        return value;
      case 'nullable':
        if (value === null) return null;
        return this.check(spec.of, value, fallback ?? (path.endsWith('smtp') ? SMTP_DEFAULTS : undefined), path);
      case 'list': {
        if (!Array.isArray(value)) {
          this.fail(path, `got ${describe(value)}; use a list`);
          return fallback;
        }
        const items: unknown[] = [];
        value.forEach((item, i) => {
          const checked = this.check(spec.of, item, undefined, `${path}[${i}]`);
          if (checked !== undefined) items.push(checked);
        });
        if (spec.unique === true && new Set(items.map((i) => JSON.stringify(i))).size !== items.length) {
          this.fail(path, 'lists a value twice; list each value once');
        }
        return items;
      }
      case 'object': {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          this.fail(path, `got ${describe(value)}; use a mapping with keys ${Object.keys(spec.fields).join(', ')}`);
          return fallback;
        }
        const base = (typeof fallback === 'object' && fallback !== null ? fallback : {}) as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        const input = value as Record<string, unknown>;
        const keys = Object.keys(spec.fields);
        for (const key of Object.keys(input)) {
          if (!(key in spec.fields)) {
            this.fail(path === '' ? key : `${path}.${key}`, `unknown key; use one of ${keys.join(', ')}${suggestion(key, keys)}`);
          }
        }
        for (const [key, fieldSpec] of Object.entries(spec.fields)) {
          const child = path === '' ? key : `${path}.${key}`;
          const result = this.check(fieldSpec, input[key], base[key], child);
          if (result === undefined && !(spec.optional ?? []).includes(key)) {
            if (!(key in input)) this.fail(child, 'is required');
          }
          out[key] = result ?? null;
        }
        return out;
      }
    }
  }
}

/** Validates raw parsed YAML over the built-in defaults; returns every error found, not just the first. */
export function validateConfig(raw: unknown, options: ValidateOptions = {}): ValidationResult {
  const checker = new Checker();
  const defaults = defaultConfig();
  const input = raw === null || raw === undefined ? {} : raw;
  const config = checker.check(CONFIG_SPEC, input, defaults, '') as Config;
  if (options.formats !== undefined) {
    const formats = options.formats;
    config.sources.forEach((source, i) => {
      if (!formats.includes(source.format)) {
        checker.fail(`sources[${i}].format`, `got ${describe(source.format)}; use one of ${formats.join(', ')}${suggestion(source.format, formats)}`);
      }
    });
  }
  const smtp = config.notifications.smtp;
  if (smtp !== null) {
    if (smtp.password !== null && smtp.passwordFile !== null) {
      checker.fail('notifications.smtp.passwordFile', 'set together with password; use one of password or passwordFile');
    }
    if ((smtp.password !== null || smtp.passwordFile !== null) && smtp.user === null) {
      checker.fail('notifications.smtp.user', 'is required when a password is set');
    }
    if (smtp.user !== null && smtp.password === null && smtp.passwordFile === null) {
      checker.fail('notifications.smtp.password', 'is required when user is set; set password or passwordFile, or remove user for no authentication');
    }
    // The name goes into the From header: a line break there would let it forge headers.
    if (/[\u0000-\u001f\u007f]/.test(smtp.fromName)) {
      checker.fail('notifications.smtp.fromName', `got ${describe(smtp.fromName)}; use one line of text without control characters`);
    }
    if (config.notifications.to.length === 0) {
      checker.fail('notifications.to', 'is empty while smtp is set; list at least one recipient');
    }
  }
  return { config, errors: checker.errors };
}

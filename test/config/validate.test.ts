// Config validation: every invalid fixture states its error on line one; valid configs round-trip.
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { defaultConfig } from '../../src/config/defaults.js';
import { parseDuration, formatDuration } from '../../src/config/duration.js';
import { validateConfig } from '../../src/config/validate.js';
import { FIXTURES_DIR, RULES_DIR } from '../helpers/fixtures.js';

const FORMATS = ['asterisk', 'freeswitch', 'kamailio', 'kernel'];
const invalidDir = join(FIXTURES_DIR, 'config', 'invalid');

describe('invalid configs name the key and the allowed values', () => {
  for (const name of readdirSync(invalidDir)
    .filter((n) => n.endsWith('.yml'))
    .sort()) {
    test(name, () => {
      const text = readFileSync(join(invalidDir, name), 'utf8');
      const wanted = /^# error: (.*)$/m.exec(text.split('\n')[0] ?? '')?.[1];
      expect(wanted).toBeDefined();
      const { errors } = validateConfig(parseYaml(text), { formats: FORMATS });
      expect(errors).toContain(wanted);
    });
  }
});

test('the example config is valid and equals the defaults', () => {
  const text = readFileSync(join(RULES_DIR, '..', 'etc', 'sipwarden.example.yml'), 'utf8');
  const { config, errors } = validateConfig(parseYaml(text), { formats: FORMATS });
  expect(errors).toEqual([]);
  expect(config).toEqual(defaultConfig());
});

test('an empty file means the built-in defaults', () => {
  expect(validateConfig(null)).toEqual({ config: defaultConfig(), errors: [] });
});

test('the defaults are the reference product defaults', () => {
  const c = defaultConfig();
  expect(c.sip.ports).toEqual([5060]);
  expect(c.register.maxFailures).toBe(10);
  expect(c.invite.rateLimit).toEqual({ enabled: false, value: 20, unit: 'minute', burst: 10 });
  expect(c.blocking.dynamicBlockTime).toBe(3_600_000);
  expect(c.blocking.threshold).toBe(3);
  expect(c.blocking.permanent).toEqual({ register: true, invite: false, forgeable: false });
  expect(c.blocking.userAgents).toEqual(['friendly-scanner', 'sipvicious', 'sipsak', 'sundayddr', 'iWar', 'sip-scan', 'VaxSIPUserAgent', 'Elite']);
  expect(c.allowlist).toEqual([]);
});

test('every error is reported at once', () => {
  const { errors } = validateConfig({ backend: 'pf', register: { maxFailures: 0 }, sip: { ports: [0] }, bogus: 1 });
  expect(errors).toHaveLength(4);
  expect(errors).toContain(
    'bogus: unknown key; use one of sip, register, invite, blocking, allowlist, sources, kernel, backend, stateDir, daemon, journal, notifications',
  );
});

test('values given are kept, with canonical addresses', () => {
  const { config, errors } = validateConfig({
    allowlist: ['2001:DB8:0:0::1', '198.51.100.7/24', '::ffff:192.0.2.1'],
    blocking: { dynamicBlockTime: '1h30m', permanent: { invite: true } },
    invite: { rateLimit: { enabled: true, value: 5, unit: 'second', burst: 2 } },
  });
  expect(errors).toEqual([]);
  expect(config.allowlist).toEqual(['2001:db8::1', '198.51.100.0/24', '192.0.2.1']);
  expect(config.blocking.dynamicBlockTime).toBe(5_400_000);
  expect(config.blocking.permanent).toEqual({ register: true, invite: true, forgeable: false });
  expect(config.invite.rateLimit.unit).toBe('second');
});

test('smtp gets defaults for the optional keys and rules about passwords', () => {
  const ok = validateConfig({ notifications: { smtp: { host: 'mail.example.com', fromAddress: 'pbx@example.com' }, to: ['a@example.com'] } });
  expect(ok.errors).toEqual([]);
  expect(ok.config.notifications.smtp).toMatchObject({ ssl: true, port: 465, user: null, password: null });
  const bad = validateConfig({ notifications: { smtp: { host: 'h', fromAddress: 'p@example.com', password: 'x' }, to: [] } });
  expect(bad.errors).toEqual([
    'notifications.smtp.user: is required when a password is set',
    'notifications.to: is empty while smtp is set; list at least one recipient',
  ]);
});

describe('durations', () => {
  test.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
  ])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  test.each(['', '1', 'h', '1 h', '-5m', '1.5h', '5x'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

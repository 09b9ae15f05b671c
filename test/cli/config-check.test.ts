// `sipwarden config check` as a real process: the effective config, secrets masked, or every error.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { sipwarden } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('prints the effective config with the password masked', async () => {
  const path = file(
    'ok.yml',
    'notifications:\n  smtp: { host: mail.example.com, fromAddress: pbx@example.com, user: pbx, password: "hunter2-secret" }\n  to: [admin@example.com]\nblocking: { dynamicBlockTime: 90m }\nallowlist: [192.0.2.10]\nsources: []\n',
  );
  for (const json of [false, true]) {
    const result = await sipwarden(['config', 'check', '--config', path, ...(json ? ['--json'] : [])]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toContain('hunter2');
    expect(result.stderr).toBe('');
    const shown = json ? (JSON.parse(result.stdout) as { config: Record<string, unknown> }).config : (parseYaml(result.stdout) as Record<string, unknown>);
    expect(shown).toMatchObject({ blocking: { dynamicBlockTime: '1h30m' }, notifications: { smtp: { password: '********', user: 'pbx' } } });
  }
});

test('every error at once, exit 2', async () => {
  const path = file('bad.yml', 'invite:\n  rateLimit: { unit: minutes, burst: 0 }\nbackend: pf\n');
  const result = await sipwarden(['config', 'check', '--config', path]);
  expect(result.exitCode).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain(`${path}: 3 error(s)`);
  expect(result.stderr).toContain(`${path}: invite.rateLimit.unit: got "minutes"; use one of second, minute, hour (did you mean "minute"?)`);
  expect(result.stderr).toContain(`${path}: invite.rateLimit.burst: got 0; use a whole number from 1 to 1000000`);
  expect(result.stderr).toContain(`${path}: backend: got "pf"; use one of nftables, iptables`);
});

test('a YAML syntax error names the line', async () => {
  const path = file('syntax.yml', 'sip:\n  ports: [5060\nregister: {}\n');
  const result = await sipwarden(['config', 'check', '--config', path]);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toMatch(/not valid YAML at line \d/);
});

test('no config file: the built-in defaults', async () => {
  const result = await sipwarden(['config', 'check'], { env: {} });
  if (result.stdout.startsWith('# /etc/sipwarden')) return; // this machine has a real config
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain('# built-in defaults (no config file): valid');
});

test('warnings: no allowlist, an allow-all entry, relative and missing paths, a shared syslog file; --strict fails on them', async () => {
  const path = file(
    'warn.yml',
    'allowlist: [0.0.0.0/0]\nstateDir: state\nsources:\n  - { path: /nonexistent/asterisk/messages, format: asterisk }\n  - { path: /var/log/syslog, format: asterisk }\n',
  );
  const result = await sipwarden(['config', 'check', '--config', path]);
  expect(result.exitCode).toBe(0);
  const lines = result.stderr.trim().split('\n');
  expect(lines.every((l) => l.startsWith(`warning: ${path}: `))).toBe(true);
  expect(result.stderr).toContain('allowlist[0]: 0.0.0.0/0 exempts every address');
  expect(result.stderr).toContain('stateDir: "state" is relative');
  expect(result.stderr).toContain('sources[0].path: /nonexistent/asterisk/messages does not exist');
  expect(result.stderr).toContain('sources[1].path: /var/log/syslog is a shared syslog file');
  const json = await sipwarden(['config', 'check', '--config', path, '--json']);
  expect((JSON.parse(json.stdout) as { warnings: Array<{ key: string }> }).warnings.map((w) => w.key)).toEqual(
    expect.arrayContaining(['allowlist[0]', 'stateDir', 'sources[0].path', 'sources[1].path']),
  );
  const strict = await sipwarden(['config', 'check', '--strict', '--config', path]);
  expect(strict.exitCode).toBe(2);
  const empty = await sipwarden(['config', 'check', '--config', file('empty.yml', 'sources: []\n')]);
  expect(empty.stderr).toContain('allowlist: empty: add the addresses of your SIP trunks');
});

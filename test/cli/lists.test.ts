// list/block/unblock/allow/logs/status as real processes on a temporary store, with no daemon running.
// `--no-kernel` keeps these away from the machine's firewall; the kernel side is tested in test/e2e.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Journal } from '../../src/act/journal/journal.js';
import { sipwarden } from '../helpers/cli.js';

let dir: string;
let config: string;
const run = (args: string[]) => sipwarden(['--config', config, ...args]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-cli-'));
  config = join(dir, 'sipwarden.yml');
  writeFileSync(config, stringify({ stateDir: join(dir, 'state'), daemon: { socket: join(dir, 'run', 'sock') }, allowlist: ['192.0.2.0/24'], sources: [] }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('block, list, unblock', () => {
  test('a dynamic block, a permanent one, and the listing', async () => {
    expect(await run(['block', '198.51.100.7', '--for', '15m', '--no-kernel'])).toMatchObject({
      exitCode: 0,
      stdout: expect.stringMatching(/^blocked 198\.51\.100\.7 until \S+Z$/),
    });
    expect(await run(['block', '2001:db8:bad::/48', '--permanent', '--note', 'scanner range', '--no-kernel'])).toMatchObject({ exitCode: 0 });
    const list = await run(['list', '--json']);
    const rows = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.list, r.target, r.by])).toEqual([
      ['dynamic', '198.51.100.7', 'admin'],
      ['deny', '2001:db8:bad::/48', 'admin'],
      ['allow', '192.0.2.0/24', 'config'],
    ]);
    const dynamic = rows[0] as { since: number; until: number };
    expect(dynamic.until - dynamic.since).toBe(15 * 60_000);
    const human = await run(['list', 'deny']);
    expect(human.stdout.split('\n')[0]).toMatch(/^LIST +ADDRESS +SINCE +EXPIRES +STRIKES +BY +NOTE$/);
    expect(human.stdout).toContain('scanner range');
    expect(statSync(join(dir, 'state', 'state.json')).mode & 0o777).toBe(0o600);
  });

  test('unblock lifts it; unblocking what is not blocked exits 1', async () => {
    expect(await run(['unblock', '198.51.100.7', '--no-kernel'])).toMatchObject({ exitCode: 0, stdout: 'unblocked 198.51.100.7' });
    expect(await run(['unblock', '198.51.100.7', '--no-kernel'])).toMatchObject({ exitCode: 1, stderr: 'sipwarden: 198.51.100.7 is not blocked' });
  });

  test.each([
    ['300.1.1.1', 'is not an IPv4 or IPv6 address or CIDR'],
    ['1.2.3.4/40', 'is not an IPv4 or IPv6 address or CIDR'],
    ['0.0.0.0/0', 'covers too much of the internet'],
    ['::/0', 'covers too much of the internet'],
    ['127.0.0.1', 'it is or holds a loopback address'],
    ['::1', 'it is or holds a loopback address'],
    ['192.0.2.44', 'it is or holds an allowlisted address'],
  ])('block %s is refused (exit 2)', async (target, message) => {
    const result = await run(['block', target, '--no-kernel']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
  });

  test('--for and --permanent together, or a bad duration, are usage errors', async () => {
    expect((await run(['block', '198.51.100.9', '--for', '1h', '--permanent', '--no-kernel'])).exitCode).toBe(2);
    const bad = await run(['block', '198.51.100.9', '--for', 'soon', '--no-kernel']);
    expect(bad).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('--for: got "soon"') });
  });
});

describe('allow', () => {
  test('adding lifts the blocks inside the range; remove and list', async () => {
    await run(['block', '203.0.113.9', '--no-kernel']);
    const added = await run(['allow', 'add', '203.0.113.0/28', '--note', 'office', '--no-kernel']);
    expect(added).toMatchObject({ exitCode: 0, stdout: 'allowed 203.0.113.0/28; lifted the blocks on 203.0.113.9' });
    const list = JSON.parse((await run(['allow', 'list', '--json'])).stdout) as Array<{ target: string; note: string }>;
    expect(list.map((r) => r.target)).toEqual(['192.0.2.0/24', '203.0.113.0/28']);
    expect((await run(['allow', 'remove', '203.0.113.0/28', '--no-kernel'])).exitCode).toBe(0);
    expect((await run(['allow', 'remove', '203.0.113.0/28', '--no-kernel'])).exitCode).toBe(1);
    expect((await run(['allow', 'remove', '192.0.2.0/24', '--no-kernel'])).stderr).toContain('allowlisted in the config file');
  });
});

describe('logs', () => {
  beforeAll(() => {
    const journal = Journal.open(join(dir, 'state', 'journal'));
    const base = Date.now() - 3_600_000;
    journal.append(
      Array.from({ length: 40 }, (_, i) => ({
        time: base + i * 1000,
        attacker: i % 2 === 0 ? '198.51.100.8' : '2001:db8::5',
        victim: '192.0.2.10',
        kind: i % 4 === 0 ? ('invite' as const) : ('register' as const),
        userAgent: i === 39 ? 'evil\u001b[2J\u001b[31mFAKE\nsipwarden: all clear' : 'friendly-scanner',
        user: String(100 + i),
        source: '/var/log/asterisk/messages',
        rule: 'asterisk.test',
      })),
    );
    journal.close();
  });

  test('newest first, with "N total" and "page x of y"; escapes control characters', async () => {
    const result = await run(['logs']);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^TIME +ATTACKER +VICTIM +KIND +USER AGENT +USER$/);
    expect(lines).toHaveLength(1 + 15 + 1);
    expect(lines[lines.length - 1]).toBe('40 total, page 1 of 3');
    expect(result.stdout).not.toContain('\u001b');
    expect(lines[1]).toContain('evil\\x1b[2J\\x1b[31mFAKE\\nsipwarden: all clear');
  });

  test('filters by kind, attacker and time, and pages', async () => {
    const invites = JSON.parse((await run(['logs', '--kind', 'invite', '--json'])).stdout) as { total: number; entries: Array<{ kind: string }> };
    expect(invites.total).toBe(10);
    expect(invites.entries.every((e) => e.kind === 'invite')).toBe(true);
    const v6 = JSON.parse((await run(['logs', '--attacker', '2001:DB8::5', '--per-page', '5', '--page', '2', '--json'])).stdout) as {
      total: number;
      page: number;
      pages: number;
      entries: Array<{ user: string }>;
    };
    expect(v6).toMatchObject({ total: 20, page: 2, pages: 4 });
    expect(v6.entries.map((e) => e.user)).toEqual(['129', '127', '125', '123', '121']);
    const none = await run(['logs', '--since', '10m']);
    expect(none.stdout).toContain('0 total, page 1 of 1');
    expect((await run(['logs', '--since', 'tuesday'])).exitCode).toBe(2);
  });
});

test('status without a daemon', async () => {
  const result = await run(['status', '--json']);
  expect(result.exitCode).toBe(0);
  const status = JSON.parse(result.stdout) as { daemon: unknown; lists: unknown; attacks: { byKind: unknown; top: unknown } };
  expect(status.daemon).toEqual({ running: false });
  expect(status.lists).toMatchObject({ allow: 1 });
  expect(status.attacks.byKind).toMatchObject({ invite: 10, register: 30 });
  expect(status.attacks.top).toEqual([
    { attacker: '198.51.100.8', count: 20 },
    { attacker: '2001:db8::5', count: 20 },
  ]);
  const human = await run(['status']);
  expect(human.stdout).toContain('daemon      not running');
  expect(human.stdout).toContain('Top attackers (24h)');
});

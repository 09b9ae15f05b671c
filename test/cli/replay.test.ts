// `sipwarden replay` run as a real process, as an administrator would run it.
import { describe, expect, test, beforeAll, afterAll } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { sipwarden } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-replay-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scenariosDir = join(FIXTURES_DIR, 'replay');

describe('replay scenarios (fixtures/replay/<scenario>)', () => {
  for (const scenario of readdirSync(scenariosDir).sort()) {
    test(scenario, async () => {
      const folder = join(scenariosDir, scenario);
      const config = join(folder, 'config.yml');
      const args = ['replay', '--json', ...(existsSync(config) ? ['--config', config] : []), join(folder, 'input.log')];
      const result = await sipwarden(args);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      const records = result.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const decisions = records.filter((r) => r.type === 'decision');
      const wanted = readFileSync(join(folder, 'decisions.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(decisions.map((d, i) => pick(d, Object.keys(wanted[i] ?? {})))).toEqual(wanted);
      expect(records[records.length - 1]?.type).toBe('summary');
    });
  }
});

function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, record[k]]));
}

test('--json prints one object per event with every field, then the summary', async () => {
  const file = join(scenariosDir, 'freeswitch-bruteforce', 'input.log');
  const config = join(scenariosDir, 'freeswitch-bruteforce', 'config.yml');
  const result = await sipwarden(['replay', '--json', '--format', 'freeswitch', '--config', config, file]);
  const records = result.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const first = records.find((r) => r.type === 'event');
  expect(first).toEqual({
    type: 'event',
    file,
    line: 1,
    time: '2024-01-15T10:23:10.123Z',
    kind: 'register',
    attacker: '198.51.100.8',
    victim: null,
    userAgent: null,
    user: '100',
    rule: 'freeswitch.register-auth-failure',
  });
  const summary = records[records.length - 1] ?? {};
  expect(summary).toMatchObject({ type: 'summary', lines: 70, matched: 58, unmatched: 12, malformed: 0, exempt: 15 });
});

test('human output: the decisions, then a summary', async () => {
  const folder = join(scenariosDir, 'freeswitch-bruteforce');
  const result = await sipwarden(['replay', '--config', join(folder, 'config.yml'), join(folder, 'input.log')]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toMatch(/^2024-01-15T10:23:20\.123Z {2}block {6}198\.51\.100\.8 {2}for 1h {2}register: 11 failed REGISTERs within 1m \(limit 10\)/m);
  expect(result.stdout).toContain('lines read        70');
  expect(result.stdout).toContain('freeswitch.register-auth-failure');
  expect(result.stdout).toMatch(/decisions +block 2/);
});

test('a 1 MB line, binary junk and invalid UTF-8 are counted as malformed, never fatal', async () => {
  const file = join(dir, 'junk.log');
  const attack =
    "2024-01-15 10:23:45.123456 [WARNING] sofia_reg.c:1792 SIP auth failure (REGISTER) on sofia profile 'internal' for [100@192.0.2.10] from ip 198.51.100.8\n";
  writeFileSync(
    file,
    Buffer.concat([
      Buffer.from(`${'A'.repeat(1024 * 1024)}\n`),
      Buffer.from([0, 1, 2, 0xff, 0xfe, 10]),
      Buffer.from(
        "2024-01-15 10:23:45.123456 [WARNING] sofia_reg.c:1792 SIP auth failure (REGISTER) on sofia profile 'internal' for [\xff\xfe@192.0.2.10] from ip 198.51.100.9\n",
        'latin1',
      ),
      Buffer.from(attack),
    ]),
  );
  const result = await sipwarden(['replay', '--json', file]);
  expect(result.exitCode).toBe(0);
  const records = result.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = records[records.length - 1] ?? {};
  expect(summary).toMatchObject({ lines: 4, matched: 2, malformed: 3 });
  expect(summary.malformedByReason).toMatchObject({ 'too-long': 1, 'invalid-utf8': 2 });
  // One bad byte in the user name does not hide the attack.
  expect(records.filter((r) => r.type === 'event').map((r) => r.attacker)).toEqual(['198.51.100.9', '198.51.100.8']);
});

describe('bad usage exits 2 with a clear message', () => {
  test('missing file', async () => {
    const result = await sipwarden(['replay', join(dir, 'nope.log')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('nope.log: cannot read: no such file');
  });
  test('unknown format', async () => {
    const file = join(dir, 'empty.log');
    writeFileSync(file, '');
    const result = await sipwarden(['replay', '--format', 'asterix', file]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--format: got "asterix"; use one of auto, .*asterisk/);
  });
  test('no file named', async () => {
    const result = await sipwarden(['replay']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Not enough non-option arguments');
  });
  test('explicit --config that does not exist', async () => {
    const result = await sipwarden(['replay', '--config', join(dir, 'missing.yml'), join(dir, 'empty.log')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('missing.yml: no such config file');
  });
});

test('a reader that stops early (`| head`) ends replay quietly, exit 0', async () => {
  const { spawn } = await import('node:child_process');
  const { CLI } = await import('../helpers/cli.js');
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-epipe-'));
  try {
    const log = join(dir, 'messages');
    const line = (i: number) =>
      `[2024-01-15 10:00:00] NOTICE[1] chan_sip.c: Registration from '<sip:${i}@192.0.2.1>' failed for '198.51.${(i >> 8) & 255}.${i & 255}:5060' - Wrong password\n`;
    writeFileSync(log, Array.from({ length: 50_000 }, (_, i) => line(i)).join(''));
    const child = spawn('node', [CLI, 'replay', '--json', '--format', 'asterisk', log], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TZ: 'UTC' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Read the first chunk, then close the pipe, as `head -1` does.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

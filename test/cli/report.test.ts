// `sipwarden report` as a real process: printed in three formats, and mailed to a real SMTP server.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SecureJsonFile, STATE_FILE } from '../../src/store/state-file.js';
import { sipwarden } from '../helpers/cli.js';
import { reportState, writeReportJournal } from '../helpers/report-journal.js';
import { expectHostileTextInert, freePort, makeCertificate, startSmtpServer, type TestSmtpServer, type TlsMaterial } from '../helpers/smtp.js';

const PERIOD = ['--from', '2024-01-15T00:00:00Z', '--to', '2024-01-16T00:00:00Z'];
const TO = ['admin@example.com', 'noc@example.net'];
const PASSWORD = 'Tr0ub4dor&3-report';
let dir: string;
let stateDir: string;
let tls: TlsMaterial;
const servers: TestSmtpServer[] = [];

function configFile(name: string, notifications: Record<string, unknown> | null): string {
  const path = join(dir, `${name}.yml`);
  writeFileSync(
    path,
    stringify({
      stateDir,
      daemon: { socket: join(dir, 'no-daemon.sock') },
      sources: [],
      allowlist: ['192.0.2.50'],
      ...(notifications === null ? {} : { notifications }),
    }),
  );
  return path;
}

function smtpConfig(port: number, extra: Record<string, unknown>): Record<string, unknown> {
  return { smtp: { host: '127.0.0.1', port, fromName: 'sipwarden on pbx1', fromAddress: 'pbx1@example.com', ...extra }, to: TO };
}

async function server(options: Parameters<typeof startSmtpServer>[0]): Promise<TestSmtpServer> {
  const s = await startSmtpServer({ tls, ...options });
  servers.push(s);
  return s;
}

const mailEnv = () => ({ NODE_EXTRA_CA_CERTS: tls.certPath });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-report-cli-'));
  stateDir = join(dir, 'state');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeReportJournal(join(stateDir, 'journal'));
  new SecureJsonFile(join(stateDir, STATE_FILE)).write(reportState());
  tls = await makeCertificate();
});
afterAll(async () => {
  for (const s of servers) await s.close();
  tls.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('printed', () => {
  test('text: the figures, the hourly chart, top attackers and blocks', async () => {
    const result = await sipwarden(['--config', configFile('plain', null), 'report', ...PERIOD]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`sipwarden report for ${hostname()}`);
    expect(result.stdout).toContain('Attacks: 47 from 6 addresses');
    expect(result.stdout).toMatch(/01-15 01:00 30 █{40}\n/);
    expect(result.stdout).toMatch(/198\.51\.100\.7 +31 +register 31 /);
    expect(result.stdout).toContain('<script>alert(1)</script>\\r\\nBcc: evil@…');
    expect(result.stdout).toContain('New permanent blocks: 1');
  });

  test('json: exact figures', async () => {
    const result = await sipwarden(['--config', configFile('plain', null), 'report', ...PERIOD, '--format', 'json']);
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      period: { from: '2024-01-15T00:00:00Z', to: '2024-01-16T00:00:00Z' },
      total: 47,
      byKind: { register: 31, invite: 8, auth: 1, scanner: 5, ratelimit: 2 },
      lists: { allow: 2, deny: 2 },
      limiter: { episodes: 2 },
    });
    expect((json.top as Array<{ attacker: string; status: { state: string } }>).map((t) => [t.attacker, t.status.state])).toEqual([
      ['198.51.100.7', 'permanent'],
      ['198.51.100.8', 'none'],
      ['2001:db8:1::6', 'permanent'],
      ['2001:db8:1::5', 'permanent'],
      ['203.0.113.9', 'allowed'],
      ['192.0.2.50', 'allowed'],
    ]);
  });

  test('html: a document with an SVG chart and escaped attacker text', async () => {
    const result = await sipwarden(['--config', configFile('plain', null), 'report', ...PERIOD, '--format', 'html']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(result.stdout).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(result.stdout).not.toContain('<script');
  });

  test('--since 7d covers the whole journal of a week ago too; default is the last 24 h', async () => {
    const week = await sipwarden(['--config', configFile('plain', null), 'report', '--since', '7d', '--format', 'json']);
    expect(week.exitCode).toBe(0);
    expect((JSON.parse(week.stdout) as { chart: { bucketMs: number } }).chart.bucketMs).toBe(3_600_000);
    const recent = await sipwarden(['--config', configFile('plain', null), 'report', '--format', 'json']);
    expect(JSON.parse(recent.stdout)).toMatchObject({ total: 0 });
  });

  test.each([
    [['--since', '24h', '--from', '2024-01-15'], '--since cannot be combined with --from/--to'],
    [['--to', '2024-01-15'], '--to needs --from'],
    [['--from', '2024-01-16', '--to', '2024-01-15'], 'the period is empty'],
    [['--since', 'yesterday'], '--since: got "yesterday"'],
    [['--format', 'xml'], 'Invalid values'],
  ])('usage error %j (exit 2)', async (args, message) => {
    const result = await sipwarden(['--config', configFile('plain', null), 'report', ...args]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe('--mail', () => {
  test('implicit TLS, no login: a multipart mail with the figures, From and recipients', async () => {
    const smtp = await server({ implicitTls: true });
    const config = configFile('tls', smtpConfig(smtp.port, { ssl: true }));
    const result = await sipwarden(['--config', config, 'report', ...PERIOD, '--mail'], { env: mailEnv() });
    expect(result).toMatchObject({ exitCode: 0, stderr: '', stdout: '' }); // silent, as cron wants it
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0];
    expect(mail?.secure).toBe(true);
    expect(mail?.parsed.from?.value).toEqual([{ name: 'sipwarden on pbx1', address: 'pbx1@example.com' }]);
    expect(mail?.parsed.to && !Array.isArray(mail.parsed.to) ? mail.parsed.to.value.map((a) => a.address) : null).toEqual(TO);
    expect(mail?.rcptTo).toEqual(TO);
    expect(mail?.parsed.subject).toBe(`[sipwarden] ${hostname()}: 47 attacks from 2024-01-15 00:00 UTC to 2024-01-16 00:00 UTC, 1 new permanent block`);
    expect(mail?.raw).toMatch(/Content-Type: multipart\/alternative/i);
    const text = mail?.parsed.text ?? '';
    expect(text).toContain('Attacks: 47 from 6 addresses');
    expect(text).toMatch(/register +31\n/);
    expect(text).toMatch(/198\.51\.100\.7 +31 +register 31 /);
    expect(text).toContain('Lists now: 2 permanent (deny), 0 dynamic, 2 allowed');
    const html = mail?.parsed.html || '';
    expect(html).toMatch(/<td[^>]*>register<\/td><td[^>]*>31<\/td>/);
    expect(html).toContain('<title>2024-01-15 01:00 UTC: 30 attacks</title>');
    expect(html).toMatch(/<td[^>]*>198\.51\.100\.7<\/td><td[^>]*>31<\/td>/);
  });

  test('the hostile User-Agent arrives escaped in the HTML part and never as a header', async () => {
    const smtp = await server({ starttls: true });
    const result = await sipwarden(['--config', configFile('starttls', smtpConfig(smtp.port, { ssl: false })), 'report', ...PERIOD, '--mail'], {
      env: mailEnv(),
    });
    expect(result.exitCode).toBe(0);
    const mail = smtp.mails[0];
    expect(mail?.secure).toBe(true);
    expectHostileTextInert(mail, TO);
    expect(mail?.parsed.text).toContain('<script>alert(1)</script>\\r\\nBcc: evil@…');
  });

  test('plain without TLS, login with a passwordFile; a wrong password fails clearly, exit 3, password never shown', async () => {
    const smtp = await server({ auth: { user: 'pbx1', pass: PASSWORD } });
    const passwordFile = join(dir, 'smtp-password');
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    const config = configFile('auth', smtpConfig(smtp.port, { ssl: false, user: 'pbx1', passwordFile }));
    const ok = await sipwarden(['--config', config, 'report', ...PERIOD, '--mail']);
    expect(ok.exitCode).toBe(0);
    expect(smtp.mails[0]).toMatchObject({ secure: false, user: 'pbx1' });

    writeFileSync(passwordFile, 'not-the-password\n');
    const bad = await sipwarden(['--config', config, 'report', ...PERIOD, '--mail']);
    expect(bad.exitCode).toBe(3);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(
      `sipwarden: mail to admin@example.com, noc@example.net via 127.0.0.1:${smtp.port} (STARTTLS when offered) failed: the server refused the login for user "pbx1": 535 Invalid username or password`,
    );
    const checked = await sipwarden(['--config', config, 'config', 'check']);
    expect(checked.exitCode).toBe(0);
    for (const out of [bad.stdout, bad.stderr, checked.stdout, checked.stderr]) {
      expect(out).not.toContain('not-the-password');
      expect(out).not.toContain(PASSWORD);
    }
  });

  test('an inline password is masked by config check and never printed by report', async () => {
    const smtp = await server({ implicitTls: true, auth: { user: 'pbx1', pass: PASSWORD } });
    const config = configFile('inline', smtpConfig(smtp.port, { ssl: true, user: 'pbx1', password: PASSWORD }));
    const ok = await sipwarden(['--config', config, 'report', ...PERIOD, '--mail', '--debug'], { env: mailEnv() });
    expect(ok.exitCode).toBe(0);
    const checked = await sipwarden(['--config', config, 'config', 'check', '--json']);
    expect(checked.exitCode).toBe(0);
    expect(JSON.parse(checked.stdout)).toMatchObject({ config: { notifications: { minInterval: '5m', smtp: { password: '********' } } } });
    for (const out of [ok.stdout, ok.stderr, checked.stdout]) expect(out).not.toContain(PASSWORD);
  });

  test('server down: exit 3 with the reason', async () => {
    const port = await freePort();
    const result = await sipwarden(['--config', configFile('down', smtpConfig(port, { ssl: false })), 'report', ...PERIOD, '--mail']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe(
      `sipwarden: mail to admin@example.com, noc@example.net via 127.0.0.1:${port} (STARTTLS when offered) failed: cannot connect: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  test('no smtp configured: exit 3 saying what to set', async () => {
    const result = await sipwarden(['--config', configFile('plain', null), 'report', '--mail']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('mail not sent: notifications.smtp is not set in');
  });

  test('config check refuses a passwordFile it cannot read', async () => {
    const missing = join(dir, 'missing-password');
    const result = await sipwarden(['--config', configFile('missing', smtpConfig(25, { ssl: false, user: 'pbx1', passwordFile: missing })), 'config', 'check']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`notifications.smtp.passwordFile: cannot read ${missing} (ENOENT)`);
  });
});

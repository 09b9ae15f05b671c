// The mailer against a real SMTP server on 127.0.0.1: implicit TLS, STARTTLS, plain; with and without login.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendMail } from '../../../src/act/notify/mailer.js';
import { alertMail, type MailContent } from '../../../src/act/notify/message.js';
import type { SmtpConfig } from '../../../src/config/types.js';
import { SipwardenError } from '../../../src/model/errors.js';
import { expectHostileTextInert, freePort, makeCertificate, startSmtpServer, type TestSmtpServer, type TlsMaterial } from '../../helpers/smtp.js';

const TO = ['admin@example.com', 'noc@example.net'];
const PASSWORD = 'correct horse battery staple';
const UA = '<script>alert(1)</script>\r\nBcc: evil@example.com';
let tls: TlsMaterial;
let dir: string;

function smtp(port: number, overrides: Partial<SmtpConfig> = {}): SmtpConfig {
  return {
    ssl: false,
    host: '127.0.0.1',
    port,
    fromName: 'sipwarden on pbx1',
    fromAddress: 'pbx1@example.com',
    user: null,
    password: null,
    passwordFile: null,
    ...overrides,
  };
}

const content: MailContent = alertMail(
  [
    {
      time: Date.UTC(2024, 0, 15, 10),
      target: '198.51.100.7',
      attacker: '198.51.100.7',
      kind: 'scanner',
      reason: `blocked User-Agent "${UA}"`,
      note: `Blocked permanently (${UA})`,
      strikes: [{ time: Date.UTC(2024, 0, 15, 9), reason: 'blocked User-Agent' }],
      evidence: {
        total: 1,
        entries: [
          { time: Date.UTC(2024, 0, 15, 10), attacker: '198.51.100.7', victim: null, kind: 'scanner', userAgent: UA, user: null, source: 's', rule: 'r' },
        ],
      },
    },
  ],
  'pbx1',
);

beforeAll(async () => {
  tls = await makeCertificate();
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-mailer-'));
});
afterAll(() => {
  tls.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function withServer<T>(options: Parameters<typeof startSmtpServer>[0], run: (server: TestSmtpServer) => Promise<T>): Promise<T> {
  const server = await startSmtpServer(options);
  try {
    return await run(server);
  } finally {
    await server.close();
  }
}

async function failure(promise: Promise<unknown>): Promise<SipwardenError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SipwardenError);
    return error as SipwardenError;
  }
  throw new Error('expected the send to fail');
}

describe.each([
  ['implicit TLS', { implicitTls: true }, { ssl: true }],
  ['plain with STARTTLS', { starttls: true }, { ssl: false }],
  ['plain without TLS', {}, { ssl: false }],
] as const)('%s', (name, serverOptions, clientOptions) => {
  const encrypted = name !== 'plain without TLS';

  test('without login: From, recipients, subject and both parts arrive', async () => {
    await withServer({ ...serverOptions, tls }, async (server) => {
      const sent = await sendMail({ smtp: smtp(server.port, clientOptions), to: TO, ca: tls.cert }, content);
      expect(sent.accepted).toEqual(TO);
      const [mail] = server.mails;
      expect(mail?.secure).toBe(encrypted);
      expect(mail?.user).toBeNull();
      expect(mail?.mailFrom).toBe('pbx1@example.com');
      expect(mail?.rcptTo).toEqual(TO);
      expect(mail?.parsed.from?.value).toEqual([{ name: 'sipwarden on pbx1', address: 'pbx1@example.com' }]);
      expect(mail?.parsed.subject).toBe('[sipwarden] pbx1: 198.51.100.7 blocked permanently');
      expect(mail?.parsed.text).toContain('sipwarden on pbx1 blocked 1 address permanently');
      expect(mail?.parsed.html).toContain('<h1');
    });
  });

  test('with login: the user is authenticated; a wrong password is a clear error without the password', async () => {
    await withServer({ ...serverOptions, tls, auth: { user: 'pbx1', pass: PASSWORD } }, async (server) => {
      await sendMail({ smtp: smtp(server.port, { ...clientOptions, user: 'pbx1', password: PASSWORD }), to: TO, ca: tls.cert }, content);
      expect(server.mails[0]?.user).toBe('pbx1');
      const wrong = 'hunter2-wrong';
      const error = await failure(sendMail({ smtp: smtp(server.port, { ...clientOptions, user: 'pbx1', password: wrong }), to: TO, ca: tls.cert }, content));
      expect(error.code).toBe('MAIL');
      expect(error.message).toContain(
        `mail to admin@example.com, noc@example.net via 127.0.0.1:${server.port} (${clientOptions.ssl ? 'implicit TLS' : 'STARTTLS when offered'}) failed: the server refused the login for user "pbx1": 535`,
      );
      expect(error.message).not.toContain(wrong);
      expect(error.message).not.toContain(Buffer.from(`\0pbx1\0${wrong}`).toString('base64'));
      expect(server.refusedLogins).toEqual(['pbx1']);
      expect(server.mails).toHaveLength(1);
    });
  });
});

test('attacker text arrives escaped in the HTML, as text in the text part, and never as a header', async () => {
  await withServer({ starttls: true, tls }, async (server) => {
    await sendMail({ smtp: smtp(server.port), to: TO, ca: tls.cert }, content);
    const mail = server.mails[0];
    expectHostileTextInert(mail, TO);
    expect(mail?.parsed.bcc).toBeUndefined();
    expect(mail?.parsed.text).toContain('<script>alert(1)</script>\\r\\nBcc: evil@example.com');
  });
});

test('passwordFile is read when the mail is sent, not when the config is loaded', async () => {
  const file = join(dir, 'smtp-password');
  writeFileSync(file, 'old-password\n', { mode: 0o600 });
  await withServer({ starttls: true, tls, auth: { user: 'pbx1', pass: 'new-password' } }, async (server) => {
    const config = smtp(server.port, { user: 'pbx1', passwordFile: file });
    const error = await failure(sendMail({ smtp: config, to: TO, ca: tls.cert }, content));
    expect(error.message).not.toContain('old-password');
    writeFileSync(file, 'new-password\n');
    await sendMail({ smtp: config, to: TO, ca: tls.cert }, content);
    expect(server.mails).toHaveLength(1);
  });
  const missing = await failure(sendMail({ smtp: smtp(1, { user: 'pbx1', passwordFile: join(dir, 'nope') }), to: TO }, content));
  expect(missing.message).toBe(`mail not sent: cannot read notifications.smtp.passwordFile ${join(dir, 'nope')} (ENOENT)`);
});

test('an untrusted certificate is a TLS error, not a silent downgrade', async () => {
  await withServer({ implicitTls: true, tls }, async (server) => {
    const error = await failure(sendMail({ smtp: smtp(server.port, { ssl: true }), to: TO }, content));
    expect(error.message).toMatch(/failed: TLS failed: .*self[- ]signed certificate/);
    expect(server.mails).toHaveLength(0);
  });
});

test('a server that is down: cannot connect', async () => {
  const port = await freePort();
  const error = await failure(sendMail({ smtp: smtp(port), to: TO }, content));
  expect(error.message).toBe(
    `mail to admin@example.com, noc@example.net via 127.0.0.1:${port} (STARTTLS when offered) failed: cannot connect: connect ECONNREFUSED 127.0.0.1:${port}`,
  );
});

test.each([
  ['ssl: false against an implicit-TLS port', { implicitTls: true }, false, 'set notifications.smtp.ssl: true'],
  ['ssl: true against a plain port', { starttls: true }, true, 'set notifications.smtp.ssl: false'],
] as const)('%s: the error suggests the other setting', async (_name, serverOptions, ssl, hint) => {
  await withServer({ ...serverOptions, tls }, async (server) => {
    const error = await failure(sendMail({ smtp: smtp(server.port, { ssl }), to: TO, ca: tls.cert, timeoutMs: 1000 }, content));
    expect(error.message).toContain(hint);
  });
});

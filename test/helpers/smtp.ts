// A real SMTP server on 127.0.0.1 for mail tests (smtp-server), with what it received parsed (mailparser).
import { expect } from '@jest/globals';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface TlsMaterial {
  key: string;
  cert: string;
  /** The certificate file, for NODE_EXTRA_CA_CERTS. */
  certPath: string;
  cleanup(): void;
}

/** A throwaway self-signed certificate for 127.0.0.1 and localhost, made with openssl now. */
export async function makeCertificate(): Promise<TlsMaterial> {
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  await execa('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ReceivedMail {
  parsed: ParsedMail;
  raw: string;
  /** SMTP envelope: MAIL FROM and RCPT TO as the server saw them. */
  mailFrom: string | null;
  rcptTo: string[];
  /** Whether the session was encrypted (implicit TLS or STARTTLS). */
  secure: boolean;
  /** The authenticated user, if any. */
  user: string | null;
}

export interface TestSmtpServer {
  port: number;
  mails: ReceivedMail[];
  /** Failed logins (user names). */
  refusedLogins: string[];
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  /** Implicit TLS from the first byte. */
  implicitTls?: boolean;
  /** Offer STARTTLS on a plain connection (needs tls). */
  starttls?: boolean;
  tls?: TlsMaterial;
  /** Require this login; absent: no authentication. */
  auth?: { user: string; pass: string };
  port?: number;
}

/** A port nothing listens on right now (for a server that comes up later). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startSmtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const refusedLogins: string[] = [];
  const config: SMTPServerOptions = {
    secure: options.implicitTls === true,
    logger: false,
    disabledCommands: options.starttls === true || options.implicitTls === true ? [] : ['STARTTLS'],
    authOptional: options.auth === undefined,
    allowInsecureAuth: true,
    ...(options.tls === undefined ? {} : { key: options.tls.key, cert: options.tls.cert }),
    onAuth(auth, _session, callback) {
      if (options.auth !== undefined && auth.username === options.auth.user && auth.password === options.auth.pass) {
        callback(null, { user: auth.username });
        return;
      }
      refusedLogins.push(auth.username ?? '');
      const error = new Error('Invalid username or password') as Error & { responseCode: number };
      error.responseCode = 535;
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((parsed) => {
            const from = session.envelope.mailFrom;
            mails.push({
              parsed,
              raw,
              mailFrom: from === false ? null : from.address,
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
              secure: session.secure,
              user: typeof session.user === 'string' ? session.user : null,
            });
            callback();
          })
          .catch((error: Error) => callback(error));
      });
    },
  };
  const server = new SMTPServer(config);
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { port, mails, refusedLogins, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Waits until the server holds `n` mails (the client may return before the server has parsed). */
export async function waitForMails(server: TestSmtpServer, n: number, timeoutMs = 5000): Promise<ReceivedMail[]> {
  const start = Date.now();
  while (server.mails.length < n) {
    if (Date.now() - start > timeoutMs) throw new Error(`expected ${n} mail(s), got ${server.mails.length}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return server.mails;
}

/**
 * The hostile text the mail tests plant (`<script>alert(1)</script>`, a CRLF and `Bcc: evil@example.com`)
 * arrived inert: no Bcc header, no recipient but `to`, nothing of it in the headers, escaped in the HTML.
 */
export function expectHostileTextInert(mail: ReceivedMail | undefined, to: readonly string[]): void {
  expect(mail?.parsed.headers.has('bcc')).toBe(false);
  expect(mail?.rcptTo).toEqual(to);
  const head = mail?.raw.slice(0, mail.raw.indexOf('\r\n\r\n')) ?? '';
  expect(head).not.toMatch(/evil|script/i);
  expect(mail?.parsed.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;\\r\\nBcc: evil@example.com');
  expect(mail?.parsed.html).not.toContain('<script');
}

// Sends a mail over SMTP with nodemailer (loaded on first use); failures become one clear MAIL error.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { SmtpConfig } from '../../config/types.js';
import { SipwardenError } from '../../model/errors.js';
import { headerText } from './escape.js';
import type { MailContent } from './message.js';

export interface MailerOptions {
  smtp: SmtpConfig;
  to: readonly string[];
  /** Extra trusted CA certificates (PEM) for the server's certificate, added to the system's. */
  ca?: string;
  /** Connection and greeting timeout, ms (default 15 s); the socket may idle four times as long. */
  timeoutMs?: number;
}

export interface SentMail {
  messageId: string;
  accepted: string[];
  rejected: string[];
}

/** How the connection is secured, as messages name it. */
export function securityText(smtp: SmtpConfig): string {
  return smtp.ssl ? 'implicit TLS' : 'STARTTLS when offered';
}

/** The password: inline, or read from passwordFile now (so a changed file needs no restart). */
function password(smtp: SmtpConfig): string | null {
  if (smtp.password !== null) return smtp.password;
  if (smtp.passwordFile === null) return null;
  let text: string;
  try {
    text = readFileSync(smtp.passwordFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SipwardenError('MAIL', `mail not sent: cannot read notifications.smtp.passwordFile ${smtp.passwordFile} (${code})`);
  }
  return text.replace(/\r?\n$/, '');
}

/** Removes a secret, and the base64 forms SMTP AUTH sends it in, from text that will be shown. */
function redact(text: string, user: string | null, secret: string | null): string {
  if (secret === null || secret === '') return text;
  const forms = [secret, Buffer.from(secret).toString('base64'), Buffer.from(`\0${user ?? ''}\0${secret}`).toString('base64')];
  let out = text;
  for (const form of forms) out = out.split(form).join('********');
  return out;
}

interface SmtpError {
  code?: string;
  message?: string;
  response?: string;
  responseCode?: number;
}

/** A hint when TLS was probably set the wrong way round for the port. */
function tlsHint(message: string, smtp: SmtpConfig): string {
  if (!smtp.ssl && /greeting never received/i.test(message))
    return '; if this port expects TLS from the first byte (usually 465), set notifications.smtp.ssl: true';
  if (smtp.ssl && /wrong version number|packet length too long|unexpected eof|http request/i.test(message)) {
    return '; if this port starts in plain text (usually 587 or 25), set notifications.smtp.ssl: false';
  }
  return '';
}

/** Why a send failed, in words an administrator can act on. */
function reason(error: SmtpError, smtp: SmtpConfig): string {
  const response = typeof error.response === 'string' ? error.response.trim() : '';
  const message = (error.message ?? String(error)).trim();
  switch (error.code) {
    case 'EAUTH':
      return `the server refused the login for user ${JSON.stringify(smtp.user ?? '')}: ${response || message}`;
    case 'ETLS':
      return `TLS failed: ${message}`;
    case 'EENVELOPE':
      return `the server refused the sender or recipients: ${response || message}`;
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'ETIMEDOUT':
    case 'EDNS':
      return (
        (/certificate|self.signed|SSL|TLS|wrong version/i.test(message) ? `TLS failed: ${message}` : `cannot connect: ${message}`) + tlsHint(message, smtp)
      );
    default:
      return response !== '' && !message.includes(response) ? `${message}: ${response}` : message;
  }
}

/** Sends one multipart (text + HTML) mail to the configured recipients. */
export async function sendMail(options: MailerOptions, content: MailContent): Promise<SentMail> {
  const { smtp } = options;
  const to = [...options.to];
  if (to.length === 0) throw new SipwardenError('MAIL', 'mail not sent: notifications.to lists no recipient');
  const pass = password(smtp);
  const timeout = options.timeoutMs ?? 15_000;
  const { createTransport } = await import('nodemailer');
  const transport = createTransport({
    host: smtp.host,
    port: smtp.port,
    // true: TLS from the first byte; false: plain, upgraded with STARTTLS whenever the server offers it.
    secure: smtp.ssl,
    ...(smtp.user === null ? {} : { auth: { user: smtp.user, pass: pass ?? '' } }),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 4,
    ...(options.ca === undefined ? {} : { tls: { ca: [...rootCertificates, options.ca] } }),
    // Message content never names files or URLs for nodemailer to fetch.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  });
  try {
    const info = await transport.sendMail({
      from: { name: headerText(smtp.fromName), address: smtp.fromAddress },
      to,
      subject: headerText(content.subject, 200),
      text: content.text,
      html: content.html,
    });
    return {
      messageId: String(info.messageId ?? ''),
      accepted: (info.accepted ?? []).map(String),
      rejected: (info.rejected ?? []).map(String),
    };
  } catch (error) {
    const why = redact(reason(error as SmtpError, smtp), smtp.user, pass);
    throw new SipwardenError('MAIL', `mail to ${to.join(', ')} via ${smtp.host}:${smtp.port} (${securityText(smtp)}) failed: ${why}`);
  } finally {
    transport.close();
  }
}

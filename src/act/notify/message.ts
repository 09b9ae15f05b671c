// Whole mails (subject, text, HTML) for reports and alerts; subjects carry no attacker text.
import { headerText, isAddressText } from './escape.js';
import { count, isoMinute, plural } from './format.js';
import type { Report } from './report.js';
import type { BlockAlert } from './alerts.js';
import { renderAlertText, renderReportText } from './render-text.js';
import { renderAlertHtml, renderReportHtml } from './render-html.js';

/** A mail's content; the mailer adds From and To. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

/** The subject is built from numbers, times and the host name only, never from journaled text. */
export function reportSubject(report: Report): string {
  const blocks = report.newPermanentBlocks.length;
  return headerText(
    `[sipwarden] ${report.host}: ${count(report.total)} attacks from ${isoMinute(report.period.from)} to ${isoMinute(report.period.to)}` +
      (blocks > 0 ? `, ${plural(blocks, 'new permanent block')}` : ''),
    200,
  );
}

export function alertSubject(alerts: readonly BlockAlert[], host: string): string {
  const only = alerts.length === 1 ? alerts[0] : undefined;
  // A single block names its address, but only in its canonical form (digits, dots, colons).
  const what =
    only !== undefined && isAddressText(only.target)
      ? `${only.target} blocked permanently`
      : `${plural(alerts.length, 'address', 'addresses')} blocked permanently`;
  return headerText(`[sipwarden] ${host}: ${what}`, 200);
}

export function reportMail(report: Report): MailContent {
  return { subject: reportSubject(report), text: renderReportText(report), html: renderReportHtml(report) };
}

export function alertMail(alerts: readonly BlockAlert[], host: string): MailContent {
  return { subject: alertSubject(alerts, host), text: renderAlertText(alerts, host), html: renderAlertHtml(alerts, host) };
}

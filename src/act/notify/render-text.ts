// Plain-text renderings of the report and of alert mails; attacker text is escaped, never trusted.
import { EVENT_KINDS } from '../../model/event.js';
import { textChart } from './chart.js';
import { clip, plainText } from './escape.js';
import { count, isoMinute, isoTime, plural } from './format.js';
import type { AttackerRow, AttackerStatus, Report } from './report.js';
import type { BlockAlert } from './alerts.js';

/** Permanent blocks and alerts get full detail up to this many; the rest are listed one line each. */
export const DETAIL_LIMIT = 50;
/** Rows of the "new permanent blocks" list in a report. */
export const REPORT_BLOCK_LIMIT = 100;

/** Columns padded to their widest cell; cells must already be escaped. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], indent = '  '): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function statusText(status: AttackerStatus): string {
  switch (status.state) {
    case 'allowed':
      return 'allowed';
    case 'permanent':
      return `permanent block${status.target.includes('/') ? ` (${status.target})` : ''}`;
    case 'blocked':
      return `blocked until ${isoTime(status.until)}${status.target.includes('/') ? ` (${status.target})` : ''}`;
    case 'none':
      return 'not blocked';
  }
}

export function kindsText(row: Pick<AttackerRow, 'byKind'>): string {
  return EVENT_KINDS.filter((k) => (row.byKind[k] ?? 0) > 0)
    .map((k) => `${k} ${count(row.byKind[k] ?? 0)}`)
    .join(', ');
}

function durationText(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours > 48 && Number.isInteger(hours / 24)) return `${hours / 24}d`;
  if (Number.isInteger(hours)) return `${hours}h`;
  return hours > 48 ? `${(hours / 24).toFixed(1)}d` : `${Math.round(ms / 60_000)}m`;
}

/** The report as plain text (the text part of the mail, and what `report` prints). */
export function renderReportText(report: Report): string {
  const out: string[] = [];
  const { from, to } = report.period;
  out.push(`sipwarden report for ${plainText(report.host)}`);
  out.push(`Period:    ${isoMinute(from)} to ${isoMinute(to)} (${durationText(to - from)})`);
  out.push(`Generated: ${isoMinute(report.generatedAt)}`);
  out.push('');
  out.push(`Attacks: ${count(report.total)} from ${plural(report.attackers, 'address', 'addresses')}`);
  out.push(
    table(
      ['KIND', 'ATTACKS'],
      EVENT_KINDS.map((k) => [k, count(report.byKind[k])]),
    ),
  );
  out.push('');
  out.push(`Attacks per ${report.chart.bucketMs < 86_400_000 ? 'hour' : 'day'} (UTC)`);
  out.push(textChart(report.chart.buckets, report.chart.bucketMs).replace(/^/gm, '  '));
  out.push('');
  out.push(`Top attackers`);
  if (report.top.length === 0) out.push('  (none)');
  else {
    out.push(
      table(
        ['ADDRESS', 'ATTACKS', 'KINDS', 'FIRST SEEN', 'LAST SEEN', 'STATUS', 'LAST USER AGENT', 'LAST USER'],
        report.top.map((t) => [
          t.attacker,
          count(t.count),
          kindsText(t),
          isoTime(t.firstSeen),
          isoTime(t.lastSeen),
          statusText(t.status),
          clip(plainText(t.userAgent), 40),
          clip(plainText(t.user), 24),
        ]),
      ),
    );
  }
  out.push('');
  out.push(`New permanent blocks: ${count(report.newPermanentBlocks.length)}`);
  for (const b of report.newPermanentBlocks.slice(0, REPORT_BLOCK_LIMIT)) {
    out.push(`  ${isoMinute(b.since)}  ${b.target}  by ${b.by}${b.strikes > 0 ? `, ${plural(b.strikes, 'strike')}` : ''}`);
    out.push(`      ${plainText(b.note)}`);
  }
  if (report.newPermanentBlocks.length > REPORT_BLOCK_LIMIT) {
    out.push(`  ... and ${count(report.newPermanentBlocks.length - REPORT_BLOCK_LIMIT)} more: sipwarden list deny`);
  }
  out.push('');
  out.push(`Lists now: ${count(report.lists.deny)} permanent (deny), ${count(report.lists.dynamic)} dynamic, ${count(report.lists.allow)} allowed`);
  out.push(`INVITE limiter: ${report.limiter.enabled ? 'on' : 'off'}; ${plural(report.limiter.episodes, 'rate-limit episode')} in the period`);
  out.push(kernelText(report));
  return `${out.join('\n')}\n`;
}

function kernelText(report: Report): string {
  const kernel = report.kernel;
  if (kernel === null) return 'Kernel drop counters: not read';
  if ('unavailable' in kernel) return `Kernel drop counters: unavailable (${plainText(kernel.unavailable)})`;
  const entries = Object.entries(kernel.counters);
  if (entries.length === 0) return 'Kernel drop counters: none';
  return `Kernel drop counters (packets since the ruleset was loaded)\n${table(
    ['RULE', 'PACKETS'],
    entries.map(([k, v]) => [plainText(k), count(v)]),
  )}`;
}

/** The text part of an alert mail: every block in the batch, details for the first ones. */
export function renderAlertText(alerts: readonly BlockAlert[], host: string): string {
  const out: string[] = [];
  const first = Math.min(...alerts.map((a) => a.time));
  const last = Math.max(...alerts.map((a) => a.time));
  out.push(
    `sipwarden on ${plainText(host)} blocked ${plural(alerts.length, 'address', 'addresses')} permanently` +
      (first === last ? ` at ${isoMinute(first)}.` : ` between ${isoMinute(first)} and ${isoMinute(last)}.`),
  );
  out.push('');
  out.push(
    table(
      ['BLOCKED AT', 'ADDRESS', 'KIND', 'STRIKES', 'REASON'],
      alerts.map((a) => [isoTime(a.time), a.target, a.kind, String(a.strikes.length), clip(plainText(a.reason), 80)]),
      '',
    ),
  );
  for (const alert of alerts.slice(0, DETAIL_LIMIT)) {
    out.push('');
    out.push(`${alert.target}${alert.attacker !== alert.target ? ` (seen as ${alert.attacker})` : ''}`);
    out.push(`  Reason: ${plainText(alert.reason)}`);
    out.push(`  Note:   ${plainText(alert.note)}`);
    out.push(`  Strikes (${alert.strikes.length}):`);
    for (const s of alert.strikes) out.push(`    ${isoTime(s.time)}  ${plainText(s.reason)}`);
    const ev = alert.evidence;
    if (ev === null) out.push('  Attack log: not read; see sipwarden logs --attacker ' + alert.attacker);
    else if (ev.entries.length === 0) out.push('  Attack log: no entries found');
    else {
      out.push(`  Attack log (${plural(ev.total, 'entry', 'entries')}${ev.total > ev.entries.length ? `, newest ${ev.entries.length} shown` : ''}):`);
      out.push(
        table(
          ['TIME', 'KIND', 'VICTIM', 'USER AGENT', 'USER', 'SOURCE'],
          ev.entries.map((e) => [
            isoTime(e.time),
            e.kind,
            plainText(e.victim),
            clip(plainText(e.userAgent), 48),
            clip(plainText(e.user), 24),
            clip(plainText(e.source), 40),
          ]),
          '    ',
        ),
      );
    }
    out.push(`  To lift it: sipwarden unblock ${alert.target}`);
  }
  if (alerts.length > DETAIL_LIMIT) out.push('', `Details are shown for the first ${DETAIL_LIMIT}; see sipwarden logs --attacker ADDRESS for the others.`);
  return `${out.join('\n')}\n`;
}

// HTML renderings of the report and alert mails: inline styles and SVG, every dynamic value escaped.
import { EVENT_KINDS } from '../../model/event.js';
import { svgChart } from './chart.js';
import { clip, escapeHtml } from './escape.js';
import { count, isoMinute, isoTime, plural } from './format.js';
import type { Report } from './report.js';
import type { BlockAlert } from './alerts.js';
import { DETAIL_LIMIT, kindsText, REPORT_BLOCK_LIMIT, statusText } from './render-text.js';

const CELL = 'padding:2px 10px 2px 0;border-bottom:1px solid #ddd;text-align:left;vertical-align:top;white-space:nowrap';
const NUM = 'padding:2px 10px 2px 0;border-bottom:1px solid #ddd;text-align:right;vertical-align:top;white-space:nowrap';

/** Escaped text; null shows as a dash. */
function h(text: string | null | undefined): string {
  return text === null || text === undefined ? '-' : escapeHtml(text);
}

/** Attacker text for a cell: escaped, cut, with control characters shown (a CR LF is visible, not a line break). */
function untrusted(text: string | null | undefined, max: number): string {
  if (text === null || text === undefined) return '-';
  const visible = text.replace(/[\u0000-\u001f\u007f]/g, (ch) =>
    ch === '\r' ? '\\r' : ch === '\n' ? '\\n' : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return `<code style="white-space:normal;overflow-wrap:break-word">${escapeHtml(clip(visible, max))}</code>`;
}

function tableHtml(header: readonly string[], rows: readonly (readonly string[])[], numeric: ReadonlySet<number> = new Set()): string {
  const th = header.map((c, i) => `<th style="${numeric.has(i) ? NUM : CELL}">${escapeHtml(c)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td style="${numeric.has(i) ? NUM : CELL}">${c}</td>`).join('')}</tr>`).join('\n');
  return `<table style="border-collapse:collapse;font-size:13px">\n<tr>${th}</tr>\n${body}\n</table>`;
}

function page(title: string, body: string): string {
  return (
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n` +
    `<body style="font-family:Helvetica,Arial,sans-serif;color:#222;max-width:960px">\n${body}\n</body></html>\n`
  );
}

/** The report as an HTML document with an inline SVG chart (the HTML part of the mail). */
export function renderReportHtml(report: Report): string {
  const { from, to } = report.period;
  const parts: string[] = [];
  parts.push(`<h1 style="font-size:20px">sipwarden report for ${h(report.host)}</h1>`);
  parts.push(`<p>${h(isoMinute(from))} to ${h(isoMinute(to))}; generated ${h(isoMinute(report.generatedAt))}.</p>`);
  parts.push(`<h2 style="font-size:16px">Attacks: ${count(report.total)} from ${h(plural(report.attackers, 'address', 'addresses'))}</h2>`);
  parts.push(
    tableHtml(
      ['Kind', 'Attacks'],
      EVENT_KINDS.map((k) => [h(k), count(report.byKind[k])]),
      new Set([1]),
    ),
  );
  parts.push(`<h2 style="font-size:16px">Attacks per ${report.chart.bucketMs < 86_400_000 ? 'hour' : 'day'} (UTC)</h2>`);
  parts.push(svgChart(report.chart.buckets, report.chart.bucketMs));
  parts.push('<h2 style="font-size:16px">Top attackers</h2>');
  parts.push(
    report.top.length === 0
      ? '<p>None.</p>'
      : tableHtml(
          ['Address', 'Attacks', 'Kinds', 'First seen', 'Last seen', 'Status', 'Last User-Agent', 'Last user'],
          report.top.map((t) => [
            h(t.attacker),
            count(t.count),
            h(kindsText(t)),
            h(isoTime(t.firstSeen)),
            h(isoTime(t.lastSeen)),
            h(statusText(t.status)),
            untrusted(t.userAgent, 60),
            untrusted(t.user, 32),
          ]),
          new Set([1]),
        ),
  );
  parts.push(`<h2 style="font-size:16px">New permanent blocks: ${count(report.newPermanentBlocks.length)}</h2>`);
  if (report.newPermanentBlocks.length > 0) {
    parts.push(
      tableHtml(
        ['Since', 'Address', 'By', 'Strikes', 'Note'],
        report.newPermanentBlocks
          .slice(0, REPORT_BLOCK_LIMIT)
          .map((b) => [h(isoTime(b.since)), h(b.target), h(b.by), String(b.strikes), untrusted(b.note, 400)]),
        new Set([3]),
      ),
    );
    if (report.newPermanentBlocks.length > REPORT_BLOCK_LIMIT) {
      parts.push(`<p>... and ${count(report.newPermanentBlocks.length - REPORT_BLOCK_LIMIT)} more: <code>sipwarden list deny</code></p>`);
    }
  }
  parts.push('<h2 style="font-size:16px">Lists, limiter and kernel</h2>');
  parts.push(
    `<p>${count(report.lists.deny)} permanent (deny), ${count(report.lists.dynamic)} dynamic, ${count(report.lists.allow)} allowed.<br>` +
      `INVITE limiter ${report.limiter.enabled ? 'on' : 'off'}; ${h(plural(report.limiter.episodes, 'rate-limit episode'))} in the period.</p>`,
  );
  const kernel = report.kernel;
  if (kernel === null) parts.push('<p>Kernel drop counters: not read.</p>');
  else if ('unavailable' in kernel) parts.push(`<p>Kernel drop counters: unavailable (${h(kernel.unavailable)}).</p>`);
  else
    parts.push(
      tableHtml(
        ['Kernel rule', 'Packets dropped'],
        Object.entries(kernel.counters).map(([k, v]) => [h(k), count(v)]),
        new Set([1]),
      ),
    );
  return page(`sipwarden report for ${report.host}`, parts.join('\n'));
}

/** The HTML part of an alert mail. */
export function renderAlertHtml(alerts: readonly BlockAlert[], host: string): string {
  const parts: string[] = [];
  parts.push(`<h1 style="font-size:18px">sipwarden on ${h(host)} blocked ${h(plural(alerts.length, 'address', 'addresses'))} permanently</h1>`);
  parts.push(
    tableHtml(
      ['Blocked at', 'Address', 'Kind', 'Strikes', 'Reason'],
      alerts.map((a) => [h(isoTime(a.time)), h(a.target), h(a.kind), String(a.strikes.length), untrusted(a.reason, 160)]),
      new Set([3]),
    ),
  );
  for (const alert of alerts.slice(0, DETAIL_LIMIT)) {
    parts.push(`<h2 style="font-size:15px">${h(alert.target)}${alert.attacker !== alert.target ? ` (seen as ${h(alert.attacker)})` : ''}</h2>`);
    parts.push(`<p>Reason: ${untrusted(alert.reason, 400)}<br>Note: ${untrusted(alert.note, 1000)}</p>`);
    parts.push(
      tableHtml(
        ['Strike', 'Why'],
        alert.strikes.map((s) => [h(isoTime(s.time)), untrusted(s.reason, 200)]),
      ),
    );
    const ev = alert.evidence;
    if (ev === null) parts.push(`<p>Attack log not read; see <code>sipwarden logs --attacker ${h(alert.attacker)}</code>.</p>`);
    else if (ev.entries.length === 0) parts.push('<p>No attack-log entries found.</p>');
    else {
      parts.push(`<p>Attack log: ${h(plural(ev.total, 'entry', 'entries'))}${ev.total > ev.entries.length ? `, newest ${ev.entries.length} shown` : ''}.</p>`);
      parts.push(
        tableHtml(
          ['Time', 'Kind', 'Victim', 'User-Agent', 'User', 'Source'],
          ev.entries.map((e) => [
            h(isoTime(e.time)),
            h(e.kind),
            untrusted(e.victim, 48),
            untrusted(e.userAgent, 80),
            untrusted(e.user, 40),
            untrusted(e.source, 60),
          ]),
        ),
      );
    }
    parts.push(`<p>To lift it: <code>sipwarden unblock ${h(alert.target)}</code></p>`);
  }
  if (alerts.length > DETAIL_LIMIT)
    parts.push(`<p>Details are shown for the first ${DETAIL_LIMIT}; see <code>sipwarden logs --attacker ADDRESS</code> for the others.</p>`);
  return page(`sipwarden: ${alerts.length} permanent block(s) on ${host}`, parts.join('\n'));
}

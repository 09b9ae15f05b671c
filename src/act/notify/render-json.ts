// The report as JSON: the same data, times as ISO 8601 text.
import { isoTime } from './format.js';
import type { Report } from './report.js';

/** A JSON-ready copy of the report (times as ISO 8601 UTC). */
export function reportJson(report: Report): Record<string, unknown> {
  return {
    host: report.host,
    generatedAt: isoTime(report.generatedAt),
    period: { from: isoTime(report.period.from), to: isoTime(report.period.to) },
    total: report.total,
    attackers: report.attackers,
    byKind: report.byKind,
    chart: { bucketMs: report.chart.bucketMs, buckets: report.chart.buckets.map((b) => ({ start: isoTime(b.start), count: b.count })) },
    top: report.top.map((t) => ({
      ...t,
      firstSeen: isoTime(t.firstSeen),
      lastSeen: isoTime(t.lastSeen),
      status:
        t.status.state === 'permanent'
          ? { ...t.status, since: isoTime(t.status.since) }
          : t.status.state === 'blocked'
            ? { ...t.status, until: isoTime(t.status.until) }
            : t.status,
    })),
    newPermanentBlocks: report.newPermanentBlocks.map((b) => ({ ...b, since: isoTime(b.since) })),
    lists: report.lists,
    limiter: report.limiter,
    kernel: report.kernel,
  };
}

/** The report as indented JSON text. */
export function renderReportJson(report: Report): string {
  return `${JSON.stringify(reportJson(report), null, 2)}\n`;
}

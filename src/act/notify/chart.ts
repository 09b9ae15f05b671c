// The attacks-per-hour chart as text (bars or sparklines) and as an inline SVG.
import { escapeHtml } from './escape.js';
import { count, isoMinute } from './format.js';

export interface ChartBucket {
  start: number;
  count: number;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const SPARKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const HOUR_MS = 3_600_000;
/** Up to this many buckets get a line each; more hourly buckets get one sparkline row per day. */
const LINES_UP_TO = 48;

function bar(value: number, max: number, width: number): string {
  if (value <= 0 || max <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + (EIGHTHS[eighths % 8] ?? '');
}

function label(start: number, bucketMs: number): string {
  const iso = new Date(start).toISOString();
  return bucketMs < 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

/** A compact text chart: one bar per bucket, or for long hourly series one 24-cell sparkline per day. */
export function textChart(buckets: readonly ChartBucket[], bucketMs: number, width = 40): string {
  const max = Math.max(0, ...buckets.map((b) => b.count));
  const countWidth = count(max).length;
  if (buckets.length <= LINES_UP_TO || bucketMs !== HOUR_MS) {
    return buckets.map((b) => `${label(b.start, bucketMs)} ${count(b.count).padStart(countWidth)} ${bar(b.count, max, width)}`.trimEnd()).join('\n');
  }
  const days = new Map<string, number[]>();
  for (const b of buckets) {
    const day = new Date(b.start).toISOString().slice(0, 10);
    const hour = new Date(b.start).getUTCHours();
    let row = days.get(day);
    if (row === undefined) days.set(day, (row = new Array<number>(24).fill(-1)));
    row[hour] = b.count;
  }
  const lines = ['           00    06    12    18   (UTC, one cell per hour; blank: none or outside the period)'];
  for (const [day, row] of days) {
    const cells = row.map((n) => (n <= 0 ? ' ' : (SPARKS[Math.min(7, Math.floor((n / max) * 7.999))] ?? '█'))).join('');
    lines.push(`${day} ${cells} ${count(row.reduce((a, n) => a + Math.max(0, n), 0))}`);
  }
  lines.push(`(█ = ${count(max)} attacks in an hour)`);
  return lines.join('\n');
}

/** An inline SVG bar chart with a title per bar, axis labels and the maximum marked. */
export function svgChart(buckets: readonly ChartBucket[], bucketMs: number): string {
  const width = 720;
  const height = 200;
  const left = 48;
  const bottom = 28;
  const top = 12;
  const plotWidth = width - left - 8;
  const plotHeight = height - top - bottom;
  const max = Math.max(0, ...buckets.map((b) => b.count));
  const n = Math.max(1, buckets.length);
  const step = plotWidth / n;
  const barWidth = Math.max(1, step * 0.8);
  const unit = bucketMs < 86_400_000 ? 'hour' : 'day';
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Attacks per ${unit}, at most ${count(max)}" style="font-family:sans-serif;font-size:11px">`,
  );
  parts.push(`<line x1="${left}" y1="${top + plotHeight}" x2="${width - 8}" y2="${top + plotHeight}" stroke="#888" stroke-width="1"/>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="#888" stroke-width="1"/>`);
  parts.push(`<text x="${left - 4}" y="${top + 4}" text-anchor="end" fill="#444">${count(max)}</text>`);
  parts.push(`<text x="${left - 4}" y="${top + plotHeight}" text-anchor="end" fill="#444">0</text>`);
  const labelEvery = Math.max(1, Math.ceil(n / 8));
  buckets.forEach((b, i) => {
    const x = left + i * step + (step - barWidth) / 2;
    const h = max === 0 ? 0 : (b.count / max) * plotHeight;
    const y = top + plotHeight - h;
    const title = escapeHtml(`${isoMinute(b.start)}: ${count(b.count)} attack${b.count === 1 ? '' : 's'}`);
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="#c0392b"><title>${title}</title></rect>`,
    );
    if (i % labelEvery === 0) {
      parts.push(`<text x="${(left + i * step).toFixed(1)}" y="${height - 10}" fill="#444">${escapeHtml(label(b.start, bucketMs))}</text>`);
    }
  });
  parts.push('</svg>');
  return parts.join('');
}

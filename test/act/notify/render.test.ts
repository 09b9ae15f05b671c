// Text, HTML and JSON renderings of the report: the figures, the charts, and attacker text escaped.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../../src/act/journal/journal.js';
import { buildReport, type Report } from '../../../src/act/notify/report.js';
import { renderReportText } from '../../../src/act/notify/render-text.js';
import { renderReportHtml } from '../../../src/act/notify/render-html.js';
import { renderReportJson } from '../../../src/act/notify/render-json.js';
import { svgChart, textChart } from '../../../src/act/notify/chart.js';
import { escapeHtml, plainText } from '../../../src/act/notify/escape.js';
import { ManualClock } from '../../../src/model/clock.js';
import { DAY0, HOUR, PERIOD, reportState, writeReportJournal } from '../../helpers/report-journal.js';

let dir: string;
let report: Report;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-render-'));
  writeReportJournal(dir);
  const journal = Journal.open(dir, { readOnly: true });
  report = buildReport({
    journal,
    state: reportState(),
    allowlist: ['192.0.2.50'],
    ipv6Prefix: 64,
    limiterEnabled: false,
    period: PERIOD,
    clock: new ManualClock(DAY0 + 24 * HOUR),
    host: 'pbx1',
    kernel: { counters: { deny_drop: 1234 } },
  });
  journal.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('text', () => {
  test('carries the period, the figures, the chart and the blocks', () => {
    const text = renderReportText(report);
    expect(text).toContain('sipwarden report for pbx1');
    expect(text).toContain('Period:    2024-01-15 00:00 UTC to 2024-01-16 00:00 UTC (24h)');
    expect(text).toContain('Attacks: 47 from 6 addresses');
    expect(text).toMatch(/register +31\n/);
    expect(text).toMatch(/invite +8\n/);
    expect(text).toMatch(/ratelimit +2\n/);
    expect(text).toMatch(/01-15 01:00 30 █{40}\n/);
    expect(text).toMatch(/01-15 02:00 +5 █{6}▋\n/);
    expect(text).toMatch(/198\.51\.100\.7 +31 +register 31 +2024-01-15T01:00:00Z +2024-01-15T23:59:59Z +permanent block/);
    expect(text).toMatch(/2001:db8:1::5 +4 +invite 4 .* permanent block \(2001:db8:1::\/64\)/);
    expect(text).toContain('blocked until 2024-01-16T01:00:00Z');
    expect(text).toContain('New permanent blocks: 1');
    expect(text).toContain('3 strikes within 3h (<i>User-Agent</i> friendly-scanner).');
    expect(text).toContain('Lists now: 2 permanent (deny), 1 dynamic, 2 allowed');
    expect(text).toContain('INVITE limiter: off; 2 rate-limit episodes in the period');
    expect(text).toMatch(/deny_drop +1,234/);
  });

  test('attacker text cannot break lines: CR LF shown escaped', () => {
    const text = renderReportText(report);
    expect(text).toContain('<script>alert(1)</script>\\r\\nBcc: evil@…');
    expect(text.split('\n').some((line) => line.startsWith('Bcc:'))).toBe(false);
    expect(plainText('a\u001b[31mb\u202e')).toBe('a\\x1b[31mb\\u202e');
  });
});

describe('HTML', () => {
  test('is a document with the figures, an inline SVG chart and escaped attacker text', () => {
    const html = renderReportHtml(report);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('Attacks: 47 from 6 addresses');
    expect(html).toMatch(/<td[^>]*>register<\/td><td[^>]*>31<\/td>/);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect((html.match(/<rect /g) ?? []).length).toBe(24);
    expect(html).toContain('<title>2024-01-15 01:00 UTC: 30 attacks</title>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;\\r\\nBcc: evil@example.com');
    expect(html).toContain('&lt;b&gt;admin&lt;/b&gt;');
    expect(html).toContain('(&lt;i&gt;User-Agent&lt;/i&gt; friendly-scanner)');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>admin');
    expect(html).not.toContain('<i>User-Agent');
    expect(html).toContain('1,234');
  });

  test('escapeHtml covers markup and quotes', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

test('JSON: the same figures with ISO times', () => {
  const json = JSON.parse(renderReportJson(report)) as Record<string, unknown>;
  expect(json).toMatchObject({
    host: 'pbx1',
    period: { from: '2024-01-15T00:00:00Z', to: '2024-01-16T00:00:00Z' },
    total: 47,
    attackers: 6,
    byKind: { register: 31, invite: 8, auth: 1, scanner: 5, ratelimit: 2 },
    lists: { allow: 2, deny: 2, dynamic: 1 },
    limiter: { enabled: false, episodes: 2 },
    kernel: { counters: { deny_drop: 1234 } },
    newPermanentBlocks: [{ target: '198.51.100.7', since: '2024-01-15T01:20:00Z', by: 'system', strikes: 3 }],
  });
  const top = json.top as Array<Record<string, unknown>>;
  expect(top[0]).toMatchObject({
    attacker: '198.51.100.7',
    count: 31,
    firstSeen: '2024-01-15T01:00:00Z',
    status: { state: 'permanent', since: '2024-01-15T01:20:00Z' },
  });
  expect(top[1]).toMatchObject({ status: { state: 'blocked', until: '2024-01-16T01:00:00Z' } });
  expect((json.chart as { buckets: unknown[] }).buckets[1]).toEqual({ start: '2024-01-15T01:00:00Z', count: 30 });
});

describe('charts', () => {
  const hourly = (counts: number[]) => counts.map((count, i) => ({ start: DAY0 + i * HOUR, count }));

  test('text bars scale to the largest bucket, in eighths', () => {
    expect(textChart(hourly([0, 8, 4, 1]), HOUR, 8).split('\n')).toEqual(['01-15 00:00 0', '01-15 01:00 8 ████████', '01-15 02:00 4 ████', '01-15 03:00 1 █']);
  });

  test('a week of hours: one sparkline row per day', () => {
    const counts = Array.from({ length: 24 * 7 }, (_, i) => (i % 24 === 12 ? 70 : i % 24 === 0 ? 0 : 10));
    const lines = textChart(hourly(counts), HOUR).split('\n');
    expect(lines).toHaveLength(1 + 7 + 1);
    expect(lines[1]).toBe(`2024-01-15  ${'▂'.repeat(11)}█${'▂'.repeat(11)} 290`);
    expect(lines[8]).toBe('(█ = 70 attacks in an hour)');
  });

  test('SVG: one bar per bucket with its count as a title, heights to scale', () => {
    const svg = svgChart(hourly([0, 10, 5]), HOUR);
    const heights = [...svg.matchAll(/<rect [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(heights).toEqual([0, 160, 80]);
    expect(svg).toContain('<title>2024-01-15 02:00 UTC: 5 attacks</title>');
    expect(svg).toContain('aria-label="Attacks per hour, at most 10"');
  });
});

#!/usr/bin/env node
// Report benchmark: `sipwarden report` over a journal of 1,000,000 entries (the last 24 hours).
//
//   npm run build && node bench/report.mjs [--entries N] [--runs R] [--check]
//
// Builds the journal in a temporary folder with the Journal class from dist/, then measures
// (1) the report in-process: open the journal read-only, count it, render text, HTML and JSON;
// (2) the CLI end to end: `node dist/cli/main.js report --since 24h --format json` as a process.
// Prints seconds and writes bench/out/report.json. --check exits 1 when a run misses the 2 s target.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal } from '../dist/act/journal/journal.js';
import { buildReport } from '../dist/act/notify/report.js';
import { renderReportHtml } from '../dist/act/notify/render-html.js';
import { renderReportJson } from '../dist/act/notify/render-json.js';
import { renderReportText } from '../dist/act/notify/render-text.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const TARGET_SECONDS = 2;
const KINDS = ['register', 'register', 'register', 'invite', 'auth', 'scanner', 'ratelimit'];
const AGENTS = ['friendly-scanner', 'sipvicious', 'PolycomVVX', '<script>alert(1)</script>', 'sundayddr'];

const opts = { entries: 1_000_000, runs: 3, check: false };
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === '--entries') opts.entries = Number(process.argv[++i]);
  else if (arg === '--runs') opts.runs = Number(process.argv[++i]);
  else if (arg === '--check') opts.check = true;
  else {
    process.stderr.write(`bench/report: unknown argument ${arg}\nusage: node bench/report.mjs [--entries N] [--runs R] [--check]\n`);
    process.exit(2);
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Attackers skewed like real campaigns: a few very busy sources, a long tail of 100,000 others. */
function attacker(rand) {
  const r = rand();
  const n = r < 0.3 ? Math.floor(rand() * 20) : Math.floor(rand() * 100_000);
  if (n % 10 === 0) return `2001:db8:${(n >> 12).toString(16)}:${(n & 0xfff).toString(16)}::${(n % 7) + 1}`;
  return `${n < 50_000 ? 198 : 203}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

const dir = mkdtempSync(join(tmpdir(), 'sipwarden-bench-report-'));
try {
  const stateDir = join(dir, 'state');
  const journalDir = join(stateDir, 'journal');
  const now = Date.now();
  const from = now - 86_400_000;
  const rand = random(20240115);

  let started = performance.now();
  const journal = Journal.open(journalDir);
  const step = 86_400_000 / opts.entries;
  for (let b = 0; b < opts.entries; b += 10_000) {
    const batch = [];
    for (let i = b; i < Math.min(opts.entries, b + 10_000); i++) {
      const kind = KINDS[Math.floor(rand() * KINDS.length)];
      batch.push({
        time: Math.floor(from + i * step),
        attacker: attacker(rand),
        victim: '192.0.2.10',
        kind,
        userAgent: kind === 'ratelimit' ? null : AGENTS[i % AGENTS.length],
        user: kind === 'register' || kind === 'auth' ? String(100 + (i % 900)) : null,
        source: kind === 'ratelimit' ? 'kernel' : '/var/log/asterisk/messages',
        rule: 'bench.rule',
      });
    }
    journal.append(batch);
  }
  journal.close();
  const buildSeconds = (performance.now() - started) / 1000;

  // A store with a busy day's blocks: 2,000 permanent, 500 dynamic, 50 allowed.
  const state = {
    version: 1,
    allow: Array.from({ length: 50 }, (_, i) => ({ target: `192.0.2.${i}`, note: null, since: from })),
    deny: Array.from({ length: 2000 }, (_, i) => ({
      target: `198.0.${i >> 8}.${i & 255}`,
      note: 'Blocked permanently by sipwarden: 3 strikes.',
      since: from + i * 1000,
      by: 'system',
      strikes: 3,
    })),
    dynamic: Array.from({ length: 500 }, (_, i) => ({
      target: `203.0.${i >> 8}.${i & 255}`,
      since: now - 1000,
      until: now + 3_600_000,
      reason: 'failed REGISTER',
      by: 'system',
      strikes: 1,
    })),
    strikes: {},
    positions: {},
  };
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(stateDir, 'state.json'), JSON.stringify(state), { mode: 0o600 });
  const config = join(dir, 'sipwarden.yml');
  writeFileSync(config, `stateDir: ${stateDir}\ndaemon: { socket: ${join(dir, 'none.sock')} }\nsources: []\n`);

  // (1) In-process: open, count, render all three formats.
  const inProcess = [];
  let sizes = null;
  let figures = null;
  for (let run = 0; run < opts.runs; run++) {
    started = performance.now();
    const j = Journal.open(journalDir, { readOnly: true });
    const report = buildReport({
      journal: j,
      state,
      allowlist: [],
      ipv6Prefix: 64,
      limiterEnabled: true,
      period: { from, to: now + 1 },
      clock: { now: () => now },
      host: 'bench',
      kernel: null,
    });
    const text = renderReportText(report);
    const html = renderReportHtml(report);
    const json = renderReportJson(report);
    j.close();
    inProcess.push((performance.now() - started) / 1000);
    sizes = { text: text.length, html: html.length, json: json.length };
    figures = {
      total: report.total,
      attackers: report.attackers,
      byKind: report.byKind,
      top: report.top.slice(0, 3).map((t) => ({ attacker: t.attacker, count: t.count })),
    };
  }

  // (2) The CLI as a process, node start-up included.
  const cli = [];
  let cliTotal = null;
  for (let run = 0; run < opts.runs; run++) {
    started = performance.now();
    const out = execFileSync('node', [CLI, '--config', config, 'report', '--since', '25h', '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    cli.push((performance.now() - started) / 1000);
    cliTotal = JSON.parse(out).total;
  }

  const result = {
    benchmark: 'report',
    date: new Date().toISOString(),
    host: { node: process.version, cpu: cpus()[0]?.model ?? '?', cpus: cpus().length, loadAverage: loadavg().map((l) => Number(l.toFixed(2))) },
    journal: { entries: opts.entries, period: '24h', distinctAttackers: figures?.attackers, buildSeconds: Number(buildSeconds.toFixed(2)) },
    targetSeconds: TARGET_SECONDS,
    inProcess: {
      runs: inProcess.map((s) => Number(s.toFixed(3))),
      medianSeconds: Number(median(inProcess).toFixed(3)),
      what: 'Journal.open (read-only) + buildReport + text, HTML and JSON rendering',
    },
    cli: {
      runs: cli.map((s) => Number(s.toFixed(3))),
      medianSeconds: Number(median(cli).toFixed(3)),
      what: 'node dist/cli/main.js report --since 25h --format json, node start-up included',
    },
    figures,
    cliTotal,
    renderedBytes: sizes,
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `report over ${opts.entries.toLocaleString('en-US')} journal entries (${figures?.attackers.toLocaleString('en-US')} attackers; journal built in ${buildSeconds.toFixed(1)} s)\n` +
      `  in-process (open + count + text/HTML/JSON): ${median(inProcess).toFixed(3)} s median of ${opts.runs} [${inProcess.map((s) => s.toFixed(3)).join(', ')}]\n` +
      `  CLI process (report --format json):          ${median(cli).toFixed(3)} s median of ${opts.runs} [${cli.map((s) => s.toFixed(3)).join(', ')}]\n` +
      `  target < ${TARGET_SECONDS} s: ${Math.max(median(inProcess), median(cli)) < TARGET_SECONDS ? 'met' : 'MISSED'}; wrote bench/out/report.json\n`,
  );
  if (cliTotal !== opts.entries || figures?.total !== opts.entries) {
    process.stderr.write(`bench/report: counted ${figures?.total} in-process and ${cliTotal} by the CLI, expected ${opts.entries}\n`);
    process.exitCode = 1;
  }
  if (opts.check && Math.max(median(inProcess), median(cli)) >= TARGET_SECONDS) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

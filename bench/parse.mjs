#!/usr/bin/env node
// Parse benchmark: `sipwarden replay --format asterisk` over a generated 1,000,000-line Asterisk log,
// with fail2ban-regex and its stock asterisk filter on the same lines for comparison when installed.
//
//   npm run bench:parse            (builds first)
//   node bench/parse.mjs [--lines N] [--runs R] [--f2b-lines M|all] [--no-fail2ban] [--check]
//
// Prints a table and writes the figures to bench/out/parse.json (read by bench/run.mjs).
// --check exits 1 when a target is missed. Targets: >= 1,000,000 lines/s, peak RSS < 200 MB.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH = join(ROOT, 'bench');
const OUT = join(BENCH, 'out');
const GENERATOR = join(BENCH, 'generate-asterisk-log.mjs');
const MEASURED = join(BENCH, 'replay-measured.mjs');
const MACHINE_CHECK = join(BENCH, 'lib', 'machine-check.mjs');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const F2B_FILTER = '/etc/fail2ban/filter.d/asterisk.conf';
const SEED = 'sipwarden-bench-1';
const TARGET = { linesPerSecond: 1_000_000, peakRssMb: 200 };

// ---------------------------------------------------------------------------------------------
// Arguments

function usage(message) {
  process.stderr.write(`bench/parse: ${message}\nusage: node bench/parse.mjs [--lines N] [--runs R] [--f2b-lines M|all] [--no-fail2ban] [--check]\n`);
  process.exit(2);
}

const opts = { lines: 1_000_000, runs: 3, f2bLines: 200_000, fail2ban: true, check: false };
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${arg} needs a value`));
    if (arg === '--lines') opts.lines = Number(value());
    else if (arg === '--runs') opts.runs = Number(value());
    else if (arg === '--f2b-lines') {
      const v = value();
      opts.f2bLines = v === 'all' ? Infinity : Number(v);
    } else if (arg === '--no-fail2ban') opts.fail2ban = false;
    else if (arg === '--check') opts.check = true;
    else usage(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(opts.lines) || opts.lines < 1) usage('--lines: use a positive integer');
  if (!Number.isInteger(opts.runs) || opts.runs < 1) usage('--runs: use a positive integer');
  if (!(opts.f2bLines === Infinity || (Number.isInteger(opts.f2bLines) && opts.f2bLines > 0))) usage('--f2b-lines: use a positive integer or all');
}

if (!existsSync(CLI)) {
  process.stderr.write(`bench/parse: ${relative(ROOT, CLI)} is missing; run \`npm run build\` first (npm run bench:parse does)\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Helpers

const fmt = (n, digits = 0) =>
  n === null || n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Counts newline-terminated lines in the first `limit` lines (or all); returns {lines, bytes}. */
function scanLines(path, limit = Infinity) {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(8 << 20);
  let lines = 0;
  let bytes = 0;
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      let at = 0;
      while (at < read) {
        const nl = buffer.indexOf(10, at);
        if (nl < 0 || nl >= read) break;
        lines++;
        at = nl + 1;
        if (lines === limit) return { lines, bytes: bytes + at };
      }
      bytes += read;
    }
  } finally {
    closeSync(fd);
  }
  return { lines, bytes };
}

/** Writes the first `count` lines of `source` to `target`. */
function writeHead(source, target, count) {
  const { bytes } = scanLines(source, count);
  const fd = openSync(source, 'r');
  const buffer = Buffer.allocUnsafe(bytes);
  try {
    readSync(fd, buffer, 0, bytes, 0);
  } finally {
    closeSync(fd);
  }
  writeFileSync(target, buffer);
}

function which(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, command))) return join(dir, command);
  }
  return null;
}

/** Runs a child; resolves with wall seconds, exit status, and stdout (tail kept) and stderr. */
function run(command, args, env = process.env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdoutBytes = 0;
    let stdoutTail = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      stdoutBytes += Buffer.byteLength(chunk);
      stdoutTail = (stdoutTail + chunk).slice(-262_144);
    });
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-65_536);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, code, signal, stdoutBytes, stdout: stdoutTail, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The log file: generated once per line count and generator version.

function ensureLog() {
  mkdirSync(OUT, { recursive: true });
  const log = join(OUT, `asterisk-${opts.lines}.log`);
  const metaPath = join(OUT, `asterisk-${opts.lines}.meta.json`);
  const generatorHash = createHash('sha256').update(readFileSync(GENERATOR)).digest('hex');
  let meta;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  } catch {
    meta = null;
  }
  const upToDate =
    meta !== null &&
    existsSync(log) &&
    meta.lines === opts.lines &&
    meta.seed === SEED &&
    meta.generatorSha256 === generatorHash &&
    meta.bytes === statSync(log).size &&
    scanLines(log).lines === opts.lines;
  if (!upToDate) {
    process.stdout.write(`generating ${relative(ROOT, log)} ...\n`);
    rmSync(metaPath, { force: true });
    const result = spawnSync(process.execPath, [GENERATOR, '--lines', String(opts.lines), '--seed', SEED, log], {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      process.stderr.write(`bench/parse: the generator failed (status ${result.status})\n`);
      process.exit(1);
    }
    process.stdout.write(`  ${result.stdout.trim()}\n`);
    const { lines } = scanLines(log);
    if (lines !== opts.lines) {
      process.stderr.write(`bench/parse: generated ${lines} lines, expected ${opts.lines}\n`);
      process.exit(1);
    }
    meta = { lines, seed: SEED, generatorSha256: generatorHash, bytes: statSync(log).size, summary: result.stdout.trim() };
    writeFileSync(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
  }
  return { log, meta };
}

// ---------------------------------------------------------------------------------------------
// sipwarden

/** Reads the figures off the replay's text summary. */
function parseSummary(text) {
  const number = (label) => {
    const m = new RegExp(`^  ${label} +(\\d+)`, 'm').exec(text);
    return m === null ? null : Number(m[1]);
  };
  const list = (label) => {
    const m = new RegExp(`^  ${label} +(.*)$`, 'm').exec(text);
    if (m === null) return null;
    const out = {};
    if (m[1].trim() === 'none') return out;
    for (const part of m[1].split(',')) {
      const pm = /^\s*(\S+) (\d+)\s*$/.exec(part);
      if (pm !== null) out[pm[1]] = Number(pm[2]);
    }
    return out;
  };
  const decisionsByType = list('decisions');
  const eventsByKind = list('events');
  const sum = (o) => (o === null ? null : Object.values(o).reduce((a, b) => a + b, 0));
  return {
    lines: number('lines read'),
    matched: number('matched'),
    unmatched: number('unmatched'),
    malformed: number('malformed'),
    duplicates: number('counted once'),
    events: sum(eventsByKind),
    eventsByKind,
    decisions: sum(decisionsByType),
    decisionsByType,
  };
}

async function runSipwarden(file) {
  const resultPath = join(tmpdir(), `sipwarden-bench-${process.pid}.json`);
  rmSync(resultPath, { force: true });
  const result = await run(process.execPath, [MEASURED, 'replay', '--format', 'asterisk', file], { ...process.env, SIPWARDEN_BENCH_RESULT: resultPath });
  if (result.code !== 0) {
    process.stderr.write(`bench/parse: sipwarden replay exited with ${result.code ?? result.signal}\n${result.stderr}`);
    process.exit(1);
  }
  const inner = JSON.parse(readFileSync(resultPath, 'utf8'));
  rmSync(resultPath, { force: true });
  return {
    seconds: result.seconds,
    inProcessSeconds: inner.seconds,
    cpuSeconds: inner.userSeconds + inner.systemSeconds,
    peakRssMb: inner.maxRssKb / 1024,
    summary: parseSummary(result.stdout),
  };
}

// ---------------------------------------------------------------------------------------------
// fail2ban-regex

async function runFail2ban(log, totalLines, sipwardenRun) {
  const binary = which('fail2ban-regex');
  if (!opts.fail2ban) return { available: false, reason: 'skipped (--no-fail2ban)' };
  if (binary === null) return { available: false, reason: 'fail2ban-regex is not on PATH (Debian: apt-get install fail2ban)' };
  if (!existsSync(F2B_FILTER)) return { available: false, reason: `${F2B_FILTER} is missing` };
  const version = (spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout ?? '').trim();
  const lines = Math.min(opts.f2bLines, totalLines);
  let file = log;
  if (lines < totalLines) {
    file = join(OUT, `asterisk-${totalLines}-head-${lines}.log`);
    if (!existsSync(file) || scanLines(file).lines !== lines) writeHead(log, file, lines);
  }
  // Peak RSS of a Python child: GNU time when present (no portable way from Node otherwise).
  const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const rssPath = join(tmpdir(), `sipwarden-bench-f2b-${process.pid}.txt`);
  const command = time ?? binary;
  const args = [...(time === null ? [] : ['-f', '%M', '-o', rssPath, binary]), '--print-no-missed', '--print-no-ignored', file, F2B_FILTER];
  process.stdout.write(`running fail2ban-regex on ${fmt(lines)} lines ...\n`);
  const result = await run(command, args);
  if (result.code !== 0)
    return { available: false, reason: `fail2ban-regex exited with ${result.code ?? result.signal}: ${result.stderr.trim().split('\n').pop()}` };
  const counts = /Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed/.exec(result.stdout);
  const processed = /\[processed in ([\d.]+) sec\]/.exec(result.stdout);
  let peakRssMb = null;
  if (time !== null) {
    const kb = Number(readFileSync(rssPath, 'utf8').trim().split('\n').pop());
    peakRssMb = Number.isFinite(kb) ? kb / 1024 : null;
    rmSync(rssPath, { force: true });
  }
  const f2bLines = counts === null ? lines : Number(counts[1]);
  // sipwarden on exactly the same lines, for the matched-lines comparison.
  let same = sipwardenRun;
  if (file !== log) {
    const sameRuns = [];
    for (let i = 0; i < opts.runs; i++) sameRuns.push(await runSipwarden(file));
    same = { ...sameRuns[0], seconds: median(sameRuns.map((r) => r.seconds)) };
  }
  return {
    available: true,
    version,
    filter: F2B_FILTER,
    file: relative(ROOT, file),
    lines: f2bLines,
    seconds: result.seconds,
    processedSeconds: processed === null ? null : Number(processed[1]),
    linesPerSecond: f2bLines / result.seconds,
    peakRssMb,
    matched: counts === null ? null : Number(counts[3]),
    sipwardenOnSameLines: {
      seconds: same.seconds,
      linesPerSecond: f2bLines / same.seconds,
      matched: same.summary.matched,
      events: same.summary.events,
      decisions: same.summary.decisions,
    },
  };
}

/** The fixed work of bench/lib/machine-check.mjs, in ms (lower: a faster moment of this machine). */
function machineCheckMs() {
  const result = spawnSync(process.execPath, [MACHINE_CHECK], { encoding: 'utf8' });
  return result.status === 0 ? JSON.parse(result.stdout).ms : null;
}

// ---------------------------------------------------------------------------------------------
// Main

const { log, meta } = ensureLog();
const loadBefore = loadavg();
const machineBefore = machineCheckMs();
// Start-up alone (module loading, rule compilation), from an empty log: the rest is throughput.
const empty = join(OUT, 'empty.log');
writeFileSync(empty, '');
const startupRuns = [];
for (let i = 0; i < Math.max(3, opts.runs); i++) startupRuns.push((await runSipwarden(empty)).seconds);
const startupSeconds = median(startupRuns);
process.stdout.write(`running sipwarden replay --format asterisk on ${fmt(meta.lines)} lines, ${opts.runs} run(s) ...\n`);
const runs = [];
for (let i = 0; i < opts.runs; i++) runs.push(await runSipwarden(log));
const seconds = median(runs.map((r) => r.seconds));
const bestSeconds = Math.min(...runs.map((r) => r.seconds));
const peakRssMb = Math.max(...runs.map((r) => r.peakRssMb));
const summary = runs[0].summary;
if (summary.lines !== null && summary.lines !== meta.lines) {
  process.stderr.write(`bench/parse: replay read ${summary.lines} lines, the file has ${meta.lines}\n`);
}
const linesPerSecond = meta.lines / seconds;
const linesPerSecondExcludingStartup = seconds > startupSeconds ? meta.lines / (seconds - startupSeconds) : null;
const sipwarden = {
  command: `node dist/cli/main.js replay --format asterisk ${relative(ROOT, log)}`,
  runs: runs.map((r) => ({ seconds: r.seconds, inProcessSeconds: r.inProcessSeconds, cpuSeconds: r.cpuSeconds, peakRssMb: r.peakRssMb })),
  seconds,
  linesPerSecond,
  bestSeconds,
  bestLinesPerSecond: meta.lines / bestSeconds,
  startupSeconds,
  linesPerSecondExcludingStartup,
  peakRssMb,
  ...summary,
};
const machineAfter = machineCheckMs();
const fail2ban = await runFail2ban(log, meta.lines, runs[0]);
const pass = { linesPerSecond: linesPerSecond >= TARGET.linesPerSecond, peakRssMb: peakRssMb < TARGET.peakRssMb };

const report = {
  benchmark: 'parse',
  format: 'asterisk',
  date: new Date().toISOString(),
  host: {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    platform: `${process.platform}-${process.arch}`,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg(),
    machineCheckMs: { before: machineBefore, after: machineAfter },
  },
  log: { file: relative(ROOT, log), lines: meta.lines, bytes: meta.bytes, seed: meta.seed, generator: meta.summary },
  targets: TARGET,
  pass,
  sipwarden,
  fail2ban,
  /** sipwarden lines/s (whole file) over fail2ban-regex lines/s (its run). */
  ratio: fail2ban.available ? linesPerSecond / fail2ban.linesPerSecond : null,
  /** The same, both timed on exactly the lines fail2ban-regex read. */
  ratioSameLines: fail2ban.available ? fail2ban.sipwardenOnSameLines.linesPerSecond / fail2ban.linesPerSecond : null,
};
writeFileSync(join(OUT, 'parse.json'), `${JSON.stringify(report, null, 2)}\n`);

// Table
const mark = (ok) => (ok ? 'ok' : 'MISSED');
const rows = [
  ['', 'lines', 'seconds', 'lines/s', 'peak RSS MB', 'matched', 'events', 'decisions'],
  [
    'sipwarden replay',
    fmt(meta.lines),
    fmt(seconds, 2),
    fmt(linesPerSecond),
    fmt(peakRssMb, 1),
    fmt(summary.matched),
    fmt(summary.events),
    fmt(summary.decisions),
  ],
  ['  target', '', '', `>= ${fmt(TARGET.linesPerSecond)}`, `< ${TARGET.peakRssMb}`, '', '', ''],
  ['  result', '', '', mark(pass.linesPerSecond), mark(pass.peakRssMb), '', '', ''],
];
if (fail2ban.available) {
  const same = fail2ban.sipwardenOnSameLines;
  rows.push([
    'fail2ban-regex',
    fmt(fail2ban.lines),
    fmt(fail2ban.seconds, 2),
    fmt(fail2ban.linesPerSecond),
    fmt(fail2ban.peakRssMb, 1),
    fmt(fail2ban.matched),
    '',
    '',
  ]);
  if (fail2ban.lines !== meta.lines) {
    rows.push([
      'sipwarden, same lines',
      fmt(fail2ban.lines),
      fmt(same.seconds, 2),
      fmt(same.linesPerSecond),
      '',
      fmt(same.matched),
      fmt(same.events),
      fmt(same.decisions),
    ]);
  }
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
process.stdout.write('\n');
process.stdout.write(
  `parse benchmark: ${relative(ROOT, log)} (${fmt(meta.lines)} lines, ${fmt(meta.bytes / 1048576, 1)} MiB); ` +
    `${process.version}, ${report.host.cpu} x${report.host.cpus}; median of ${opts.runs} run(s), wall time incl. start-up\n\n`,
);
for (const r of rows) process.stdout.write(`${line(r)}\n`);
process.stdout.write('\n');
process.stdout.write(
  `best run: ${fmt(bestSeconds, 2)} s = ${fmt(meta.lines / bestSeconds)} lines/s; ` +
    `start-up (empty log): ${fmt(startupSeconds, 2)} s; throughput after start-up: ${fmt(linesPerSecondExcludingStartup)} lines/s; ` +
    `CPU ${fmt(median(runs.map((r) => r.cpuSeconds)), 2)} s; load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`,
);
process.stdout.write(
  `machine check (a fixed regular-expression scan, lower is faster; compare runs with it): ${fmt(machineBefore, 1)} ms before, ${fmt(machineAfter, 1)} ms after\n`,
);
if (Math.max(loadBefore[0], loadavg()[0]) > cpus().length / 2) {
  process.stdout.write(
    `warning: the machine was busy (load average ${loadavg()[0].toFixed(2)} on ${cpus().length} CPUs); wall-clock figures are pessimistic\n`,
  );
}
if (fail2ban.available) {
  process.stdout.write(
    `sipwarden replay is ${fmt(report.ratio, 1)}x fail2ban-regex ${fail2ban.version.replace(/^fail2ban-regex\s*/, '')} with ${fail2ban.filter} ` +
      `(${fmt(linesPerSecond)} vs ${fmt(fail2ban.linesPerSecond)} lines/s` +
      `${fail2ban.lines !== meta.lines ? `; fail2ban timed on the first ${fmt(fail2ban.lines)} lines, ${fmt(report.ratioSameLines, 1)}x on those same lines` : ''})\n`,
  );
} else {
  process.stdout.write(`fail2ban comparison: ${fail2ban.reason}\n`);
}
process.stdout.write(`figures written to ${relative(ROOT, join(OUT, 'parse.json'))}\n`);
if (opts.check && !(pass.linesPerSecond && pass.peakRssMb)) process.exitCode = 1;

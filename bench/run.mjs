// `npm run bench`: every benchmark in turn, then one table, written to bench/results.json too.
// The kernel benchmarks need root (network namespaces); they are skipped, and said so, without it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const root = process.getuid?.() === 0;
const steps = [
  { name: 'parse', script: 'parse.mjs', args: ['--runs', '3'], kernel: false },
  { name: 'enforce', script: 'enforce.mjs', args: [], kernel: true },
  { name: 'latency', script: 'latency.mjs', args: ['1000'], kernel: true },
  { name: 'memory', script: 'memory.mjs', args: ['1000000'], kernel: true },
  { name: 'journal', script: 'journal.mjs', args: [], kernel: false },
  { name: 'report', script: 'report.mjs', args: [], kernel: false },
  { name: 'limiter', script: 'limiter.mjs', args: ['10'], kernel: true },
];

const results = {};
for (const step of steps) {
  if (step.kernel && !root) {
    console.log(`\n== ${step.name}: skipped (needs root for network namespaces)`);
    continue;
  }
  console.log(`\n== ${step.name}`);
  const run = spawnSync(process.execPath, [new URL(step.script, import.meta.url).pathname, ...step.args], { stdio: 'inherit' });
  const file = new URL(`./out/${step.name}.json`, import.meta.url);
  results[step.name] = run.status === 0 && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { error: `exit ${run.status}` };
}

const pick = (name, f) => {
  try {
    return results[name] === undefined || results[name].error !== undefined ? '-' : f(results[name]);
  } catch {
    return '?';
  }
};
const rows = [
  [
    'replay parse throughput',
    pick('parse', (r) => `${Math.round(r.sipwarden.linesPerSecond).toLocaleString('en')} lines/s, peak ${Math.round(r.sipwarden.peakRssMb)} MB`),
    '>= 1,000,000 lines/s, < 200 MB',
  ],
  [
    '100,000 blocks, one transaction',
    pick('enforce', (r) => `${r.batch.seconds.toFixed(2)} s (nft ${r.batch.nftCpu.toFixed(2)} s CPU), ${r.ratioPerAddress}x per address`),
    '< 1 s; >= 100x one process per address',
  ],
  ['reconcile of 100,000 elements', pick('enforce', (r) => `${r.reconcile.seconds.toFixed(2)} s (nft ${r.reconcile.nftCpu.toFixed(2)} s CPU)`), '< 2 s'],
  ['detection -> kernel latency', pick('latency', (r) => `p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms`), 'p99 < 50 ms'],
  ['daemon RSS, 1M addresses', pick('memory', (r) => `${Math.round(r.rssMb)} MB (peak ${Math.round(r.peakRssMb)} MB)`), '< 300 MB'],
  [
    'journal query, 1M entries',
    pick('journal', (r) => `${Math.max(...r.queries.map((q) => q.warmMs)).toFixed(0)} ms worst warm, ${r.coldOpenAndQueryMs.toFixed(0)} ms cold`),
    '< 300 ms',
  ],
  ['report, 1M entries', pick('report', (r) => `${r.inProcess.medianSeconds.toFixed(2)} s in process, ${r.cli.medianSeconds.toFixed(2)} s CLI`), '< 2 s'],
  ['INVITE flood, 10 s', pick('limiter', (r) => `${r.offered} offered, ${r.passed} passed, daemon CPU ${r.daemonCpuPercent.toFixed(1)} %`), 'daemon CPU < 5 %'],
];
const width = Math.max(...rows.map((r) => r[0].length));
console.log('\nbenchmark'.padEnd(width + 3) + 'measured'.padEnd(58) + 'target');
for (const [name, value, target] of rows) console.log(`${name.padEnd(width + 2)}${String(value).padEnd(58)}${target}`);
const machine = results.parse?.host?.machineCheckMs;
if (machine !== undefined)
  console.log(`machine check around the parse runs: ${machine.before} ms before, ${machine.after} ms after (bench/lib/machine-check.mjs; lower is faster)`);
console.log(
  `load average at the end: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${os.cpus().length} cores (wall times are pessimistic as it nears the core count)`,
);
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`);

#!/usr/bin/env node
// CPU profile of `sipwarden replay --format asterisk` over the parse benchmark's log, summarised.
//
//   node bench/profile-parse.mjs [--lines N] [--top K] [LOG]
//
// Runs the replay under `node --cpu-prof` (profile kept in bench/out/profile/) and prints the
// functions with the most self time and the most inclusive time. Run bench/parse.mjs first, or
// name a log file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out');
const PROFILE_DIR = join(OUT, 'profile');

let lines = 1_000_000;
let top = 25;
let log = null;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--lines') lines = Number(argv[++i]);
  else if (argv[i] === '--top') top = Number(argv[++i]);
  else log = argv[i];
}
log ??= join(OUT, `asterisk-${lines}.log`);
if (!existsSync(log)) {
  process.stderr.write(`bench/profile-parse: ${relative(ROOT, log)} is missing; run node bench/parse.mjs first\n`);
  process.exit(2);
}

rmSync(PROFILE_DIR, { recursive: true, force: true });
mkdirSync(PROFILE_DIR, { recursive: true });
const result = spawnSync(
  process.execPath,
  ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, join(ROOT, 'dist', 'cli', 'main.js'), 'replay', '--format', 'asterisk', log],
  { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
);
if (result.status !== 0) process.exit(result.status ?? 1);
const file = readdirSync(PROFILE_DIR).find((f) => f.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(join(PROFILE_DIR, file), 'utf8'));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const where = (n) => {
  const f = n.callFrame;
  const url = f.url.replace(/^file:\/\//, '').replace(ROOT, '');
  const name = f.functionName === '' ? '(anonymous)' : f.functionName;
  const short = name.length > 90 ? `${name.slice(0, 87)}...` : name;
  return url === '' ? short : `${short}  ${url}:${f.lineNumber + 1}`;
};
const timeById = new Map();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  timeById.set(profile.samples[i], (timeById.get(profile.samples[i]) ?? 0) + dt);
  total += dt;
}
const self = new Map();
const inclusive = new Map();
for (const [id, t] of timeById) {
  const key = where(byId.get(id));
  self.set(key, (self.get(key) ?? 0) + t);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = where(byId.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + t);
  }
}
const show = (title, map, skip) => {
  process.stdout.write(`\n${title}\n`);
  const rows = [...map]
    .filter(([k]) => !skip(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  for (const [k, t] of rows) process.stdout.write(`${(t / 1000).toFixed(0).padStart(7)} ms ${((100 * t) / total).toFixed(1).padStart(5)} %  ${k}\n`);
};
process.stdout.write(
  `${relative(ROOT, log)} (${(statSync(log).size / 1048576).toFixed(1)} MiB): ${(total / 1000).toFixed(0)} ms sampled; profile in ${relative(ROOT, join(PROFILE_DIR, file))}\n`,
);
show('self time', self, () => false);
// Framework frames (module loader, yargs) wrap everything: leave them out of the inclusive list.
show('inclusive time (sipwarden and its libraries)', inclusive, (k) => !/ {2}(dist|node_modules\/ipaddr\.js)\//.test(k) || /cli\/main\.js/.test(k));

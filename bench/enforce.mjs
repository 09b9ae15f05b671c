// Enforcement benchmark, in a throwaway network namespace (needs root and nft):
// 100,000 dynamic blocks (half IPv4 hosts, half IPv6 /64s) in one `nft -f -` transaction, then reconcile
// of that table, against 1,000 blocks applied one `nft` process per address (the way fail2ban's nftables
// action works). Prints seconds and the per-address ratio, and writes them to bench/out/enforce.json (read by
// bench/run.mjs). Run after `npm run build`.
//
// Each phase reports wall time, this process's CPU time (user + sys: working out elements, diffs and
// scripts, parsing listings) and its children's CPU time (the nft processes), plus the wall time spent
// waiting for nft (wall minus that wait is JavaScript that did not overlap nft). The machine may be
// shared: CPU times say more than wall time when it is loaded. HALF and SINGLE change the sizes.
// Last, 1,000 of the /64 blocks are extended (as a new strike does): nft 1.0.6 deletes from an
// interval set in time proportional to its size, so that takes a rewrite of the set, not 1,000 deletes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { NftablesBackend } from '../dist/act/enforcer/nftables.js';
import { enforcerSettings, EMPTY_STATE } from '../dist/act/enforcer/backend.js';
import { execaRunner } from '../dist/act/enforcer/run.js';
import { defaultConfig } from '../dist/config/defaults.js';

const NS = `swbench-${process.pid}`;
const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] });
const round = (s) => Number(s.toFixed(3));

/** CPU seconds (user + sys) of the children this process has waited for: the nft processes. */
function childCpu() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After `pid (comm) `: state is field 3, so cutime and cstime (fields 16 and 17) are at 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** Wall time spent with at least one nft command running (list commands run side by side). */
let waiting = 0;
let running = 0;
let since = 0n;
const timedRunner = async (file, args, input) => {
  if (running++ === 0) since = process.hrtime.bigint();
  try {
    return await execaRunner(file, args, input);
  } finally {
    if (--running === 0) waiting += Number(process.hrtime.bigint() - since) / 1e9;
  }
};

/** Runs one phase and reports wall, own CPU, children's CPU and the wait for nft, in seconds. */
async function phase(name, work) {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const children = childCpu();
  waiting = 0;
  const value = await work();
  const used = process.cpuUsage(cpu);
  const figures = {
    seconds: round(Number(process.hrtime.bigint() - wall) / 1e9),
    cpu: round((used.user + used.system) / 1e6),
    nftCpu: round(childCpu() - children),
    nftWait: round(waiting),
  };
  process.stderr.write(`${name}: ${JSON.stringify(figures)}\n`);
  return { value, figures };
}

ip('netns', 'add', NS);
process.on('SIGTERM', () => {
  ip('netns', 'del', NS);
  process.exit(143);
});
try {
  const config = defaultConfig();
  config.invite.rateLimit.enabled = true;
  const backend = () => new NftablesBackend({ settings: enforcerSettings(config), netns: NS, runner: timedRunner });
  const nft = backend();
  const now = Date.now();
  await nft.reconcile(EMPTY_STATE, now);
  // One process per address, as fail2ban does it (into the still empty table: the kindest case for it,
  // since each nft process first reads the table, which gets slower as the table grows).
  const single = Number(process.env.SINGLE ?? 1000);
  const perProcess = await phase('one process per address', async () => {
    for (let i = 0; i < single; i++) {
      execFileSync('ip', ['netns', 'exec', NS, 'nft', 'add', 'element', 'inet', 'sipwarden', 'block4', `{ 172.16.${i >> 8}.${i & 255} timeout 3600s }`]);
    }
  });
  await nft.reconcile(EMPTY_STATE, Date.now());

  // Blocks decided just now, as the daemon applies them: each has the whole dynamic block time left, so
  // the set's own timeout serves and nft parses no per-element timeout.
  const decided = Date.now();
  const decisions = [];
  for (let i = 0; i < Number(process.env.HALF ?? 50_000); i++) {
    const common = { type: 'block', time: decided, attacker: 'bench', kind: 'register', until: decided + 3_600_000, reason: 'bench', strikes: 1 };
    decisions.push({ ...common, target: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` });
    decisions.push({ ...common, target: `2001:db8:${(i >> 16).toString(16)}:${(i & 65535).toString(16)}::/64` });
  }
  const batch = await phase(`one transaction of ${decisions.length}`, () => nft.apply(decisions, decided));
  const state = { allow: [], deny: [], dynamic: decisions.map((d) => ({ target: d.target, until: d.until })) };
  // A fresh process's reconcile: nothing known, the whole table listed and compared.
  const reconcile = await phase(`reconcile of ${decisions.length}`, () => backend().reconcile(state, Date.now()));
  const reconciled = reconcile.value;
  const extensions = decisions
    .filter((d) => d.target.includes('/'))
    .slice(0, 1000)
    .map((d) => ({ ...d, until: d.until + 3_600_000 }));
  const extend = await phase(`extend ${extensions.length} /64 blocks`, () => nft.apply(extensions, Date.now()));
  const perBatch = batch.figures.seconds / decisions.length;
  const perSingle = perProcess.figures.seconds / single;
  const result = {
    batch: { blocks: decisions.length, transactions: batch.value.transactions, ...batch.figures },
    reconcile: { elements: decisions.length, changed: reconciled.added + reconciled.removed + reconciled.refreshed, ...reconcile.figures },
    perProcess: { blocks: single, ...perProcess.figures },
    extend: { blocks: extensions.length, refreshed: extend.value.refreshed, ...extend.figures },
    ratioPerAddress: Math.round(perSingle / perBatch),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  mkdirSync(new URL('./out/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./out/enforce.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  ip('netns', 'del', NS);
}

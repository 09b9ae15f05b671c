// Enforcement benchmark, in a throwaway network namespace (needs root and nft):
// 100,000 dynamic blocks (half IPv4 hosts, half IPv6 /64s) in one `nft -f -` transaction, then reconcile
// of that table, against 1,000 blocks applied one `nft` process per address (the way fail2ban's nftables
// action works). Prints seconds and the per-address ratio. Run after `npm run build`.
import { execFileSync } from 'node:child_process';
import { NftablesBackend } from '../dist/act/enforcer/nftables.js';
import { enforcerSettings, EMPTY_STATE } from '../dist/act/enforcer/backend.js';
import { defaultConfig } from '../dist/config/defaults.js';

const NS = `swbench-${process.pid}`;
const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] });
const seconds = (from) => (Number(process.hrtime.bigint() - from) / 1e9);

ip('netns', 'add', NS);
process.on('SIGTERM', () => {
  ip('netns', 'del', NS);
  process.exit(143);
});
try {
  const config = defaultConfig();
  config.invite.rateLimit.enabled = true;
  const nft = new NftablesBackend({ settings: enforcerSettings(config), netns: NS });
  const now = Date.now();
  await nft.reconcile(EMPTY_STATE, now);
  const decisions = [];
  for (let i = 0; i < Number(process.env.HALF ?? 50_000); i++) {
    const common = { type: 'block', time: now, attacker: 'bench', kind: 'register', until: now + 3_600_000, reason: 'bench', strikes: 1 };
    decisions.push({ ...common, target: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` });
    decisions.push({ ...common, target: `2001:db8:${(i >> 16).toString(16)}:${(i & 65535).toString(16)}::/64` });
  }
  // One process per address, as fail2ban does it (into the still empty table: the kindest case for it,
  // since each nft process first reads the table, which gets slower as the table grows).
  const single = Number(process.env.SINGLE ?? 1000);
  let start = process.hrtime.bigint();
  for (let i = 0; i < single; i++) {
    execFileSync('ip', ['netns', 'exec', NS, 'nft', 'add', 'element', 'inet', 'sipwarden', 'block4', `{ 172.16.${i >> 8}.${i & 255} timeout 3600s }`]);
  }
  const singleS = seconds(start);
  process.stderr.write(`one process per address: ${single} in ${singleS.toFixed(2)} s\n`);
  await nft.reconcile(EMPTY_STATE, Date.now());

  start = process.hrtime.bigint();
  const applied = await nft.apply(decisions, now);
  const batchS = seconds(start);
  process.stderr.write(`one transaction: ${decisions.length} in ${batchS.toFixed(2)} s\n`);
  start = process.hrtime.bigint();
  const fresh = new NftablesBackend({ settings: enforcerSettings(config), netns: NS });
  const reconciled = await fresh.reconcile({ allow: [], deny: [], dynamic: decisions.map((d) => ({ target: d.target, until: d.until })) }, Date.now());
  const reconcileS = seconds(start);
  const perBatch = batchS / decisions.length;
  const perSingle = singleS / single;
  const result = {
    batch: { blocks: decisions.length, transactions: applied.transactions, seconds: Number(batchS.toFixed(3)) },
    reconcile: { elements: decisions.length, changed: reconciled.added + reconciled.removed + reconciled.refreshed, seconds: Number(reconcileS.toFixed(3)) },
    perProcess: { blocks: single, seconds: Number(singleS.toFixed(3)) },
    ratioPerAddress: Math.round(perSingle / perBatch),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  ip('netns', 'del', NS);
}

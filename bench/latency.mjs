// Detection-to-kernel latency: the daemon tails a log in a namespace; for each of 1,000 addresses a
// burst of failed REGISTER lines is appended, and `nft monitor` reports when the address enters the
// kernel set. Prints p50/p99 (target p99 < 50 ms); writes bench/out/latency.json.
// `--held N` first has the daemon block N other attackers (half IPv4, half IPv6 /64s), to measure
// with a large table: every nft transaction used to read every blocked /64 first.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createSandbox, destroySandbox, startDaemon, registerFailures, percentile } from './lib/sandbox.mjs';

const COUNT = Number(process.argv[2] ?? 1000);
const heldAt = process.argv.indexOf('--held');
const HELD = heldAt > 0 ? Number(process.argv[heldAt + 1]) : 0;

/** Elements of the daemon's block sets, listed. */
function blockedCount(pbx) {
  let total = 0;
  for (const set of ['block4', 'blockprefix6']) {
    const out = execFileSync('ip', ['netns', 'exec', pbx, 'nft', '-j', 'list', 'set', 'inet', 'sipwarden', set], { maxBuffer: 1 << 30 }).toString();
    total += (out.match(/"elem": \{/g) ?? []).length;
  }
  return total;
}

/** Has the daemon block `count` attackers from log lines, and waits until the kernel holds them. */
async function preload(daemon, pbx, count) {
  const started = performance.now();
  let text = '';
  for (let i = 0; i < count; i++) {
    text += i % 2 === 0 ? registerFailures(`10.8.${(i >> 9) & 255}.${(i >> 1) & 255}`, 11) : registerFailures(`[2001:db8:8:${(i >> 1).toString(16)}::1]`, 11);
    if (text.length > 1 << 22) {
      appendFileSync(daemon.log, text);
      text = '';
    }
  }
  appendFileSync(daemon.log, text);
  while (blockedCount(pbx) < count) {
    if (performance.now() - started > 600_000) throw new Error(`preload of ${count} blocks did not finish`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  console.log(`${count} attackers blocked first, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
const sandbox = createSandbox('lat');
let daemon = null;
let monitor = null;
try {
  daemon = await startDaemon(sandbox, { register: { maxFailures: 10 } });
  monitor = spawn('ip', ['netns', 'exec', sandbox.pbx, 'nft', 'monitor', 'new', 'elements'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const seen = new Map();
  let buffer = '';
  monitor.stdout.on('data', (chunk) => {
    const at = performance.now();
    buffer += chunk.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      for (const m of line.matchAll(/10\.9\.\d+\.\d+/g)) if (!seen.has(m[0])) seen.set(m[0], at);
    }
  });
  if (HELD > 0) await preload(daemon, sandbox.pbx, HELD);
  await new Promise((r) => setTimeout(r, 500));
  const latencies = [];
  for (let i = 0; i < COUNT; i++) {
    const address = `10.9.${i >> 8}.${i & 255}`;
    const t0 = performance.now();
    appendFileSync(daemon.log, registerFailures(address, 11));
    const deadline = t0 + 5000;
    while (!seen.has(address) && performance.now() < deadline) await new Promise((r) => setImmediate(r));
    latencies.push(seen.has(address) ? seen.get(address) - t0 : NaN);
  }
  const ok = latencies.filter((v) => !Number.isNaN(v));
  const result = {
    benchmark: 'latency',
    addresses: COUNT,
    heldBefore: HELD,
    blocked: ok.length,
    p50Ms: percentile(ok, 50),
    p99Ms: percentile(ok, 99),
    maxMs: Math.max(...ok),
    targetP99Ms: 50,
  };
  console.log(
    `detection-to-kernel latency over ${COUNT} addresses${HELD > 0 ? ` with ${HELD} blocks held` : ''}: p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, max ${result.maxMs.toFixed(1)} ms (${ok.length} blocked; target p99 < 50 ms)`,
  );
  mkdirSync(new URL('./out/', import.meta.url), { recursive: true });
  writeFileSync(new URL(HELD > 0 ? './out/latency-held.json' : './out/latency.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  monitor?.kill();
  await daemon?.stop();
  destroySandbox(sandbox);
}

// Detection-to-kernel latency: the daemon tails a log in a namespace; for each of 1,000 addresses a
// burst of failed REGISTER lines is appended, and `nft monitor` reports when the address enters the
// kernel set. Prints p50/p99 (target p99 < 50 ms); writes bench/out/latency.json.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createSandbox, destroySandbox, startDaemon, registerFailures, percentile } from './lib/sandbox.mjs';

const COUNT = Number(process.argv[2] ?? 1000);
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
    blocked: ok.length,
    p50Ms: percentile(ok, 50),
    p99Ms: percentile(ok, 99),
    maxMs: Math.max(...ok),
    targetP99Ms: 50,
  };
  console.log(`detection-to-kernel latency over ${COUNT} addresses: p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, max ${result.maxMs.toFixed(1)} ms (${ok.length} blocked; target p99 < 50 ms)`);
  mkdirSync(new URL('./out/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./out/latency.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  monitor?.kill();
  await daemon?.stop();
  destroySandbox(sandbox);
}

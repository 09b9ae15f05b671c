// Memory: RSS of the real daemon tracking 1,000,000 distinct attacker addresses (one failed
// REGISTER each, within its one-minute window), in a namespace. Target < 300 MB; writes
// bench/out/memory.json.
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { CLI, createSandbox, destroySandbox, startDaemon, PBX4 } from './lib/sandbox.mjs';

const COUNT = Number(process.argv[2] ?? 1_000_000);
const sandbox = createSandbox('mem');
let daemon = null;
try {
  daemon = await startDaemon(sandbox, { register: { maxFailures: 10 } });
  const before = daemon.usage();
  const stamp = new Date().toISOString().replace('T', ' ').slice(0, 19);
  const started = performance.now();
  for (let base = 0; base < COUNT; base += 50_000) {
    let text = '';
    for (let i = base; i < Math.min(COUNT, base + 50_000); i++) {
      // Half IPv4 hosts, half IPv6 addresses in distinct /64s.
      const address =
        i % 2 === 0 ? `100.${64 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}` : `[2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1]`;
      text += `[${stamp}] NOTICE[2417] chan_sip.c: Registration from '<sip:100@${PBX4}>' failed for '${address}:5060' - Wrong password\n`;
    }
    appendFileSync(daemon.log, text);
  }
  // Done when the daemon's saved read position reaches the end of the log (read from its state
  // file: asking the daemon would cost it work and skew the figure).
  const size = statSync(daemon.log).size;
  for (;;) {
    let offset = 0;
    try {
      offset = JSON.parse(readFileSync(`${daemon.dir}/state/state.json`, 'utf8')).positions?.[daemon.log]?.offset ?? 0;
    } catch {
      // not written yet
    }
    if (offset >= size || performance.now() - started > 300_000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  // The daemon gives memory back once a burst is over (src/daemon/idle-gc.ts): wait for that.
  await new Promise((r) => setTimeout(r, 4000));
  const after = daemon.usage();
  const status = JSON.parse(
    execFileSync('ip', ['netns', 'exec', sandbox.pbx, process.execPath, CLI, '--config', `${daemon.dir}/sipwarden.yml`, 'status', '--json']).toString(),
  );
  const events = status.sources?.[0]?.events ?? 0;
  const result = {
    benchmark: 'memory',
    addresses: COUNT,
    eventsProcessed: events,
    seconds,
    rssBeforeMb: before.rssMb,
    rssMb: after.rssMb,
    peakRssMb: after.hwmMb,
    targetMb: 300,
  };
  console.log(
    `daemon tracking ${events} distinct addresses: RSS ${after.rssMb.toFixed(0)} MB (peak ${after.hwmMb.toFixed(0)} MB, idle ${before.rssMb.toFixed(0)} MB; target < 300 MB); ingested in ${seconds.toFixed(1)} s`,
  );
  mkdirSync(new URL('./out/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./out/memory.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await daemon?.stop();
  destroySandbox(sandbox);
}

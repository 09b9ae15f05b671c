// Kernel limiter under a flood: an INVITE flood at the highest rate one sender reaches, for 10 s,
// from the attacker namespace to a listener in the PBX namespace, with the daemon running there.
// Prints packets offered and passed, and the daemon's CPU time during the flood (the kernel does
// the work; target < 5 % of one core). Writes bench/out/limiter.json.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createSandbox, destroySandbox, startDaemon, PEER, PBX4, ATTACKER4 } from './lib/sandbox.mjs';

const SECONDS = Number(process.argv[2] ?? 10);
const sandbox = createSandbox('lim');
let daemon = null;
let listener = null;
try {
  daemon = await startDaemon(sandbox, { invite: { rateLimit: { enabled: true, value: 20, unit: 'minute', burst: 10 } } });
  listener = spawn('ip', ['netns', 'exec', sandbox.pbx, process.execPath, PEER, 'listen', '5060'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  listener.stdout.on('data', (d) => (out += d.toString()));
  while (!out.includes('ready')) await new Promise((r) => setTimeout(r, 20));
  const before = daemon.usage();
  const started = performance.now();
  // The peer sends back to back; several rounds fill the time.
  let offered = 0;
  while (performance.now() - started < SECONDS * 1000) {
    const sender = spawn('ip', ['netns', 'exec', sandbox.attacker, process.execPath, PEER, 'send', 'udp', ATTACKER4, PBX4, '5060', 'INVITE', '20000', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    sender.stdout.on('data', (d) => (text += d.toString()));
    await new Promise((r) => sender.once('exit', r));
    offered += JSON.parse(text.trim().split('\n').pop() ?? '{}').sent ?? 0;
  }
  const elapsed = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 300));
  const after = daemon.usage();
  listener.kill('SIGTERM');
  await new Promise((r) => listener.once('exit', r));
  const counts = JSON.parse(out.trim().split('\n').pop());
  const cpu = after.cpuSeconds - before.cpuSeconds;
  const result = {
    benchmark: 'limiter',
    seconds: elapsed,
    offered,
    offeredPerSecond: offered / elapsed,
    passed: counts.total,
    expectedPassed: 10 + Math.floor(elapsed / 3),
    daemonCpuSeconds: cpu,
    daemonCpuPercent: (100 * cpu) / elapsed,
    targetCpuPercent: 5,
  };
  console.log(
    `limiter: ${offered} INVITEs offered in ${elapsed.toFixed(1)} s (${Math.round(result.offeredPerSecond)}/s), ${counts.total} passed (model: ${result.expectedPassed}); daemon CPU ${cpu.toFixed(2)} s = ${result.daemonCpuPercent.toFixed(1)} % of a core (target < 5 %)`,
  );
  mkdirSync(new URL('./out/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./out/limiter.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  listener?.kill();
  await daemon?.stop();
  destroySandbox(sandbox);
}

// Benchmarks' own throwaway namespaces (a PBX and an attacker joined by veth) and a daemon in them.
// Nothing here touches the root namespace's firewall; every namespace made is removed.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const PEER = fileURLToPath(new URL('../../test/e2e/helpers/sip-peer.mjs', import.meta.url));
export const PBX4 = '198.51.100.1';
export const ATTACKER4 = '198.51.100.2';

const run = (file, args) => execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

export function createSandbox(tag) {
  const id = `swbench-${tag}-${process.pid}`.slice(0, 24);
  const pbx = `${id}-p`;
  const attacker = `${id}-a`;
  const veth = `swb${process.pid % 100000}`;
  run('ip', ['netns', 'add', pbx]);
  run('ip', ['netns', 'add', attacker]);
  try {
    run('ip', ['link', 'add', `${veth}p`, 'netns', pbx, 'type', 'veth', 'peer', 'name', `${veth}a`, 'netns', attacker]);
    run('ip', ['-n', pbx, 'addr', 'add', `${PBX4}/24`, 'dev', `${veth}p`]);
    run('ip', ['-n', attacker, 'addr', 'add', `${ATTACKER4}/24`, 'dev', `${veth}a`]);
    for (const [ns, dev] of [
      [pbx, `${veth}p`],
      [attacker, `${veth}a`],
    ]) {
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (error) {
    destroySandbox({ pbx, attacker });
    throw error;
  }
  return { pbx, attacker };
}

export function destroySandbox(sandbox) {
  for (const ns of [sandbox.pbx, sandbox.attacker]) {
    try {
      run('ip', ['netns', 'del', ns]);
    } catch {
      // already gone
    }
  }
}

/** Starts the real daemon in the PBX namespace with `config` over a temp folder; resolves when ready. */
export async function startDaemon(sandbox, config) {
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-bench-'));
  const log = join(dir, 'messages');
  writeFileSync(log, '');
  const full = {
    stateDir: join(dir, 'state'),
    daemon: { socket: join(dir, 'sock'), reconcileInterval: '30s' },
    sources: [{ path: log, format: 'asterisk' }],
    ...config,
  };
  const configPath = join(dir, 'sipwarden.yml');
  writeFileSync(configPath, JSON.stringify(full));
  // BENCH_DAEMON_NODE_ARGS: extra node options for the daemon, e.g. --cpu-prof to profile it.
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn('ip', ['netns', 'exec', sandbox.pbx, process.execPath, ...nodeArgs, CLI, 'daemon', '--config', configPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d.toString()));
  const started = Date.now();
  while (!stderr.includes('sipwarden daemon started')) {
    if (child.exitCode !== null || Date.now() - started > 20_000) {
      // Nothing of a failed start is left behind: no daemon, no temp folder.
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`daemon did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = Number(/pid (\d+)/.exec(stderr)?.[1]);
  return {
    dir,
    log,
    pid,
    output: () => stderr,
    /** RSS and CPU seconds (user + system) of the daemon process, from /proc. */
    usage() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return {
        rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024,
        hwmMb: Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024,
        cpuSeconds: (Number(stat[11]) + Number(stat[12])) / 100,
      };
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function registerFailures(attacker, count, stamp = new Date()) {
  const time = stamp.toISOString().replace('T', ' ').slice(0, 19);
  let text = '';
  for (let i = 0; i < count; i++)
    text += `[${time}] NOTICE[2417] chan_sip.c: Registration from '<sip:${i}@${PBX4}>' failed for '${attacker}:5060' - Wrong password\n`;
  return text;
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// Runs the real sipwarden daemon as a process inside a test namespace, with a config of the test's own.
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI } from '../../helpers/cli.js';
import { Lab, removeLeftovers, sh, sleep } from './lab.js';

export interface DaemonHarness {
  dir: string;
  configPath: string;
  logPath: string;
  /** Everything the daemon wrote to stderr so far. */
  output(): string;
  start(): Promise<void>;
  /** Signals the daemon and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<number | undefined>;
  /** Runs a sipwarden command in the PBX namespace (never in the root namespace). */
  cli(args: readonly string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  writeConfig(config: Record<string, unknown>): void;
  cleanup(): Promise<void>;
}

/** Pids of a process's descendants, from the parent pids in /proc/PID/stat. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses; the last ")" ends it.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const found: number[] = [];
  const visit = (parent: number): void => {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

/** A daemon for `lab`'s PBX namespace; `config` is merged over paths in a fresh temp folder. */
export function daemonHarness(lab: Lab, config: Record<string, unknown>): DaemonHarness {
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-e2e-'));
  const configPath = join(dir, 'sipwarden.yml');
  const logPath = join(dir, 'messages');
  writeFileSync(logPath, '');
  let child: ResultPromise | null = null;
  let stderr = '';
  const harness: DaemonHarness = {
    dir,
    configPath,
    logPath,
    output: () => stderr,
    writeConfig(extra) {
      const base = {
        stateDir: join(dir, 'state'),
        daemon: { socket: join(dir, 'run', 'sipwarden.sock'), reconcileInterval: '2s' },
        sources: [{ path: logPath, format: 'asterisk' }],
      };
      writeFileSync(configPath, stringify({ ...base, ...extra }));
    },
    async start() {
      child = execa('ip', ['netns', 'exec', lab.pbx, process.execPath, CLI, 'daemon', '--config', configPath], { reject: false, env: { TZ: 'UTC' } });
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const started = Date.now();
      while (!stderr.includes('sipwarden daemon started')) {
        if (child.exitCode !== null || Date.now() - started > 20_000) throw new Error(`daemon did not start:\n${stderr}`);
        await sleep(50);
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child === null) return undefined;
      const running = child;
      child = null;
      // Its tcpdump (NFLOG evidence) would outlive a SIGKILLed daemon: it goes too.
      const helpers = running.pid === undefined ? [] : descendants(running.pid);
      running.kill(signal);
      const result = await running;
      for (const pid of helpers) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone with the daemon
        }
      }
      return result.exitCode;
    },
    async cli(args) {
      const result = await execa('ip', ['netns', 'exec', lab.pbx, process.execPath, CLI, '--config', configPath, ...args], {
        reject: false,
        env: { TZ: 'UTC' },
      });
      return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
    },
    async cleanup() {
      running.delete(harness);
      await harness.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  harness.writeConfig(config);
  running.add(harness);
  return harness;
}

/** Daemons started and not yet cleaned up. */
const running = new Set<DaemonHarness>();

/**
 * For a suite running the daemon in one lab: the lab is made before the suite (`made` receives it)
 * and removed after it, even when a test failed; after each test every daemon it started is
 * stopped and the sipwarden table deleted, so the next test starts clean.
 */
export function daemonLab(tag: string, made: (lab: Lab) => void): void {
  let lab: Lab | null = null;
  beforeAll(async () => {
    await removeLeftovers();
    lab = await Lab.create(tag);
    made(lab);
  });
  afterAll(async () => {
    await lab?.destroy();
  });
  afterEach(async () => {
    for (const harness of [...running]) await harness.cleanup();
    if (lab !== null) await execa('ip', ['netns', 'exec', lab.pbx, 'nft', 'delete', 'table', 'inet', 'sipwarden'], { reject: false });
  });
}

/** Elements of one sipwarden set in the PBX namespace (empty when the set or table is missing). */
export async function setElements(lab: Lab, set: string): Promise<string[]> {
  const result = await execa('ip', ['netns', 'exec', lab.pbx, 'nft', '-j', 'list', 'set', 'inet', 'sipwarden', set], { reject: false });
  if (result.exitCode !== 0) return [];
  const parsed = JSON.parse(String(result.stdout)) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
  const elems = parsed.nftables.find((e) => e.set !== undefined)?.set?.elem ?? [];
  return elems.map((e) => {
    if (typeof e === 'string') return e;
    const obj = e as { elem?: { val?: unknown }; prefix?: { addr: string; len: number } };
    const val = obj.elem?.val ?? obj;
    if (typeof val === 'string') return val;
    const prefix = (val as { prefix?: { addr: string; len: number } }).prefix;
    return prefix === undefined ? JSON.stringify(val) : `${prefix.addr}/${prefix.len}`;
  });
}

/** Polls until `check` holds or `timeoutMs` passes; returns how long it took. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Appends Asterisk chan_sip failed-REGISTER lines for `attacker`. */
export function appendFailedRegisters(logPath: string, attacker: string, count: number, tag = 'r'): void {
  const now = new Date();
  const stamp = now.toISOString().replace('T', ' ').slice(0, 19);
  let text = '';
  for (let i = 0; i < count; i++) {
    text += `[${stamp}] NOTICE[2417] chan_sip.c: Registration from '<sip:${tag}${i}@198.51.100.1>' failed for '${attacker}:5060' - Wrong password\n`;
  }
  appendFileSync(logPath, text);
}

export { sh };

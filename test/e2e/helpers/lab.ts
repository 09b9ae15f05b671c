// Throwaway network namespaces for kernel tests: a PBX and an attacker joined by a veth pair.
// Every firewall command runs inside a namespace (`ip netns exec`); the root namespace is never touched.
import { afterAll, beforeAll } from '@jest/globals';
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PEER = fileURLToPath(new URL('./sip-peer.mjs', import.meta.url));

/** Prefix of every namespace these tests create; leftovers with it are removed before a run. */
export const NETNS_PREFIX = 'swe2e-';

export const PBX4 = '198.51.100.1';
export const ATTACKER4 = '198.51.100.2';
export const OTHER4 = '198.51.100.3';
export const RANGE4_HOST = '203.0.113.5';
export const PBX6 = '2001:db8::1';
export const ATTACKER6 = '2001:db8::2';
export const RANGE6_HOST = '2001:db8:bad::5';

let serial = 0;

export interface Counts {
  methods: Record<string, number>;
  sources: Record<string, number>;
  total: number;
}

/** Runs a command, failing the test with its stderr when it fails. */
export async function sh(file: string, args: readonly string[], input?: string): Promise<string> {
  const result = await execa(file, [...args], { ...(input === undefined ? {} : { input }), reject: false });
  if (result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${String(result.exitCode)}: ${String(result.stderr)}`);
  return String(result.stdout);
}

/** Removes namespaces left by an earlier, interrupted run (its process gone); a running suite's stay. */
export async function removeLeftovers(): Promise<void> {
  const list = await sh('ip', ['netns', 'list']);
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const owner = /^swe2e-(\d+)-/.exec(name)?.[1];
    if (owner === undefined || existsSync(`/proc/${owner}`)) continue;
    await execa('ip', ['netns', 'del', name], { reject: false });
  }
}

export class Lab {
  readonly pbx: string;
  readonly attacker: string;
  private readonly names: string[];

  private constructor(tag: string) {
    const id = `${NETNS_PREFIX}${process.pid}-${++serial}-${tag}`.slice(0, 40);
    this.pbx = `${id}-p`;
    this.attacker = `${id}-a`;
    this.names = [this.pbx, this.attacker];
  }

  /** Two namespaces, a veth pair, IPv4 and IPv6 documentation addresses, routes for the test ranges. */
  static async create(tag: string): Promise<Lab> {
    const lab = new Lab(tag);
    const { pbx, attacker } = lab;
    const veth = `sw${process.pid % 100000}x${serial}`;
    try {
      await sh('ip', ['netns', 'add', pbx]);
      await sh('ip', ['netns', 'add', attacker]);
      await sh('ip', ['link', 'add', `${veth}p`, 'netns', pbx, 'type', 'veth', 'peer', 'name', `${veth}a`, 'netns', attacker]);
      const inPbx = (...a: string[]): Promise<string> => sh('ip', ['-n', pbx, ...a]);
      const inAtt = (...a: string[]): Promise<string> => sh('ip', ['-n', attacker, ...a]);
      await inPbx('addr', 'add', `${PBX4}/24`, 'dev', `${veth}p`);
      await inPbx('addr', 'add', `${PBX6}/64`, 'dev', `${veth}p`, 'nodad');
      for (const a of [`${ATTACKER4}/24`, `${OTHER4}/24`, `${RANGE4_HOST}/24`]) await inAtt('addr', 'add', a, 'dev', `${veth}a`);
      for (const a of [`${ATTACKER6}/64`, `${RANGE6_HOST}/48`]) await inAtt('addr', 'add', a, 'dev', `${veth}a`, 'nodad');
      await inPbx('link', 'set', `${veth}p`, 'up');
      await inAtt('link', 'set', `${veth}a`, 'up');
      await inPbx('link', 'set', 'lo', 'up');
      await inAtt('link', 'set', 'lo', 'up');
      await inPbx('route', 'add', '203.0.113.0/24', 'dev', `${veth}p`);
      await inPbx('-6', 'route', 'add', '2001:db8:bad::/48', 'dev', `${veth}p`);
      await inAtt('-6', 'route', 'add', `${PBX6}/128`, 'dev', `${veth}a`);
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  async destroy(): Promise<void> {
    for (const name of this.names) await execa('ip', ['netns', 'del', name], { reject: false });
  }

  /** Runs a command in the PBX namespace. */
  pbxRun(file: string, args: readonly string[], input?: string): Promise<string> {
    return sh('ip', ['netns', 'exec', this.pbx, file, ...args], input);
  }

  /** Starts a SIP listener on `port` in the PBX namespace; stop() returns what it received. */
  async listen(port = 5060, echo = false): Promise<{ stop(): Promise<Counts> }> {
    const child: ResultPromise = execa('ip', ['netns', 'exec', this.pbx, process.execPath, PEER, 'listen', String(port), ...(echo ? ['echo'] : [])], {
      reject: false,
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', () => reject(new Error('listener exited early')));
    });
    return {
      async stop(): Promise<Counts> {
        await new Promise((r) => setTimeout(r, 150));
        child.kill('SIGTERM');
        const result = await child;
        const lines = String(result.stdout).trim().split('\n');
        return JSON.parse(lines[lines.length - 1] ?? '{}') as Counts;
      },
    };
  }

  /** Sends `count` SIP requests from `from` (an attacker address) to `to`. */
  async send(options: {
    proto?: 'udp' | 'tcp';
    from: string;
    to: string;
    method?: string;
    count: number;
    gapMs?: number;
    port?: number;
    userAgent?: string;
  }): Promise<void> {
    const { proto = 'udp', from, to, method = 'INVITE', count, gapMs = 0, port = 5060 } = options;
    const argv = [
      'netns',
      'exec',
      this.attacker,
      'env',
      `SIP_UA=${options.userAgent ?? ''}`,
      process.execPath,
      PEER,
      'send',
      proto,
      from,
      to,
      String(port),
      method,
      String(count),
      String(gapMs),
    ];
    await sh('ip', argv);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * For a suite that makes a lab per test: leftovers of an interrupted run are removed before it, and
 * every lab it made is removed after it, even when a test failed. Returns the lab maker.
 */
export function labsPerTest(): (tag: string) => Promise<Lab> {
  const labs: Lab[] = [];
  beforeAll(async () => {
    await removeLeftovers();
  });
  afterAll(async () => {
    for (const l of labs) await l.destroy();
  });
  return async (tag) => {
    const created = await Lab.create(tag);
    labs.push(created);
    return created;
  };
}

// Packet evidence over NFLOG: the daemon (nft backend, kernel.evidence nflog) reads the packets the
// kernel hands it through tcpdump, learns User-Agents and victims, and blocks scanners.
import { describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { type Lab, ATTACKER4, OTHER4, PBX4, RANGE6_HOST, PBX6 } from './helpers/lab.js';
import { daemonHarness, daemonLab, setElements, waitFor, type DaemonHarness } from './helpers/daemon.js';

let lab: Lab;
let harness: DaemonHarness | null = null;
const PEER = fileURLToPath(new URL('./helpers/sip-peer.mjs', import.meta.url));

/** Sends SIP requests from the attacker namespace with a User-Agent header. */
async function send(userAgent: string, from: string, to: string, method: string, count: number): Promise<void> {
  const result = await execa('ip', ['netns', 'exec', lab.attacker, process.execPath, PEER, 'send', 'udp', from, to, '5060', method, String(count), '0'], {
    env: { SIP_UA: userAgent },
    reject: false,
  });
  if (result.exitCode !== 0) throw new Error(`sip-peer: ${String(result.stderr)}`);
}

daemonLab('nflog', (made) => (lab = made));

interface LogEntry {
  attacker: string;
  victim: string;
  kind: string;
  userAgent: string | null;
  source: string;
}

async function entries(h: DaemonHarness, kind: string): Promise<LogEntry[]> {
  const result = await h.cli(['logs', '--kind', kind, '--json', '--per-page', '100']);
  return (JSON.parse(result.stdout) as { entries: LogEntry[] }).entries;
}

describe('NFLOG packet evidence', () => {
  test('a blocked User-Agent seen in a first request blocks its source (IPv4 and IPv6)', async () => {
    harness = daemonHarness(lab, { kernel: { evidence: 'nflog', nflogGroup: 5061 }, sources: [] });
    await harness.start();
    // tcpdump needs a moment to bind the group.
    await new Promise((r) => setTimeout(r, 500));
    const sent = Date.now();
    await send('friendly-scanner 1.0', ATTACKER4, PBX4, 'OPTIONS', 1);
    await waitFor('the scanner in block4', async () => (await setElements(lab, 'block4')).includes(ATTACKER4), 3000);
    const latency = Date.now() - sent;
    // Packet (kernel timestamp) -> decision, from the journal and the block list.
    const [scan] = await entries(harness, 'scanner');
    const blocks = JSON.parse((await harness.cli(['list', 'dynamic', '--json'])).stdout) as Array<{ target: string; since: number }>;
    const decidedAfter = (blocks.find((b) => b.target === ATTACKER4)?.since ?? 0) - Date.parse(String((scan as unknown as { time: string }).time));
    process.stdout.write(`NFLOG User-Agent: packet -> decision ${decidedAfter} ms; send -> in the kernel set ${latency} ms (incl. starting the sender)\n`);
    expect(decidedAfter).toBeLessThan(1000);
    await send('friendly-scanner 1.0', RANGE6_HOST, PBX6, 'REGISTER', 1);
    await waitFor('the IPv6 scanner /64 blocked', async () => (await setElements(lab, 'blockprefix6')).includes('2001:db8:bad::'), 3000);
    const scans = await entries(harness, 'scanner');
    expect(scans.map((e) => [e.attacker, e.victim, e.userAgent, e.source])).toEqual([
      [RANGE6_HOST, PBX6, 'friendly-scanner 1.0', 'nflog:5061'],
      [ATTACKER4, PBX4, 'friendly-scanner 1.0', 'nflog:5061'],
    ]);
  });

  test('ordinary first requests are not attacks', async () => {
    harness = daemonHarness(lab, { kernel: { evidence: 'nflog', nflogGroup: 5062 }, sources: [] });
    await harness.start();
    await new Promise((r) => setTimeout(r, 500));
    await send('Yealink SIP-T46S', OTHER4, PBX4, 'REGISTER', 3);
    await new Promise((r) => setTimeout(r, 500));
    expect(await setElements(lab, 'block4')).toEqual([]);
    expect(JSON.parse((await harness.cli(['logs', '--json'])).stdout)).toMatchObject({ total: 0 });
  });

  test('a rate-limited INVITE flood is journaled once per episode with victim and User-Agent', async () => {
    harness = daemonHarness(lab, {
      kernel: { evidence: 'nflog', nflogGroup: 5063 },
      invite: { rateLimit: { enabled: true, value: 20, unit: 'minute', burst: 10 } },
      sources: [],
    });
    await harness.start();
    await new Promise((r) => setTimeout(r, 500));
    await send('sipcli/v1.8', ATTACKER4, PBX4, 'INVITE', 50);
    await waitFor('the episode in the journal', async () => (await entries(harness!, 'ratelimit')).length > 0, 3000);
    await new Promise((r) => setTimeout(r, 300));
    const episodes = await entries(harness, 'ratelimit');
    expect(episodes.map((e) => [e.attacker, e.victim, e.userAgent])).toEqual([[ATTACKER4, PBX4, 'sipcli/v1.8']]);
    expect(harness.output()).toContain(`rate-limit episode ${ATTACKER4} (kernel evidence)`);
  });
});

// Hostile input against the real daemon in a namespace: forged packets, an attacker in the host's own
// prefix, and requests and commands that must be refused. Each case failed before its fix.
import { describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { type Lab, ATTACKER4, PBX4, sleep } from './helpers/lab.js';
import { appendFailedRegisters, daemonHarness, daemonLab, setElements, waitFor } from './helpers/daemon.js';

let lab: Lab;
const PEER = fileURLToPath(new URL('./helpers/sip-peer.mjs', import.meta.url));

daemonLab('input', (made) => (lab = made));

/** Sends SIP requests from the attacker namespace, `gapMs` apart, with a User-Agent header. */
async function send(proto: 'udp' | 'tcp', userAgent: string, method: string, count: number, gapMs = 0): Promise<void> {
  const result = await execa(
    'ip',
    ['netns', 'exec', lab.attacker, process.execPath, PEER, 'send', proto, ATTACKER4, PBX4, '5060', method, String(count), String(gapMs)],
    { env: { SIP_UA: userAgent }, reject: false },
  );
  if (result.exitCode !== 0) throw new Error(`sip-peer: ${String(result.stderr)}`);
}

describe('forgeable evidence stays temporary', () => {
  /** Three UDP OPTIONS with a scanner User-Agent, each after the block of the one before ran out. */
  async function forgedScans(nflogGroup: number, permanent: Record<string, boolean>): Promise<void> {
    const harness = daemonHarness(lab, {
      kernel: { evidence: 'nflog', nflogGroup },
      // Two strikes within 2 x 5 s escalate, when they may.
      blocking: { dynamicBlockTime: '5s', threshold: 2, permanent },
      sources: [],
    });
    await harness.start();
    await sleep(500);
    for (let i = 0; i < 3; i++) {
      await send('udp', 'friendly-scanner', 'OPTIONS', 1);
      await waitFor(
        `block ${i + 1}`,
        async () => (await setElements(lab, 'block4')).includes(ATTACKER4) || (await setElements(lab, 'deny4')).includes(ATTACKER4),
        3000,
      );
      if ((await setElements(lab, 'deny4')).includes(ATTACKER4)) return;
      await waitFor(`block ${i + 1} over`, async () => !(await setElements(lab, 'block4')).includes(ATTACKER4), 10_000);
      await sleep(500);
    }
  }

  test('forged UDP OPTIONS with a scanner User-Agent give dynamic blocks, never a permanent one', async () => {
    await forgedScans(5071, {});
    expect(await setElements(lab, 'deny4')).toEqual([]);
  }, 60_000);

  test("the same packets escalate only with the admin's explicit opt-in (blocking.permanent.forgeable)", async () => {
    await forgedScans(5073, { forgeable: true });
    expect(await setElements(lab, 'deny4')).toEqual([ATTACKER4]);
  }, 60_000);

  test('the same scanner over TCP (a handshake proves the address) may escalate to a permanent block', async () => {
    const harness = daemonHarness(lab, {
      kernel: { evidence: 'nflog', nflogGroup: 5072 },
      invite: { rateLimit: { enabled: true, value: 1, unit: 'second', burst: 1 } },
      blocking: { dynamicBlockTime: '5s', threshold: 2 },
      sources: [],
    });
    await harness.start();
    const listener = await lab.listen(5060);
    await sleep(500);
    for (let i = 0; i < 2; i++) {
      // Over the limit: the kernel logs the first dropped INVITE of the episode, with its payload.
      await send('tcp', 'friendly-scanner', 'INVITE', 4, 100);
      if (i < 1) {
        await waitFor(`TCP block ${i + 1}`, async () => (await setElements(lab, 'block4')).includes(ATTACKER4), 5000);
        await waitFor(`TCP block ${i + 1} over`, async () => !(await setElements(lab, 'block4')).includes(ATTACKER4), 10_000);
        await sleep(500);
      }
    }
    await waitFor('the permanent block', async () => (await setElements(lab, 'deny4')).includes(ATTACKER4), 5000);
    await listener.stop();
  }, 60_000);

  test('log evidence of failed authentication escalates as before', async () => {
    const harness = daemonHarness(lab, { blocking: { dynamicBlockTime: '2s', threshold: 2 } });
    await harness.start();
    appendFailedRegisters(harness.logPath, ATTACKER4, 11, 'a');
    await waitFor('the first block', async () => (await setElements(lab, 'block4')).includes(ATTACKER4), 5000);
    await waitFor('the first block over', async () => !(await setElements(lab, 'block4')).includes(ATTACKER4), 10_000);
    appendFailedRegisters(harness.logPath, ATTACKER4, 11, 'b');
    await waitFor('the permanent block', async () => (await setElements(lab, 'deny4')).includes(ATTACKER4), 5000);
  }, 30_000);
});

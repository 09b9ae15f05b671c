// The daemon as a real process in a network namespace with the nft backend, driven through its log
// file, its CLI and signals, and checked in the kernel.
import { describe, expect, test } from '@jest/globals';
import { appendFileSync, readFileSync, renameSync, copyFileSync, truncateSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { type Lab, ATTACKER4, ATTACKER6, OTHER4, PBX4, RANGE6_HOST, sleep } from './helpers/lab.js';
import { appendFailedRegisters, daemonHarness, daemonLab, setElements, waitFor, type DaemonHarness } from './helpers/daemon.js';

let lab: Lab;
let harness: DaemonHarness | null = null;

daemonLab('daemon', (made) => (lab = made));

async function journalTotal(h: DaemonHarness): Promise<number> {
  const result = await h.cli(['logs', '--json', '--per-page', '1']);
  return (JSON.parse(result.stdout) as { total: number }).total;
}

describe('sipwarden daemon (nft backend, in a namespace)', () => {
  test('failed REGISTERs appended to a tailed log put the address in the kernel set within 1 s', async () => {
    harness = daemonHarness(lab, { register: { maxFailures: 5 } });
    await harness.start();
    appendFailedRegisters(harness.logPath, ATTACKER4, 5);
    await sleep(300);
    expect(await setElements(lab, 'block4')).toEqual([]);
    const appended = Date.now();
    appendFailedRegisters(harness.logPath, ATTACKER4, 1, 'x');
    await waitFor('the attacker in block4', async () => (await setElements(lab, 'block4')).includes(ATTACKER4), 1000);
    const latency = Date.now() - appended;
    expect(latency).toBeLessThan(1000);
    // IPv6 is blocked by its /64, except a /64 that holds one of the host's own addresses.
    appendFailedRegisters(harness.logPath, `[${ATTACKER6}]`, 6);
    appendFailedRegisters(harness.logPath, `[${RANGE6_HOST}]`, 6);
    await waitFor('the attacker /64 in blockprefix6', async () => (await setElements(lab, 'blockprefix6')).includes('2001:db8:bad::'));
    const list = await harness.cli(['list', 'dynamic', '--json']);
    expect((JSON.parse(list.stdout) as Array<{ target: string }>).map((r) => r.target).sort()).toEqual(['198.51.100.2', '2001:db8:bad::/64']);
  });

  test('three strikes make the block permanent with its automatic note', async () => {
    harness = daemonHarness(lab, { register: { maxFailures: 2 }, blocking: { dynamicBlockTime: '3s', threshold: 3 } });
    await harness.start();
    for (let strike = 1; strike <= 3; strike++) {
      appendFailedRegisters(harness.logPath, ATTACKER4, 3, `s${strike}`);
      if (strike < 3) {
        await waitFor(`strike ${strike}`, async () => (await setElements(lab, 'block4')).includes(ATTACKER4));
        await waitFor(`block ${strike} expires`, async () => !(await setElements(lab, 'block4')).includes(ATTACKER4), 5000);
        await sleep(100);
      }
    }
    await waitFor('the permanent block in deny4', async () => (await setElements(lab, 'deny4')).includes(ATTACKER4));
    const deny = JSON.parse((await harness.cli(['list', 'deny', '--json'])).stdout) as Array<{ target: string; note: string; strikes: number; by: string }>;
    expect(deny).toHaveLength(1);
    expect(deny[0]).toMatchObject({ target: ATTACKER4, strikes: 3, by: 'system' });
    expect(deny[0]?.note).toMatch(/^Blocked permanently by sipwarden on \S+: 3 strikes within 9s \(/);
  });

  test('unblock while the daemon runs takes effect in the kernel at once', async () => {
    harness = daemonHarness(lab, { register: { maxFailures: 2 } });
    await harness.start();
    appendFailedRegisters(harness.logPath, ATTACKER4, 3);
    await waitFor('block', async () => (await setElements(lab, 'block4')).includes(ATTACKER4));
    const result = await harness.cli(['unblock', ATTACKER4]);
    expect(result).toMatchObject({ exitCode: 0, stdout: `unblocked ${ATTACKER4}` });
    expect(await setElements(lab, 'block4')).toEqual([]);
    const block = await harness.cli(['block', '203.0.113.0/24', '--permanent', '--note', 'scanner network']);
    expect(block.exitCode).toBe(0);
    expect(await setElements(lab, 'denynet4')).toEqual(['203.0.113.0/24']);
    expect((await harness.cli(['block', '127.0.0.1'])).exitCode).toBe(2);
  });

  test('kill -9 and restart: every block is back, nothing is re-read', async () => {
    harness = daemonHarness(lab, { register: { maxFailures: 2 } });
    await harness.start();
    appendFailedRegisters(harness.logPath, ATTACKER4, 3);
    await harness.cli(['block', '203.0.113.7', '--permanent']);
    await waitFor('block', async () => (await setElements(lab, 'block4')).includes(ATTACKER4));
    await sleep(1200);
    const before = await journalTotal(harness);
    expect(before).toBe(3);
    await harness.stop('SIGKILL');
    await execa('ip', ['netns', 'exec', lab.pbx, 'nft', 'delete', 'table', 'inet', 'sipwarden'], { reject: false });
    await harness.start();
    await waitFor(
      'blocks restored',
      async () => (await setElements(lab, 'block4')).includes(ATTACKER4) && (await setElements(lab, 'deny4')).includes('203.0.113.7'),
    );
    await sleep(500);
    expect(await journalTotal(harness)).toBe(before);
  });

  test('rotation by rename and by copytruncate: no line lost or read twice', async () => {
    harness = daemonHarness(lab, { register: { maxFailures: 1000 } });
    await harness.start();
    appendFailedRegisters(harness.logPath, ATTACKER4, 5, 'a');
    await waitFor('5 entries', async () => (await journalTotal(harness!)) === 5);
    renameSync(harness.logPath, `${harness.logPath}.1`);
    appendFailedRegisters(`${harness.logPath}.1`, ATTACKER4, 2, 'late');
    writeFileSync(harness.logPath, '');
    appendFailedRegisters(harness.logPath, ATTACKER4, 4, 'b');
    await waitFor('11 entries', async () => (await journalTotal(harness!)) === 11);
    copyFileSync(harness.logPath, `${harness.logPath}.2`);
    truncateSync(harness.logPath, 0);
    appendFailedRegisters(harness.logPath, ATTACKER4, 3, 'c');
    await waitFor('14 entries', async () => (await journalTotal(harness!)) === 14);
    await sleep(1000);
    expect(await journalTotal(harness)).toBe(14);
  });

  test('nft flush ruleset in the namespace is repaired within the reconcile interval', async () => {
    harness = daemonHarness(lab, { register: { maxFailures: 2 } });
    await harness.start();
    appendFailedRegisters(harness.logPath, ATTACKER4, 3);
    await waitFor('block', async () => (await setElements(lab, 'block4')).includes(ATTACKER4));
    await execa('ip', ['netns', 'exec', lab.pbx, 'nft', 'flush', 'ruleset']);
    expect(await setElements(lab, 'block4')).toEqual([]);
    await waitFor('the table rebuilt with its block', async () => (await setElements(lab, 'block4')).includes(ATTACKER4), 5000);
    // The log line follows the transaction it reports.
    await waitFor('the repair in the log', () => /rebuilt|repaired/.test(harness!.output()), 2000);
  });

  test('a full limiter set is never unlimited, and the daemon warns', async () => {
    harness = daemonHarness(lab, {
      invite: { rateLimit: { enabled: true, value: 20, unit: 'minute', burst: 10 } },
      kernel: { setSizes: { limiter: 1, blocks: 1000, lists: 1000 } },
    });
    await harness.start();
    await lab.send({ from: ATTACKER4, to: PBX4, method: 'INVITE', count: 20 });
    await lab.send({ from: OTHER4, to: PBX4, method: 'INVITE', count: 20 });
    await waitFor('the warning', () => harness!.output().includes('the INVITE limiter set is full'), 6000);
    expect(harness.output()).toContain('raise kernel.setSizes.limiter');
  });

  test('SIGHUP with a broken config keeps the old one', async () => {
    harness = daemonHarness(lab, { register: { maxFailures: 2 } });
    await harness.start();
    appendFileSync(harness.configPath, 'invite:\n  rateLimit: { unit: fortnight }\n');
    await execa('ip', ['netns', 'exec', lab.pbx, 'pkill', '-HUP', '-f', harness.configPath]);
    await waitFor('the refusal in the log', () => harness!.output().includes('reload refused'));
    expect(harness.output()).toContain('invite.rateLimit.unit: got "fortnight"');
    appendFailedRegisters(harness.logPath, ATTACKER4, 3);
    await waitFor('block under the old config', async () => (await setElements(lab, 'block4')).includes(ATTACKER4));
    expect(await harness.stop('SIGTERM')).toBe(0);
    expect(harness.output()).toContain('sipwarden daemon stopped');
    // SIGTERM leaves the kernel state in place.
    expect(await setElements(lab, 'block4')).toContain(ATTACKER4);
    expect(readFileSync(harness.configPath, 'utf8')).toContain('fortnight');
  });
});

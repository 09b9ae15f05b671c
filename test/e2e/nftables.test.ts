// The nftables backend against the real kernel, with real SIP packets, in throwaway network namespaces.
import { describe, expect, jest, test } from '@jest/globals';
import { execa } from 'execa';
import { defaultConfig } from '../../src/config/defaults.js';
import type { Config } from '../../src/config/types.js';
import { enforcerSettings, EMPTY_STATE, type DesiredState } from '../../src/act/enforcer/backend.js';
import { NftablesBackend } from '../../src/act/enforcer/nftables.js';
import { execaRunner, type CommandRunner } from '../../src/act/enforcer/run.js';
import { SipwardenError } from '../../src/model/errors.js';
import type { Lab } from './helpers/lab.js';
import { ATTACKER4, ATTACKER6, OTHER4, PBX4, PBX6, RANGE4_HOST, RANGE6_HOST, labsPerTest, sleep } from './helpers/lab.js';

jest.setTimeout(60_000);

function config(change: (c: Config) => void = () => {}): Config {
  const c = defaultConfig();
  c.invite.rateLimit = { enabled: true, value: 20, unit: 'minute', burst: 10 };
  change(c);
  return c;
}

const lab = labsPerTest();

function backend(l: Lab, c: Config = config()): NftablesBackend {
  return new NftablesBackend({ settings: enforcerSettings(c), netns: l.pbx });
}

describe('INVITE limiter', () => {
  test('20/minute burst 10: 50 INVITEs at once over UDP -> exactly 10 arrive; OPTIONS and REGISTER floods pass', async () => {
    const l = await lab('udp4');
    const nft = backend(l);
    await nft.reconcile(EMPTY_STATE, Date.now());
    const listener = await l.listen();
    await l.send({ from: ATTACKER4, to: PBX4, count: 50 });
    await l.send({ from: ATTACKER4, to: PBX4, method: 'OPTIONS', count: 50 });
    await l.send({ from: ATTACKER4, to: PBX4, method: 'REGISTER', count: 50 });
    const counts = await listener.stop();
    expect(counts.methods).toEqual({ INVITE: 10, OPTIONS: 50, REGISTER: 50 });
    const counters = await nft.counters();
    expect(counters['ratelimit_drop']).toBe(40);
    expect(counters['ratelimit_logged']).toBe(1);
  });

  test('IPv6 the same: exactly 10 of 50', async () => {
    const l = await lab('udp6');
    const nft = backend(l);
    await nft.reconcile(EMPTY_STATE, Date.now());
    const listener = await l.listen();
    await l.send({ from: ATTACKER6, to: PBX6, count: 50 });
    await l.send({ from: ATTACKER6, to: PBX6, method: 'OPTIONS', count: 50 });
    const counts = await listener.stop();
    expect(counts.methods).toEqual({ INVITE: 10, OPTIONS: 50 });
    expect((await nft.counters())['ratelimit_drop']).toBe(40);
  });

  test('after the burst, one more INVITE is accepted after the interval', async () => {
    const l = await lab('refill');
    // 1/second: one token each second; burst 3. The second burst comes 1.3 s later, plus the
    // sender's start-up (under 0.7 s even on a loaded machine): exactly one token has come back.
    const nft = backend(
      l,
      config((c) => (c.invite.rateLimit = { enabled: true, value: 1, unit: 'second', burst: 3 })),
    );
    await nft.reconcile(EMPTY_STATE, Date.now());
    const listener = await l.listen();
    await l.send({ from: ATTACKER4, to: PBX4, count: 5 });
    await sleep(1300);
    await l.send({ from: ATTACKER4, to: PBX4, count: 3 });
    const counts = await listener.stop();
    expect(counts.methods['INVITE']).toBe(4);
  });

  test('TCP: over-limit segments starting with INVITE are dropped and counted; clearly fewer arrive', async () => {
    const l = await lab('tcp');
    const nft = backend(l);
    await nft.reconcile(EMPTY_STATE, Date.now());
    const listener = await l.listen();
    await l.send({ proto: 'tcp', from: ATTACKER4, to: PBX4, count: 50, gapMs: 5 });
    const counts = await listener.stop();
    expect((await nft.counters())['ratelimit_drop']).toBeGreaterThan(0);
    expect(counts.methods['INVITE'] ?? 0).toBeLessThan(40);
  });

  test('one NFLOG packet per source per episode, carrying source and destination', async () => {
    const l = await lab('nflog');
    const c = config((cfg) => {
      cfg.invite.rateLimit = { enabled: true, value: 1, unit: 'second', burst: 2 };
      cfg.kernel.evidence = 'nflog';
      cfg.kernel.nflogGroup = 7;
    });
    const nft = backend(l, c);
    await nft.reconcile(EMPTY_STATE, Date.now());
    const capture = execa('ip', ['netns', 'exec', l.pbx, 'tcpdump', '-l', '-n', '-i', 'nflog:7'], { reject: false });
    await new Promise<void>((resolve) => capture.stderr?.on('data', (d: Buffer) => (String(d).includes('listening on') ? resolve() : undefined)));
    await l.send({ from: ATTACKER4, to: PBX4, count: 20, gapMs: 20 });
    await l.send({ from: OTHER4, to: PBX4, count: 20 });
    await l.send({ from: ATTACKER6, to: PBX6, count: 20 });
    // The episode ends one unit (1 s) after the last drop; a new flood opens a new one.
    await sleep(2500);
    await l.send({ from: ATTACKER4, to: PBX4, count: 20 });
    // NFLOG hands packets to userspace in batches, flushed at the latest after one second.
    await sleep(1500);
    capture.kill('SIGTERM');
    const out = String((await capture).stdout);
    const lines = out.split('\n').filter((line) => line.includes('INVITE'));
    // The kernel's count of log statements is exact: 2 episodes of ATTACKER4, 1 of OTHER4, 1 of ATTACKER6.
    // (The NFLOG capture is checked for content only: under load it has shown extra lines; see the report.)
    expect(lines.some((x) => x.includes(`${ATTACKER4}.`) && x.includes(`> ${PBX4}.5060`))).toBe(true);
    expect(lines.some((x) => x.includes(`${OTHER4}.`) && x.includes(`> ${PBX4}.5060`))).toBe(true);
    expect(lines.some((x) => x.includes(`${ATTACKER6}.`) && x.includes(`> ${PBX6}.5060`))).toBe(true);
    expect((await nft.counters())['ratelimit_logged']).toBe(4);
  });

  test('a full limiter set never means unlimited: the source it cannot take falls under the fallback limit', async () => {
    const l = await lab('full');
    const nft = backend(
      l,
      config((c) => (c.kernel.setSizes.limiter = 1)),
    );
    await nft.reconcile(EMPTY_STATE, Date.now());
    const listener = await l.listen();
    await l.send({ from: ATTACKER4, to: PBX4, count: 1 });
    await l.send({ from: OTHER4, to: PBX4, count: 20 });
    const counts = await listener.stop();
    expect(counts.sources[OTHER4]).toBe(10);
    const counters = await nft.counters();
    expect(counters['fallback_drop']).toBe(10);
    expect(counters['fallback_logged']).toBe(1);
    const fill = await nft.fill();
    expect(fill.find((f) => f.name === 'limiter4')).toEqual({ name: 'limiter4', elements: 1, size: 1 });
    // The daemon's periodic check leaves the packet-filled sets out, and counts the blocks it holds.
    await nft.apply(
      [
        {
          type: 'block',
          time: Date.now(),
          target: '2001:db8::/64',
          attacker: ATTACKER6,
          kind: 'register',
          until: Date.now() + 60_000,
          reason: 'test',
          strikes: 1,
        },
      ],
      Date.now(),
    );
    const periodic = await nft.fill({ packetSets: false });
    expect(periodic.map((f) => f.name)).not.toContain('limiter4');
    expect(periodic.find((f) => f.name === 'blockprefix6')?.elements).toBe(1);
  });
});

describe('blocks', () => {
  test('a dynamic block drops all traffic from the source and expires on time', async () => {
    const l = await lab('dyn');
    const nft = backend(l);
    const now = Date.now();
    await nft.reconcile(EMPTY_STATE, now);
    await nft.apply(
      [{ type: 'block', time: now, target: ATTACKER4, attacker: ATTACKER4, kind: 'register', until: now + 2000, reason: 'test', strikes: 1 }],
      now,
    );
    let listener = await l.listen();
    await l.send({ from: ATTACKER4, to: PBX4, method: 'OPTIONS', count: 5 });
    await l.send({ from: OTHER4, to: PBX4, method: 'OPTIONS', count: 5 });
    expect((await listener.stop()).sources).toEqual({ [OTHER4]: 5 });
    await sleep(2500);
    listener = await l.listen();
    await l.send({ from: ATTACKER4, to: PBX4, method: 'OPTIONS', count: 5 });
    expect((await listener.stop()).sources).toEqual({ [ATTACKER4]: 5 });
  });

  test("a block with the whole dynamic block time left goes in with the set's own timeout and expires with it", async () => {
    const l = await lab('settimeout');
    const scripts: string[] = [];
    const nft = new NftablesBackend({
      settings: enforcerSettings(config((c) => (c.blocking.dynamicBlockTime = 3000))),
      netns: l.pbx,
      runner: async (file, args, input) => {
        if (input !== undefined) scripts.push(input);
        return execaRunner(file, args, input);
      },
    });
    const now = Date.now();
    await nft.reconcile(EMPTY_STATE, now);
    await nft.apply(
      [{ type: 'block', time: now, target: ATTACKER4, attacker: ATTACKER4, kind: 'register', until: Date.now() + 3000, reason: 'test', strikes: 1 }],
      Date.now(),
    );
    expect(scripts.at(-1)).toBe(`add element inet sipwarden block4 { ${ATTACKER4} }\n`);
    let listener = await l.listen();
    await l.send({ from: ATTACKER4, to: PBX4, method: 'OPTIONS', count: 5 });
    expect((await listener.stop()).sources).toEqual({});
    await sleep(3500);
    listener = await l.listen();
    await l.send({ from: ATTACKER4, to: PBX4, method: 'OPTIONS', count: 5 });
    expect((await listener.stop()).sources).toEqual({ [ATTACKER4]: 5 });
  });

  test('a permanent block persists; an allowlisted source passes unlimited even when denylisted', async () => {
    const l = await lab('perm');
    const nft = backend(l);
    const now = Date.now();
    await nft.reconcile({ allow: [OTHER4], deny: [OTHER4, ATTACKER6], dynamic: [] }, now);
    await nft.apply([{ type: 'permanent', time: now, target: ATTACKER4, attacker: ATTACKER4, kind: 'register', reason: 't', strikes: 3, note: 'n' }], now);
    await sleep(1200);
    const listener = await l.listen();
    await l.send({ from: ATTACKER4, to: PBX4, method: 'OPTIONS', count: 5 });
    await l.send({ from: ATTACKER6, to: PBX6, method: 'OPTIONS', count: 5 });
    await l.send({ from: OTHER4, to: PBX4, count: 50 });
    expect((await listener.stop()).sources).toEqual({ [OTHER4]: 50 });
    // 5 IPv4 packets; the denylisted IPv6 source cannot even resolve the PBX (its neighbour solicitations drop).
    expect((await nft.counters())['deny_drop']).toBeGreaterThanOrEqual(6);
  });

  test('blocks hold while another table accepts established traffic in an input chain', async () => {
    const l = await lab('ct');
    await l.pbxRun(
      'nft',
      ['-f', '-'],
      'table inet other {\n chain input {\n  type filter hook input priority 0; policy accept;\n  ct state established,related accept\n }\n}\n',
    );
    const nft = backend(l);
    await nft.reconcile(EMPTY_STATE, Date.now());
    const listener = await l.listen(5060, true);
    await l.send({ from: ATTACKER4, to: PBX4, method: 'OPTIONS', count: 3 });
    const conntrack = await l.pbxRun('cat', ['/proc/net/nf_conntrack']).catch(() => '');
    const now = Date.now();
    await nft.apply(
      [{ type: 'block', time: now, target: ATTACKER4, attacker: ATTACKER4, kind: 'register', until: now + 60_000, reason: 't', strikes: 1 }],
      now,
    );
    await l.send({ from: ATTACKER4, to: PBX4, method: 'OPTIONS', count: 3 });
    const counts = await listener.stop();
    expect(counts.sources[ATTACKER4]).toBe(3);
    expect(conntrack === '' || conntrack.includes(ATTACKER4)).toBe(true);
    expect(await l.pbxRun('nft', ['list', 'table', 'inet', 'other'])).toContain('ct state established,related accept');
  });

  test('a blocked range drops every address in it; blocking an address inside it is not an error', async () => {
    const l = await lab('range');
    const nft = backend(l);
    const now = Date.now();
    await nft.reconcile(EMPTY_STATE, now);
    const block = (target: string) => ({
      type: 'block' as const,
      time: now,
      target,
      attacker: target,
      kind: 'register' as const,
      until: now + 60_000,
      reason: 't',
      strikes: 1,
    });
    await nft.apply([block('203.0.113.0/24'), block('2001:db8:bad::/48')], now);
    await nft.apply([block('203.0.113.7'), block('2001:db8:bad:1::/64')], now);
    await nft.apply([{ type: 'permanent', time: now, target: '203.0.113.0/24', attacker: 'x', kind: 'register', reason: 't', strikes: 3, note: 'n' }], now);
    await nft.apply([{ type: 'permanent', time: now, target: '203.0.113.9', attacker: 'x', kind: 'register', reason: 't', strikes: 3, note: 'n' }], now);
    const listener = await l.listen();
    await l.send({ from: RANGE4_HOST, to: PBX4, method: 'OPTIONS', count: 3 });
    await l.send({ from: RANGE6_HOST, to: PBX6, method: 'OPTIONS', count: 3 });
    await l.send({ from: ATTACKER4, to: PBX4, method: 'OPTIONS', count: 3 });
    expect((await listener.stop()).sources).toEqual({ [ATTACKER4]: 3 });
  });
});

describe('reconcile and teardown', () => {
  test('reconcile restores a flushed table with its elements and their remaining time', async () => {
    const l = await lab('reconcile');
    const nft = backend(l);
    const now = Date.now();
    const state: DesiredState = {
      allow: ['192.0.2.0/24'],
      deny: ['203.0.113.0/24'],
      dynamic: [
        { target: ATTACKER4, until: now + 600_000 },
        { target: '2001:db8:bad::/64', until: now + 300_000 },
      ],
    };
    expect((await nft.reconcile(state, now)).rebuilt).toBe(true);
    expect(await nft.reconcile(state, now)).toMatchObject({ rebuilt: false, transactions: 0 });
    await l.pbxRun('nft', ['flush', 'ruleset']);
    const repaired = await new NftablesBackend({ settings: enforcerSettings(config()), netns: l.pbx }).reconcile(state, Date.now());
    expect(repaired).toMatchObject({ rebuilt: true, added: 4 });
    const text = await l.pbxRun('nft', ['list', 'table', 'inet', 'sipwarden']);
    expect(text).toContain('203.0.113.0/24');
    // Counted from the original expiry: under 10 minutes by how long the repair took, seconds at most.
    expect(text).toMatch(/198\.51\.100\.2 timeout 9m5\ds\d*ms expires 9m[45]\d/);
    // A block extended by a new strike gets its new time.
    const extended: DesiredState = { ...state, dynamic: [{ target: ATTACKER4, until: now + 3_600_000 }, ...state.dynamic.slice(1)] };
    expect(await nft.reconcile(extended, Date.now())).toMatchObject({ rebuilt: false, refreshed: 1 });
    expect(await l.pbxRun('nft', ['list', 'set', 'inet', 'sipwarden', 'block4'])).toMatch(/expires 59m5\d/);
  });

  test('a quick reconcile reads the structure only: a deleted table is rebuilt, a failed apply compared, a full one finds what was removed by hand', async () => {
    const l = await lab('quick');
    // Fails the next transaction when asked, as a kernel error would.
    let failNext = false;
    const runner: CommandRunner = async (file, argv, input) => {
      if (failNext && input !== undefined) {
        failNext = false;
        return { exitCode: 1, stdout: '', stderr: 'Error: Could not process rule: Cannot allocate memory', spawnError: null };
      }
      return execaRunner(file, argv, input);
    };
    const nft = new NftablesBackend({ settings: enforcerSettings(config()), netns: l.pbx, runner });
    const now = Date.now();
    const state: DesiredState = {
      allow: [],
      deny: [],
      dynamic: [
        { target: ATTACKER4, until: now + 600_000 },
        { target: '2001:db8:bad::/64', until: now + 600_000 },
      ],
    };
    await nft.reconcile(state, now);
    const block = {
      type: 'block' as const,
      time: now,
      target: OTHER4,
      attacker: OTHER4,
      kind: 'register' as const,
      until: now + 600_000,
      reason: 'test',
      strikes: 1,
    };
    const grown: DesiredState = { ...state, dynamic: [...state.dynamic, { target: OTHER4, until: now + 600_000 }] };
    failNext = true;
    await expect(nft.apply([block], now)).rejects.toThrow(SipwardenError);
    expect(await nft.reconcile(grown, Date.now(), { quick: true })).toMatchObject({ rebuilt: false, added: 1 });
    await l.pbxRun('nft', ['delete', 'element', 'inet', 'sipwarden', 'block4', `{ ${OTHER4} }`]);
    expect(await nft.reconcile(grown, Date.now(), { quick: true })).toMatchObject({ rebuilt: false, transactions: 0 });
    expect(await nft.reconcile(grown, Date.now())).toMatchObject({ rebuilt: false, added: 1 });
    await l.pbxRun('nft', ['delete', 'table', 'inet', 'sipwarden']);
    expect(await nft.reconcile(grown, Date.now(), { quick: true })).toMatchObject({ rebuilt: true, added: 3 });
    expect(await l.pbxRun('nft', ['list', 'set', 'inet', 'sipwarden', 'blockprefix6'])).toContain('2001:db8:bad::');
  });

  test("teardown removes only sipwarden's table", async () => {
    const l = await lab('teardown');
    await l.pbxRun('nft', ['-f', '-'], 'table ip unrelated {\n chain c {\n  type filter hook input priority 0; policy accept;\n  counter\n }\n}\n');
    const nft = backend(l);
    await nft.reconcile({ allow: [], deny: ['203.0.113.0/24'], dynamic: [] }, Date.now());
    await nft.teardown();
    await nft.teardown();
    const ruleset = await l.pbxRun('nft', ['list', 'ruleset']);
    expect(ruleset).toContain('table ip unrelated');
    expect(ruleset).not.toContain('sipwarden');
  });

  test('5,000 dynamic blocks in one transaction; reconcile then finds nothing to do', async () => {
    const l = await lab('bulk');
    const nft = backend(l);
    const now = Date.now();
    await nft.reconcile(EMPTY_STATE, now);
    const decisions = [];
    for (let i = 0; i < 2500; i++) {
      const common = { type: 'block' as const, time: now, attacker: 'x', kind: 'register' as const, until: now + 3_600_000, reason: 'b', strikes: 1 };
      decisions.push({ ...common, target: `10.0.${i >> 8}.${i & 255}` });
      decisions.push({ ...common, target: `2001:db8:${i.toString(16)}::/64` });
    }
    expect(await nft.apply(decisions, now)).toMatchObject({ transactions: 1, added: 5000 });
    const state = { allow: [], deny: [], dynamic: decisions.map((d) => ({ target: d.target, until: d.until })) };
    expect(await nft.reconcile(state, Date.now())).toMatchObject({ rebuilt: false, transactions: 0 });
  });
});

describe('clear errors', () => {
  test('a missing nft program', async () => {
    const l = await lab('missing');
    const nft = new NftablesBackend({ settings: enforcerSettings(config()), netns: l.pbx, nft: '/nonexistent/nft' });
    await expect(nft.reconcile(EMPTY_STATE, Date.now())).rejects.toThrow(
      /nftables: the \/nonexistent\/nft program was not found; install it \(apt-get install nftables\)/,
    );
  });

  test('no privileges: an error saying so, and nothing applied', async () => {
    const l = await lab('unpriv');
    // `ip netns exec NS setpriv --reuid=nobody ... nft ...`: the same commands as an unprivileged user.
    const runner: CommandRunner = (file, args, input) => {
      const cut = args.indexOf(l.pbx) + 1;
      const argv = [...args.slice(0, cut), 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...args.slice(cut)];
      return execaRunner(file, argv, input);
    };
    const nft = new NftablesBackend({ settings: enforcerSettings(config()), netns: l.pbx, runner });
    const error = await nft.reconcile(EMPTY_STATE, Date.now()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SipwardenError);
    expect((error as SipwardenError).code).toBe('KERNEL');
    expect((error as SipwardenError).message).toMatch(/not permitted to change the firewall.*run sipwarden as root or with CAP_NET_ADMIN/);
    expect(await l.pbxRun('nft', ['list', 'ruleset'])).toBe('');
  });
});

// The iptables + ipset backend against the real kernel, with real SIP packets, in throwaway namespaces.
import { expect, jest, test } from '@jest/globals';
import { defaultConfig } from '../../src/config/defaults.js';
import type { Config } from '../../src/config/types.js';
import { enforcerSettings, EMPTY_STATE } from '../../src/act/enforcer/backend.js';
import { IptablesBackend } from '../../src/act/enforcer/iptables-ipset.js';
import { ATTACKER4, ATTACKER6, OTHER4, PBX4, PBX6, RANGE4_HOST, labsPerTest } from './helpers/lab.js';

jest.setTimeout(60_000);

function config(): Config {
  const c = defaultConfig();
  c.invite.rateLimit = { enabled: true, value: 20, unit: 'minute', burst: 10 };
  return c;
}

const lab = labsPerTest();

test('hashlimit 20/minute burst 10: exactly 10 of 50 INVITEs arrive (IPv4 and IPv6); OPTIONS pass; one log per episode', async () => {
  const l = await lab('ipt-limit');
  const ipt = new IptablesBackend({ settings: enforcerSettings(config()), netns: l.pbx });
  await ipt.reconcile(EMPTY_STATE, Date.now());
  const listener = await l.listen();
  await l.send({ from: ATTACKER4, to: PBX4, count: 50 });
  await l.send({ from: ATTACKER6, to: PBX6, count: 50 });
  await l.send({ from: ATTACKER4, to: PBX4, method: 'OPTIONS', count: 50 });
  const counts = await listener.stop();
  expect(counts.sources).toEqual({ [ATTACKER4]: 60, [ATTACKER6]: 10 });
  // [in an episode: dropped, first drop: logged, first drop: dropped]
  expect(await ipt.rateLimitCounters(4)).toEqual([39, 1, 1]);
  expect(await ipt.rateLimitCounters(6)).toEqual([39, 1, 1]);
});

test('blocked User-Agents are dropped in the kernel; blocks and ranges drop; reconcile is idempotent', async () => {
  const l = await lab('ipt-block');
  const ipt = new IptablesBackend({ settings: enforcerSettings(config()), netns: l.pbx });
  const now = Date.now();
  await ipt.reconcile({ allow: [], deny: ['203.0.113.0/24'], dynamic: [] }, now);
  expect(await ipt.reconcile({ allow: [], deny: ['203.0.113.0/24'], dynamic: [] }, now)).toMatchObject({ rebuilt: false, transactions: 0 });
  await ipt.apply([{ type: 'block', time: now, target: OTHER4, attacker: OTHER4, kind: 'register', until: now + 60_000, reason: 't', strikes: 1 }], now);
  await ipt.apply([{ type: 'permanent', time: now, target: '203.0.113.5', attacker: 'x', kind: 'register', reason: 't', strikes: 3, note: 'n' }], now);
  const listener = await l.listen();
  await l.send({ from: OTHER4, to: PBX4, method: 'OPTIONS', count: 3 });
  await l.send({ from: RANGE4_HOST, to: PBX4, method: 'OPTIONS', count: 3 });
  await l.send({ from: ATTACKER4, to: PBX4, method: 'OPTIONS', count: 3 });
  await l.send({ from: ATTACKER4, to: PBX4, method: 'OPTIONS', count: 3, userAgent: 'friendly-scanner' });
  await l.send({ from: ATTACKER6, to: PBX6, method: 'REGISTER', count: 3, userAgent: 'sipvicious 0.3' });
  expect((await listener.stop()).sources).toEqual({ [ATTACKER4]: 3 });
});

test('teardown removes only our chains and sets', async () => {
  const l = await lab('ipt-teardown');
  await l.pbxRun('iptables', ['-t', 'raw', '-N', 'UNRELATED']);
  await l.pbxRun('ipset', ['create', 'unrelated', 'hash:ip']);
  const ipt = new IptablesBackend({ settings: enforcerSettings(config()), netns: l.pbx });
  await ipt.reconcile({ allow: ['192.0.2.1'], deny: [], dynamic: [] }, Date.now());
  await ipt.teardown();
  await ipt.teardown();
  const rules = await l.pbxRun('iptables', ['-t', 'raw', '-S']);
  expect(rules).toContain('-N UNRELATED');
  expect(rules).not.toContain('SIPWARDEN');
  expect((await l.pbxRun('ipset', ['list', '-n'])).trim()).toBe('unrelated');
});

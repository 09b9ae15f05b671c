// The pure ipset / iptables-restore builders.
import { expect, test } from '@jest/globals';
import { defaultConfig } from '../../../src/config/defaults.js';
import { enforcerSettings } from '../../../src/act/enforcer/backend.js';
import { desiredElements, diffElements } from '../../../src/act/enforcer/elements.js';
import {
  IPSET_LAYOUT,
  iptablesRules,
  iptablesTeardownScript,
  ipsetChangeScript,
  ipsetFullScript,
  parseIpsetSave,
} from '../../../src/act/enforcer/ipset-script.js';

const NOW = Date.UTC(2025, 0, 1);
const config = defaultConfig();
config.invite.rateLimit = { enabled: true, value: 20, unit: 'minute', burst: 10 };
const settings = enforcerSettings(config);

test('sets are filled under a temporary name and swapped in; blocks carry their remaining seconds', () => {
  const elements = desiredElements(
    { allow: [], deny: ['203.0.113.0/24', '203.0.113.9'], dynamic: [{ target: '2001:db8:1::/64', until: NOW + 1500 }] },
    NOW,
    IPSET_LAYOUT,
  ).elements;
  const script = ipsetFullScript(settings, elements, NOW);
  expect(script).toContain('create sipwarden-deny4 hash:net family inet hashsize 1024 maxelem 1000000 -exist');
  // hash:net keeps a host inside a blocked range: nothing to normalize.
  expect(script).toContain('add sipwarden-deny4-new 203.0.113.0/24 -exist\nadd sipwarden-deny4-new 203.0.113.9 -exist');
  expect(script).toContain('add sipwarden-block6-new 2001:db8:1::/64 timeout 2 -exist');
  expect(script).toContain('swap sipwarden-block6-new sipwarden-block6\ndestroy sipwarden-block6-new');
});

test('changes: -exist makes repeated adds and missing deletes no error', () => {
  const before = desiredElements({ allow: [], deny: ['192.0.2.1'], dynamic: [] }, NOW, IPSET_LAYOUT).elements;
  const after = desiredElements({ allow: [], deny: [], dynamic: [{ target: '192.0.2.2', until: NOW + 60_000 }] }, NOW, IPSET_LAYOUT).elements;
  expect(ipsetChangeScript(diffElements(before, after, 0, new Set()), NOW)).toBe(
    'del sipwarden-deny4 192.0.2.1 -exist\nadd sipwarden-block4 192.0.2.2 timeout 60 -exist\n',
  );
});

test('iptables rules: own chains in raw, hashlimit with the same rate and burst, string matches', () => {
  const v4 = iptablesRules(settings, 4, false).script;
  expect(v4.split('\n')[0]).toBe('*raw');
  expect(v4).toContain('-A SIPWARDEN -m set --match-set sipwarden-allow4 src -j ACCEPT');
  expect(v4).toContain('-A SIPWARDEN -p udp -m multiport --dports 5060 -m string --algo bm --from 28 --to 35 --string "INVITE " -j SIPWARDEN-INVITE');
  expect(v4).toContain(
    '--hashlimit-above 20/minute --hashlimit-burst 10 --hashlimit-mode srcip --hashlimit-name sipwarden4 --hashlimit-htable-max 1000000 --hashlimit-htable-expire 30000',
  );
  expect(v4).toContain('-A SIPWARDEN -p udp -m multiport --dports 5060 -m string --algo bm --icase --string "friendly-scanner" -j DROP');
  expect(v4).toContain('-A SIPWARDEN-RATELIMIT -m recent --name sipwarden-episode4 --update --seconds 60 -j DROP');
  expect(v4).toContain('--set -j LOG --log-prefix "sipwarden-ratelimit: "');
  expect(v4).toContain('-I PREROUTING 1 -j SIPWARDEN');
  expect(iptablesRules(settings, 4, true).script).not.toContain('PREROUTING');
  expect(iptablesRules(settings, 6, false).script).toContain('--from 48 --to 55 --string "INVITE "');
});

test('teardown touches only our chains', () => {
  expect(iptablesTeardownScript(true, ['SIPWARDEN'])).toBe('*raw\n-D PREROUTING -j SIPWARDEN\n-F SIPWARDEN\n-X SIPWARDEN\nCOMMIT\n');
});

test('ipset save is read back for our sets only', () => {
  const text =
    'create sipwarden-block4 hash:net family inet hashsize 1024 maxelem 10 timeout 0\nadd sipwarden-block4 192.0.2.1 timeout 30\ncreate other hash:ip\nadd other 192.0.2.9\n';
  expect([...parseIpsetSave(text, NOW)]).toEqual([['sipwarden-block4', new Map([['192.0.2.1', NOW + 30_000]])]]);
});

// Whole mails: subjects carry no attacker text, bodies carry every block with its evidence, escaped.
import { expect, test } from '@jest/globals';
import { alertMail, alertSubject } from '../../../src/act/notify/message.js';
import type { BlockAlert } from '../../../src/act/notify/alerts.js';
import { DETAIL_LIMIT } from '../../../src/act/notify/render-text.js';
import { headerText } from '../../../src/act/notify/escape.js';

const T0 = Date.UTC(2024, 0, 15, 10, 0, 0);
const UA = '<script>alert(1)</script>\r\nBcc: evil@example.com';

function alert(target: string, overrides: Partial<BlockAlert> = {}): BlockAlert {
  return {
    time: T0,
    target,
    attacker: target,
    kind: 'scanner',
    reason: `blocked User-Agent "${UA}"`,
    note: `Blocked permanently by sipwarden on 2024-01-15T10:00:00Z: 3 strikes within 3h (${UA}).`,
    strikes: [
      { time: T0 - 7_200_000, reason: 'blocked User-Agent' },
      { time: T0 - 3_600_000, reason: 'blocked User-Agent' },
      { time: T0, reason: 'blocked User-Agent' },
    ],
    evidence: {
      total: 12,
      entries: [
        {
          time: T0,
          attacker: target,
          victim: '192.0.2.1',
          kind: 'scanner',
          userAgent: UA,
          user: '<b>100</b>',
          source: '/var/log/asterisk/messages',
          rule: 'r',
        },
      ],
    },
    ...overrides,
  };
}

test('one block: the subject names the address and nothing an attacker wrote', () => {
  const mail = alertMail([alert('198.51.100.7')], 'pbx1');
  expect(mail.subject).toBe('[sipwarden] pbx1: 198.51.100.7 blocked permanently');
  expect(mail.text).toContain('sipwarden on pbx1 blocked 1 address permanently at 2024-01-15 10:00 UTC.');
  expect(mail.text).toContain('Strikes (3):');
  expect(mail.text).toContain('Attack log (12 entries, newest 1 shown):');
  expect(mail.text).toContain('<script>alert(1)</script>\\r\\nBcc: evil@example.com');
  expect(mail.text).toContain('To lift it: sipwarden unblock 198.51.100.7');
  expect(mail.text.split('\n').some((l) => l.startsWith('Bcc:'))).toBe(false);
  expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;\\r\\nBcc: evil@example.com');
  expect(mail.html).toContain('&lt;b&gt;100&lt;/b&gt;');
  expect(mail.html).not.toMatch(/<script|<b>100/);
});

test('many blocks: counted in the subject, every one listed, details for the first ones', () => {
  const alerts = Array.from({ length: DETAIL_LIMIT + 5 }, (_, i) => alert(`198.51.100.${i}`, { time: T0 + i * 1000 }));
  const mail = alertMail(alerts, 'pbx1');
  expect(mail.subject).toBe('[sipwarden] pbx1: 55 addresses blocked permanently');
  for (const a of alerts) expect(mail.text).toContain(`Z  ${a.target} `);
  expect(mail.text.match(/To lift it/g)).toHaveLength(DETAIL_LIMIT);
  expect(mail.text).toContain(`Details are shown for the first ${DETAIL_LIMIT}`);
  expect(mail.text).toContain('between 2024-01-15 10:00 UTC and 2024-01-15 10:00 UTC');
});

test('a target that is not a canonical address never reaches the subject', () => {
  expect(alertSubject([alert('x\r\nBcc: a@b')], 'pbx1')).toBe('[sipwarden] pbx1: 1 address blocked permanently');
  expect(alertSubject([alert('2001:db8:1::/64')], 'pbx1')).toBe('[sipwarden] pbx1: 2001:db8:1::/64 blocked permanently');
});

test('header text is one line without control characters', () => {
  expect(headerText('pbx\r\nBcc: x@example.com\u0000')).toBe('pbx Bcc: x@example.com');
});

// The engine: failure windows, escalation, the limiter's episodes, exemptions and /64 grouping.
import { describe, expect, test } from '@jest/globals';
import { DetectionEngine } from '../../src/decide/decide.js';
import { validateConfig } from '../../src/config/validate.js';
import type { Decision } from '../../src/model/decision.js';
import { event, T0 } from '../helpers/events.js';

const HOUR = 3_600_000;

function engineWith(raw: Record<string, unknown> = {}, hostAddresses: string[] = []): DetectionEngine {
  const { config, errors } = validateConfig(raw);
  expect(errors).toEqual([]);
  return new DetectionEngine({ config, hostAddresses });
}

/** Sends `count` failed REGISTERs from one address starting at `start`, one per second. */
function failures(engine: DetectionEngine, attacker: string, start: number, count = 11): Decision[] {
  const out: Decision[] = [];
  for (let i = 0; i < count; i++) out.push(...engine.handle(event({ attacker, time: start + i * 1000 })).decisions);
  return out;
}

describe('failed registrations', () => {
  test('more than maxFailures within a minute -> one dynamic block for the block time', () => {
    const engine = engineWith();
    expect(failures(engine, '198.51.100.8', T0, 10)).toEqual([]);
    const decisions = failures(engine, '198.51.100.8', T0 + 10_000, 1);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ type: 'block', target: '198.51.100.8', kind: 'register', until: T0 + 10_000 + HOUR, strikes: 1 });
  });

  test('failures spread over more than a minute do not block', () => {
    const engine = engineWith();
    const out: Decision[] = [];
    for (let i = 0; i < 30; i++) out.push(...engine.handle(event({ attacker: '198.51.100.8', time: T0 + i * 7000 })).decisions);
    expect(out).toEqual([]);
  });

  test('events while blocked make no new decisions', () => {
    const engine = engineWith();
    expect(failures(engine, '198.51.100.8', T0)).toHaveLength(1);
    expect(failures(engine, '198.51.100.8', T0 + 20_000, 30)).toEqual([]);
  });

  test('a message and a security event for one request count once', () => {
    const engine = engineWith();
    const out: Decision[] = [];
    for (let i = 0; i < 10; i++) {
      const time = T0 + i * 1000;
      out.push(...engine.handle(event({ attacker: '198.51.100.8', time, user: '100' })).decisions);
      const twin = engine.handle(event({ attacker: '198.51.100.8', time, kind: 'auth', user: '100', stream: 'security' }));
      expect(twin.verdict).toBe('duplicate');
    }
    expect(out).toEqual([]);
    expect(engine.handle(event({ attacker: '198.51.100.8', time: T0 + 10_000 })).decisions).toHaveLength(1);
  });
});

describe('escalation', () => {
  test('3 strikes within 3 h -> permanent block with an automatic note', () => {
    const engine = engineWith();
    expect(failures(engine, '198.51.100.8', T0)[0]).toMatchObject({ type: 'block', strikes: 1 });
    expect(failures(engine, '198.51.100.8', T0 + HOUR + 60_000)[0]).toMatchObject({ type: 'block', strikes: 2 });
    const third = failures(engine, '198.51.100.8', T0 + 2 * HOUR + 120_000);
    expect(third).toHaveLength(1);
    expect(third[0]).toMatchObject({ type: 'permanent', target: '198.51.100.8', strikes: 3 });
    const note = third[0]?.type === 'permanent' ? third[0].note : '';
    expect(note).toMatch(/^Blocked permanently by sipwarden on 2024-01-15T12:02:10Z: 3 strikes within 3h/);
    expect(note).toContain('failed REGISTERs within 1m');
    expect(engine.isBlocked('198.51.100.8', T0 + 1000 * HOUR)).toBe(true);
  });

  test('3 strikes spread over 4 h -> no permanent block', () => {
    const engine = engineWith();
    const all = [
      ...failures(engine, '198.51.100.8', T0),
      ...failures(engine, '198.51.100.8', T0 + 2 * HOUR),
      ...failures(engine, '198.51.100.8', T0 + 4 * HOUR),
    ];
    expect(all.map((d) => d.type)).toEqual(['block', 'block', 'block']);
    expect(all.map((d) => (d.type === 'block' ? d.strikes : 0))).toEqual([1, 2, 2]);
  });

  test('permanent.register off -> dynamic blocks only', () => {
    const engine = engineWith({ blocking: { permanent: { register: false } } });
    const all = [0, 1, 2, 3].flatMap((i) => failures(engine, '198.51.100.8', T0 + i * (HOUR + 60_000)));
    expect(all.map((d) => d.type)).toEqual(['block', 'block', 'block', 'block']);
  });

  test('allowlisted addresses are never blocked', () => {
    const engine = engineWith({ allowlist: ['198.51.100.0/24', '2001:db8:1::/48'] });
    expect(failures(engine, '198.51.100.8', T0, 50)).toEqual([]);
    expect(failures(engine, '2001:db8:1::5', T0, 50)).toEqual([]);
    expect(engine.handle(event({ attacker: '198.51.100.9', userAgent: 'friendly-scanner' })).verdict).toBe('exempt-allowlist');
  });

  test('loopback and the host own addresses are never blocked', () => {
    const engine = engineWith({}, ['192.0.2.10', '2001:db8::10']);
    for (const address of ['127.0.0.1', '::1', '192.0.2.10', '2001:db8::10']) {
      expect(failures(engine, address, T0, 50)).toEqual([]);
    }
  });
});

describe('IPv6', () => {
  test('attackers are counted and blocked by /64', () => {
    const engine = engineWith();
    const out: Decision[] = [];
    for (let i = 0; i < 11; i++) out.push(...engine.handle(event({ attacker: `2001:db8:bad:1::${i + 1}`, time: T0 + i })).decisions);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'block', target: '2001:db8:bad:1::/64', attacker: '2001:db8:bad:1::11' });
  });

  test('a /64 that holds an allowlisted host is not blocked', () => {
    const engine = engineWith({ allowlist: ['2001:db8:bad:1::100'] });
    expect(failures(engine, '2001:db8:bad:1::5', T0, 20)).toEqual([]);
  });

  test('the prefix length is configurable', () => {
    const engine = engineWith({ blocking: { ipv6Prefix: 128 } });
    expect(failures(engine, '2001:db8::5', T0)[0]).toMatchObject({ target: '2001:db8::5' });
  });
});

describe('user agents', () => {
  test('a listed User-Agent (any case, substring) blocks at once', () => {
    const engine = engineWith();
    const result = engine.handle(event({ attacker: '203.0.113.5', kind: 'invite', userAgent: 'Friendly-Scanner 1.0' }));
    expect(result.decisions).toHaveLength(1);
    expect(result.decisions[0]).toMatchObject({ type: 'block', kind: 'scanner', reason: 'User-Agent contains "friendly-scanner"' });
  });

  test('an unlisted User-Agent does nothing by itself', () => {
    const engine = engineWith();
    expect(engine.handle(event({ attacker: '203.0.113.5', kind: 'invite', userAgent: 'Yealink SIP-T46S' })).decisions).toEqual([]);
  });
});

describe('INVITE rate limiting', () => {
  const limited = { invite: { rateLimit: { enabled: true, value: 20, unit: 'minute', burst: 10 } } };

  test('log-evidence INVITEs: the 11th at once opens one episode', () => {
    const engine = engineWith(limited);
    const out: Decision[] = [];
    for (let i = 0; i < 50; i++) out.push(...engine.handle(event({ attacker: '198.51.100.8', kind: 'invite' })).decisions);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'episode', target: '198.51.100.8', evidence: 'model' });
  });

  test('kernel lines: one episode per quiet unit; a strike only when permanent.invite is on, and the evidence is not forgeable', () => {
    const off = engineWith(limited);
    const on = engineWith({ ...limited, blocking: { permanent: { invite: true } } });
    const times = [0, 10_000, 50_000, 200_000, 400_000, 600_000];
    const types = (engine: DetectionEngine, transport: 'udp' | 'tcp' | null): string[] =>
      times.flatMap((t) => engine.handle(event({ attacker: '198.51.100.8', kind: 'ratelimit', transport, time: T0 + t })).decisions.map((d) => d.type));
    expect(types(off, 'tcp')).toEqual(['episode', 'episode', 'episode', 'episode']);
    expect(types(on, 'tcp')).toEqual(['episode', 'episode', 'episode', 'permanent']);
    // A UDP source (or one the evidence does not name) can be forged: episodes, never a permanent block.
    expect(types(engineWith({ ...limited, blocking: { permanent: { invite: true } } }), 'udp')).toEqual(['episode', 'episode', 'episode', 'episode']);
    expect(types(engineWith({ ...limited, blocking: { permanent: { invite: true } } }), null)).toEqual(['episode', 'episode', 'episode', 'episode']);
    const optedIn = engineWith({ ...limited, blocking: { permanent: { invite: true, forgeable: true } } });
    expect(types(optedIn, 'udp')).toEqual(['episode', 'episode', 'episode', 'permanent']);
  });

  test('scanner User-Agents from one UDP packet block dynamically, never permanently; over TCP they may escalate', () => {
    const config = { blocking: { dynamicBlockTime: '5s', threshold: 3 } };
    const scan = (engine: DetectionEngine, transport: 'udp' | 'tcp', i: number): string[] =>
      engine
        .handle(event({ attacker: '198.51.100.9', kind: 'scanner', userAgent: 'friendly-scanner', transport, time: T0 + i * 7000 }))
        .decisions.map((d) => d.type);
    const udp = engineWith(config);
    expect([0, 1, 2, 3].flatMap((i) => scan(udp, 'udp', i))).toEqual(['block', 'block', 'block', 'block']);
    const tcp = engineWith(config);
    expect([0, 1, 2].flatMap((i) => scan(tcp, 'tcp', i))).toEqual(['block', 'block', 'permanent']);
  });

  test('log-evidence INVITEs are only journaled when the limiter is off', () => {
    const engine = engineWith();
    for (let i = 0; i < 50; i++) expect(engine.handle(event({ attacker: '198.51.100.8', kind: 'invite' })).decisions).toEqual([]);
  });
});

test('unblock lifts a block and --forget clears strikes', () => {
  const engine = engineWith();
  failures(engine, '198.51.100.8', T0);
  failures(engine, '198.51.100.8', T0 + HOUR + 60_000);
  engine.unblock('198.51.100.8', false);
  expect(engine.isBlocked('198.51.100.8', T0 + HOUR + 120_000)).toBe(false);
  expect(failures(engine, '198.51.100.8', T0 + HOUR + 180_000)[0]).toMatchObject({ type: 'permanent', strikes: 3 });
  engine.unblock('198.51.100.8', true);
  expect(failures(engine, '198.51.100.8', T0 + HOUR + 300_000)[0]).toMatchObject({ type: 'block', strikes: 1 });
});

// Which evidence a forged UDP packet can produce, and where the transport comes from.
import { describe, expect, test } from '@jest/globals';
import { isForgeable } from '../../src/detect/forgeable.js';
import { loadRuleSets } from '../../src/config/load.js';
import { LineParser, transportOf } from '../../src/parse/parse-line.js';

describe('isForgeable', () => {
  test('failed authentication from a PBX log is trusted; so is anything over TCP or TLS', () => {
    expect(isForgeable({ kind: 'register', transport: null })).toBe(false);
    expect(isForgeable({ kind: 'auth', transport: 'udp' })).toBe(false);
    expect(isForgeable({ kind: 'scanner', transport: 'tcp' })).toBe(false);
    expect(isForgeable({ kind: 'ratelimit', transport: 'tls' })).toBe(false);
  });

  test('a User-Agent, a rate-limit episode or a rejected call over UDP, or over an unknown transport, is forgeable', () => {
    for (const kind of ['scanner', 'ratelimit', 'invite'] as const) {
      expect(isForgeable({ kind, transport: 'udp' })).toBe(true);
      expect(isForgeable({ kind, transport: null })).toBe(true);
      expect(isForgeable({ kind })).toBe(true);
    }
  });
});

describe('transport from the evidence', () => {
  test('PBX and kernel spellings', () => {
    expect(['UDP', 'tcp', 'TLS', 'WS', 'wss', 'SCTP'].map(transportOf)).toEqual(['udp', 'tcp', 'tls', 'tcp', 'tls', null]);
  });

  test("kernel lines carry the kernel's own PROTO=", () => {
    const parser = new LineParser([...loadRuleSets(undefined, ['kernel']).values()], {
      kernelPrefixes: 'any',
      time: { now: Date.UTC(2024, 0, 15), bootTime: 0 },
    });
    const line = (proto: string): string =>
      `Jan 15 10:23:45 pbx kernel: [12345.678901] sipwarden-ratelimit: IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=198.51.100.8 DST=192.0.2.1 LEN=880 TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF PROTO=${proto} SPT=5070 DPT=5060 LEN=860 `;
    const transport = (text: string): unknown => {
      const outcome = parser.parse(text, 'kernel', 0);
      return outcome.type === 'event' ? outcome.event.transport : outcome.type;
    };
    expect(transport(line('UDP'))).toBe('udp');
    expect(transport(line('TCP'))).toBe('tcp');
    expect(transport(line('ICMP'))).toBeNull();
  });
});

// Packet evidence: pcap streams, NFLOG records, IP/UDP/TCP, and SIP requests, from real bytes.
import { describe, expect, test } from '@jest/globals';
import { PcapStream } from '../../src/parse/pcap-stream.js';
import { parseNflogRecord } from '../../src/parse/nflog-record.js';
import { parseIpPacket } from '../../src/parse/ip-packet.js';
import { parseSipRequest } from '../../src/parse/sip-request.js';
import { nflogRecord, pcap, sipInvite, tcpPacket, udpPacket } from '../helpers/packets.js';

const T = Date.UTC(2024, 0, 15, 10, 0, 0, 250);

describe('pcap stream', () => {
  test('records come out whole however the bytes are split', () => {
    const stream = pcap([
      { time: T, data: Buffer.from('first') },
      { time: T + 1000, data: Buffer.from('second record'), original: 99 },
    ]);
    for (const cut of [1, 7, 24, 30, 45]) {
      const reader = new PcapStream();
      const records = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      expect(records.map((r) => [r.time, Buffer.from(r.data).toString(), r.truncated, r.linkType])).toEqual([
        [T, 'first', false, 239],
        [T + 1000, 'second record', true, 239],
      ]);
    }
  });
  test('a stream that is not pcap is refused, not read', () => {
    const reader = new PcapStream();
    expect(reader.push(Buffer.from('this is not a pcap stream at all'))).toEqual([]);
    expect(reader.corrupt).toBe(true);
  });
});

describe('NFLOG + IP + SIP', () => {
  test('an IPv4 UDP INVITE with its prefix, victim, User-Agent and user', () => {
    const record = nflogRecord('sipwarden-ratelimit: ', udpPacket('198.51.100.2', '198.51.100.1', sipInvite({ userAgent: 'friendly-scanner' })));
    const nflog = parseNflogRecord(record, true);
    expect(nflog?.prefix).toBe('sipwarden-ratelimit: ');
    const packet = parseIpPacket(nflog!.packet);
    expect(packet).toMatchObject({ family: 4, source: '198.51.100.2', destination: '198.51.100.1', protocol: 'udp', sourcePort: 5080, destinationPort: 5060 });
    expect(parseSipRequest(packet!.payload)).toEqual({
      method: 'INVITE',
      requestUri: 'sip:0044123456@198.51.100.1',
      user: '1001',
      userAgent: 'friendly-scanner',
    });
  });

  test('IPv6 over TCP, compact headers, REGISTER names the To user', () => {
    const packet = parseIpPacket(tcpPacket('2001:db8::2', '2001:db8::1', sipInvite({ method: 'REGISTER', compact: true, to: '<sip:200@pbx>' })));
    expect(packet).toMatchObject({ family: 6, source: '2001:db8::2', destination: '2001:db8::1', protocol: 'tcp' });
    expect(parseSipRequest(packet!.payload)).toMatchObject({ method: 'REGISTER', user: '200', userAgent: null });
  });

  test('malformed and truncated input is null, never a throw', () => {
    expect(parseNflogRecord(Buffer.from([2, 0, 0, 1, 255, 255, 9, 0]), true)).toBeNull();
    expect(parseIpPacket(Buffer.from([0x45, 0, 0]))).toBeNull();
    expect(parseIpPacket(udpPacket('198.51.100.2', '198.51.100.1', 'x').subarray(0, 24))).toBeNull();
    expect(parseSipRequest(Buffer.from('SIP/2.0 200 OK\r\n\r\n'))).toBeNull();
    expect(parseSipRequest(Buffer.from('\u0000\u0001binary'))).toBeNull();
    const cut = parseSipRequest(Buffer.from(sipInvite({ userAgent: 'friendly-scanner' }).slice(0, 60)));
    expect(cut).toMatchObject({ method: 'INVITE', userAgent: null });
    for (let n = 0; n < 200; n++) {
      const junk = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 255));
      expect(() => parseIpPacket(junk)).not.toThrow();
      expect(() => parseNflogRecord(junk, true)).not.toThrow();
    }
  });
});

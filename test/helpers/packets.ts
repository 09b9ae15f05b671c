// Builds real packet bytes for the packet parsers: IPv4/IPv6, UDP/TCP, NFLOG records, pcap streams.
import ipaddr from 'ipaddr.js';

function bytes(address: string): number[] {
  return ipaddr.parse(address).toByteArray();
}

export function udpPacket(source: string, destination: string, payload: string, ports: [number, number] = [5080, 5060]): Uint8Array {
  const body = Buffer.from(payload);
  const udp = Buffer.alloc(8 + body.length);
  udp.writeUInt16BE(ports[0], 0);
  udp.writeUInt16BE(ports[1], 2);
  udp.writeUInt16BE(udp.length, 4);
  body.copy(udp, 8);
  return ipPacket(source, destination, 17, udp);
}

export function tcpPacket(source: string, destination: string, payload: string): Uint8Array {
  const body = Buffer.from(payload);
  const tcp = Buffer.alloc(20 + body.length);
  tcp.writeUInt16BE(40000, 0);
  tcp.writeUInt16BE(5060, 2);
  tcp[12] = 5 << 4;
  body.copy(tcp, 20);
  return ipPacket(source, destination, 6, tcp);
}

function ipPacket(source: string, destination: string, protocol: number, transport: Buffer): Uint8Array {
  if (source.includes(':')) {
    const header = Buffer.alloc(40);
    header[0] = 0x60;
    header.writeUInt16BE(transport.length, 4);
    header[6] = protocol;
    header[7] = 64;
    Buffer.from(bytes(source)).copy(header, 8);
    Buffer.from(bytes(destination)).copy(header, 24);
    return Buffer.concat([header, transport]);
  }
  const header = Buffer.alloc(20);
  header[0] = 0x45;
  header.writeUInt16BE(20 + transport.length, 2);
  header[8] = 64;
  header[9] = protocol;
  Buffer.from(bytes(source)).copy(header, 12);
  Buffer.from(bytes(destination)).copy(header, 16);
  return Buffer.concat([header, transport]);
}

function tlv(type: number, value: Uint8Array): Buffer {
  const length = 4 + value.length;
  const out = Buffer.alloc((length + 3) & ~3);
  out.writeUInt16LE(length, 0);
  out.writeUInt16LE(type, 2);
  Buffer.from(value).copy(out, 4);
  return out;
}

export function nflogRecord(prefix: string, packet: Uint8Array, family = 2): Uint8Array {
  return Buffer.concat([Buffer.from([family, 0, 0, 1]), tlv(10, Buffer.from(`${prefix}\0`)), tlv(9, packet)]);
}

export function pcap(records: Array<{ time: number; data: Uint8Array; original?: number }>, linkType = 239): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(linkType, 20);
  const parts: Buffer[] = [header];
  for (const r of records) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(Math.floor(r.time / 1000), 0);
    h.writeUInt32LE((r.time % 1000) * 1000, 4);
    h.writeUInt32LE(r.data.length, 8);
    h.writeUInt32LE(r.original ?? r.data.length, 12);
    parts.push(h, Buffer.from(r.data));
  }
  return Buffer.concat(parts);
}

export function sipInvite(options: { userAgent?: string; from?: string; to?: string; method?: string; compact?: boolean } = {}): string {
  const method = options.method ?? 'INVITE';
  const from = options.from ?? '"Bob" <sip:1001@198.51.100.2>;tag=abc';
  const to = options.to ?? '<sip:0044123456@198.51.100.1>';
  const lines = [
    `${method} sip:0044123456@198.51.100.1 SIP/2.0`,
    'Via: SIP/2.0/UDP 198.51.100.2:5080;branch=z9hG4bK-1',
    `${options.compact === true ? 'f' : 'From'}: ${from}`,
    `${options.compact === true ? 't' : 'To'}: ${to}`,
    'Call-ID: 1@198.51.100.2',
    `CSeq: 1 ${method}`,
    ...(options.userAgent === undefined ? [] : [`User-Agent: ${options.userAgent}`]),
    'Content-Length: 0',
    '',
    '',
  ];
  return lines.join('\r\n');
}

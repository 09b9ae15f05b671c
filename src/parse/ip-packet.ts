// An IPv4 or IPv6 packet -> addresses, transport, ports and payload; anything unreadable is null.
import ipaddr from 'ipaddr.js';

export interface TransportPacket {
  family: 4 | 6;
  source: string;
  destination: string;
  protocol: 'udp' | 'tcp';
  sourcePort: number;
  destinationPort: number;
  payload: Uint8Array;
}

const EXTENSION_HEADERS = new Set([0, 43, 60]);
const FRAGMENT = 44;

function address(bytes: Uint8Array): string {
  const ip = ipaddr.fromByteArray([...bytes]);
  if (ip.kind() === 'ipv4') return ip.toString();
  const v6 = ip as ipaddr.IPv6;
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toRFC5952String();
}

export function parseIpPacket(data: Uint8Array): TransportPacket | null {
  if (data.length < 1) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = (data[0] ?? 0) >> 4;
  let at: number;
  let next: number;
  let family: 4 | 6;
  let source: string;
  let destination: string;
  if (version === 4) {
    if (data.length < 20) return null;
    const ihl = ((data[0] ?? 0) & 0x0f) * 4;
    // A non-first fragment carries no transport header.
    if ((view.getUint16(6) & 0x1fff) !== 0 || ihl < 20 || data.length < ihl) return null;
    family = 4;
    next = data[9] ?? 0;
    source = address(data.subarray(12, 16));
    destination = address(data.subarray(16, 20));
    at = ihl;
  } else if (version === 6) {
    if (data.length < 40) return null;
    family = 6;
    next = data[6] ?? 0;
    source = address(data.subarray(8, 24));
    destination = address(data.subarray(24, 40));
    at = 40;
    for (let hops = 0; EXTENSION_HEADERS.has(next) || next === FRAGMENT; hops++) {
      if (hops > 8 || at + 8 > data.length) return null;
      if (next === FRAGMENT && (view.getUint16(at + 2) & 0xfff8) !== 0) return null;
      const length = next === FRAGMENT ? 8 : ((data[at + 1] ?? 0) + 1) * 8;
      next = data[at] ?? 0;
      at += length;
    }
  } else {
    return null;
  }
  if (next === 17) {
    if (at + 8 > data.length) return null;
    return {
      family,
      source,
      destination,
      protocol: 'udp',
      sourcePort: view.getUint16(at),
      destinationPort: view.getUint16(at + 2),
      payload: data.subarray(at + 8),
    };
  }
  if (next === 6) {
    if (at + 20 > data.length) return null;
    const offset = ((data[at + 12] ?? 0) >> 4) * 4;
    if (offset < 20 || at + offset > data.length) return null;
    return {
      family,
      source,
      destination,
      protocol: 'tcp',
      sourcePort: view.getUint16(at),
      destinationPort: view.getUint16(at + 2),
      payload: data.subarray(at + offset),
    };
  }
  return null;
}

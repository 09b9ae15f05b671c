// An NFLOG capture record (pcap link type 239) -> the log prefix and the logged IP packet.

export const LINKTYPE_NFLOG = 239;
const NFULA_PAYLOAD = 9;
const NFULA_PREFIX = 10;

export interface NflogRecord {
  /** 2 = IPv4, 10 = IPv6 */
  family: number;
  prefix: string;
  packet: Uint8Array;
}

/**
 * Reads the NFLOG header and its TLVs. The TLV lengths and types are in the capturing host's
 * byte order (`little`), unlike the rest of the packet.
 */
export function parseNflogRecord(data: Uint8Array, little: boolean): NflogRecord | null {
  if (data.length < 4) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const family = data[0] ?? 0;
  let prefix = '';
  let packet: Uint8Array | null = null;
  let at = 4;
  while (at + 4 <= data.length) {
    const length = view.getUint16(at, little);
    const type = view.getUint16(at + 2, little) & 0x7fff;
    if (length < 4 || at + length > data.length) return null;
    const value = data.subarray(at + 4, at + length);
    if (type === NFULA_PAYLOAD) packet = value;
    else if (type === NFULA_PREFIX) {
      const end = value.indexOf(0);
      prefix = new TextDecoder().decode(end >= 0 ? value.subarray(0, end) : value);
    }
    at += (length + 3) & ~3;
  }
  return packet === null ? null : { family, prefix, packet };
}

// A pcap byte stream (as `tcpdump -w -` writes it) -> packet records; pure and incremental.

export interface PcapRecord {
  /** ms since epoch */
  time: number;
  linkType: number;
  /** The captured bytes (possibly fewer than on the wire). */
  data: Uint8Array;
  /** Whether the capture was cut short of the packet's length. */
  truncated: boolean;
}

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
/** A record larger than this is not a packet: the stream is corrupt. */
const MAX_RECORD = 262_144;

/** Feed it chunks in order; it returns the records each chunk completes. */
export class PcapStream {
  private buffer = new Uint8Array(0);
  private view = new DataView(this.buffer.buffer);
  private little = true;
  private nano = false;
  private linkType = -1;
  /** Records that could not be read (corrupt lengths); the rest of the stream is then dropped. */
  corrupt = false;

  push(chunk: Uint8Array): PcapRecord[] {
    if (this.corrupt) return [];
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    this.buffer = joined;
    this.view = new DataView(joined.buffer, joined.byteOffset, joined.byteLength);
    let at = 0;
    const out: PcapRecord[] = [];
    if (this.linkType < 0) {
      if (joined.length < 24) return out;
      const magicLE = this.view.getUint32(0, true);
      const magicBE = this.view.getUint32(0, false);
      if (magicLE === MAGIC_MICRO || magicLE === MAGIC_NANO) this.little = true;
      else if (magicBE === MAGIC_MICRO || magicBE === MAGIC_NANO) this.little = false;
      else {
        this.corrupt = true;
        return out;
      }
      this.nano = (this.little ? magicLE : magicBE) === MAGIC_NANO;
      this.linkType = this.view.getUint32(20, this.little) & 0x0fffffff;
      at = 24;
    }
    while (joined.length - at >= 16) {
      const seconds = this.view.getUint32(at, this.little);
      const fraction = this.view.getUint32(at + 4, this.little);
      const captured = this.view.getUint32(at + 8, this.little);
      const original = this.view.getUint32(at + 12, this.little);
      if (captured > MAX_RECORD) {
        this.corrupt = true;
        break;
      }
      if (joined.length - at - 16 < captured) break;
      out.push({
        time: seconds * 1000 + Math.floor(this.nano ? fraction / 1e6 : fraction / 1e3),
        linkType: this.linkType,
        data: joined.slice(at + 16, at + 16 + captured),
        truncated: captured < original,
      });
      at += 16 + captured;
    }
    this.buffer = joined.slice(at);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    return out;
  }
}

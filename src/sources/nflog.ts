// Packets the kernel hands to an NFLOG group, read through `tcpdump -i nflog:GROUP -w -` (pcap on stdout).
import { execa, type ResultPromise } from 'execa';
import { SipwardenError } from '../model/errors.js';
import { PcapStream } from '../parse/pcap-stream.js';
import { LINKTYPE_NFLOG, parseNflogRecord } from '../parse/nflog-record.js';
import { parseIpPacket, type TransportPacket } from '../parse/ip-packet.js';
import { parseSipRequest, type SipRequest } from '../parse/sip-request.js';

export interface PacketEvidence {
  time: number;
  /** The log prefix of the rule that sent it, trimmed. */
  prefix: string;
  packet: TransportPacket;
  sip: SipRequest;
}

export interface NflogCounters {
  packets: number;
  /** Not IP, not UDP/TCP, not a SIP request, or cut short before the request line. */
  malformed: number;
}

export interface NflogSourceOptions {
  group: number;
  onEvidence: (evidence: PacketEvidence[]) => void;
  onError?: (error: Error) => void;
  /** The tcpdump program (default `tcpdump` on PATH). */
  tcpdump?: string;
}

/** Reads one NFLOG group until stopped; restarts tcpdump if it dies. */
export class NflogSource {
  readonly counters: NflogCounters = { packets: 0, malformed: 0 };
  private child: ResultPromise | null = null;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: NflogSourceOptions) {}

  start(): void {
    this.stopped = false;
    const stream = new PcapStream();
    const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    // --immediate-mode: hand each packet over at once (libpcap otherwise waits up to a second);
    // -U: write each as it comes; -s 0: whole payload (the ruleset bounds what it logs).
    const child = execa(this.options.tcpdump ?? 'tcpdump', ['-i', `nflog:${this.options.group}`, '--immediate-mode', '-U', '-s', '0', '-n', '-w', '-'], {
      reject: false,
      buffer: false,
      stdin: 'ignore',
      encoding: 'buffer',
    });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      const evidence: PacketEvidence[] = [];
      for (const record of stream.push(chunk)) {
        this.counters.packets++;
        const parsed = record.linkType === LINKTYPE_NFLOG ? parseNflogRecord(record.data, little) : null;
        const packet = parsed === null ? null : parseIpPacket(parsed.packet);
        const sip = packet === null ? null : parseSipRequest(packet.payload);
        if (parsed === null || packet === null || sip === null) {
          this.counters.malformed++;
          continue;
        }
        evidence.push({ time: record.time, prefix: parsed.prefix.trim(), packet, sip });
      }
      if (evidence.length > 0) this.options.onEvidence(evidence);
    });
    void child.then((result) => {
      if (this.stopped) return;
      const missing = (result as { code?: string }).code === 'ENOENT';
      this.options.onError?.(
        new SipwardenError(
          'KERNEL',
          missing
            ? 'tcpdump is not installed; install it (apt-get install tcpdump) or set kernel.evidence: log'
            : `tcpdump on nflog:${this.options.group} exited (${String(result.exitCode ?? result.signal)}): ${stderr.trim().split('\n').pop() ?? ''}; restarting in 5 s`,
        ),
      );
      this.restartTimer = setTimeout(() => this.start(), 5000);
      this.restartTimer.unref();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = null;
    if (child !== null) {
      child.kill('SIGTERM');
      await child;
    }
  }
}

// The typed event every parser produces and every detector consumes.

export const EVENT_KINDS = ['register', 'invite', 'auth', 'scanner', 'ratelimit'] as const;
/** register: failed REGISTER; invite: rejected/unauthenticated INVITE; auth: other auth failure;
 * scanner: blocked User-Agent; ratelimit: a kernel line for a rate-limited SIP packet. */
export type EventKind = (typeof EVENT_KINDS)[number];

/** The transport the attack arrived over, where the evidence says (the kernel's PROTO=, a packet). */
export type Transport = 'udp' | 'tcp' | 'tls';

/** Where a line of evidence was written: a PBX's ordinary messages or its security-event stream. */
export type EvidenceStream = 'message' | 'security';

export interface AttackEvent {
  /** Milliseconds since the epoch, from the evidence itself. */
  time: number;
  kind: EventKind;
  /** Canonical address the PBX or kernel observed (never taken from caller-controlled text). */
  attacker: string;
  victim: string | null;
  userAgent: string | null;
  user: string | null;
  /** Id of the rule that produced it, e.g. `asterisk.pjsip.request-failed`. */
  rule: string;
  /** The file, `kernel`, or `nflog:GROUP` the evidence came from. */
  source: string;
  stream: EvidenceStream;
  /** Absent or null when the evidence does not say. */
  transport?: Transport | null;
}

export function isEventKind(value: string): value is EventKind {
  return (EVENT_KINDS as readonly string[]).includes(value);
}

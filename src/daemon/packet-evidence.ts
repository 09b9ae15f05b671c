// Packets from the kernel -> attack events: rate-limited INVITEs always, first requests only when
// their User-Agent is a blocked one (every other first request is ordinary traffic).
import type { AttackEvent } from '../model/event.js';
import { KERNEL_PREFIX_FALLBACK, KERNEL_PREFIX_NEW, KERNEL_PREFIX_RATELIMIT } from '../config/defaults.js';
import type { UserAgentMatcher } from '../detect/user-agents.js';
import type { PacketEvidence } from '../sources/nflog.js';

const LIMITED = new Set([KERNEL_PREFIX_RATELIMIT, KERNEL_PREFIX_FALLBACK]);

export function packetEvent(evidence: PacketEvidence, userAgents: UserAgentMatcher, source: string): AttackEvent | null {
  const { packet, sip } = evidence;
  const base = {
    time: evidence.time,
    attacker: packet.source,
    victim: packet.destination,
    userAgent: sip.userAgent,
    user: sip.user,
    source,
    stream: 'message' as const,
    transport: packet.protocol,
  };
  if (LIMITED.has(evidence.prefix))
    return { ...base, kind: 'ratelimit', rule: `nflog.${evidence.prefix === KERNEL_PREFIX_RATELIMIT ? 'ratelimit' : 'fallback'}` };
  if (evidence.prefix === KERNEL_PREFIX_NEW && userAgents.match(sip.userAgent) !== null) return { ...base, kind: 'scanner', rule: 'nflog.user-agent' };
  return null;
}

// Which evidence a forged UDP packet can produce: it may block for a while, never for good by default.
import type { AttackEvent } from '../model/event.js';

/**
 * Whether one packet with a forged source address could have produced this evidence. A UDP source
 * address costs nothing to forge, so a User-Agent in one packet, a UDP rate-limit episode or a
 * rejected call names whoever the sender wanted named: the PBX's own trunk provider, say. Trusted
 * are the PBX's failed authentications (logged after a challenge round trip to the address) and
 * anything seen over TCP or TLS (a handshake proves the address).
 */
export function isForgeable(event: Pick<AttackEvent, 'kind' | 'transport'>): boolean {
  if (event.transport === 'tcp' || event.transport === 'tls') return false;
  return event.kind !== 'register' && event.kind !== 'auth';
}

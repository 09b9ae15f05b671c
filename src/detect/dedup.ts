// One failed request that a PBX writes twice (a message and a security event) counts once.
import type { AttackEvent } from '../model/event.js';

/** How far apart the two writings of one request may be stamped. */
export const PAIR_WINDOW_MS = 2000;

interface Pending {
  time: number;
  stream: AttackEvent['stream'];
  user: string | null;
}

function sameUser(a: string | null, b: string | null): boolean {
  return a === null || b === null || a.toLowerCase() === b.toLowerCase();
}

export class StreamDedup {
  private readonly pending = new Map<string, Pending[]>();

  /** True when the event is the second writing of a request already counted. */
  isDuplicate(event: AttackEvent): boolean {
    const from = event.time - PAIR_WINDOW_MS;
    const until = event.time + PAIR_WINDOW_MS;
    const list = (this.pending.get(event.attacker) ?? []).filter((p) => p.time >= from && p.time <= until);
    const partner = list.findIndex((p) => p.stream !== event.stream && sameUser(p.user, event.user));
    if (partner >= 0) {
      list.splice(partner, 1);
      this.store(event.attacker, list);
      return true;
    }
    list.push({ time: event.time, stream: event.stream, user: event.user });
    // A flood from one address only needs the most recent writings to pair against.
    if (list.length > 64) list.shift();
    this.store(event.attacker, list);
    return false;
  }

  private store(key: string, list: Pending[]): void {
    if (list.length === 0) this.pending.delete(key);
    else this.pending.set(key, list);
  }

  prune(now: number): void {
    for (const [key, list] of this.pending) if ((list[list.length - 1]?.time ?? 0) < now - PAIR_WINDOW_MS) this.pending.delete(key);
  }
}

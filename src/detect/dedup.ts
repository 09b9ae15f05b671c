// One failed request that a PBX writes twice (a message and a security event) counts once.
import type { AttackEvent } from '../model/event.js';

/** How far apart the two writings of one request may be stamped. */
export const PAIR_WINDOW_MS = 2000;

interface Pending {
  attacker: string;
  time: number;
  stream: AttackEvent['stream'];
  user: string | null;
  paired: boolean;
}

function sameUser(a: string | null, b: string | null): boolean {
  return a === null || b === null || a.toLowerCase() === b.toLowerCase();
}

/**
 * Unpaired writings wait at most PAIR_WINDOW_MS, in arrival order; memory follows the event rate
 * over two seconds, not the number of attackers ever seen.
 */
export class StreamDedup {
  private readonly byAttacker = new Map<string, Pending[]>();
  private queue: Pending[] = [];
  private head = 0;

  /** True when the event is the second writing of a request already counted. */
  isDuplicate(event: AttackEvent): boolean {
    this.expire(event.time - PAIR_WINDOW_MS);
    const list = this.byAttacker.get(event.attacker);
    if (list !== undefined) {
      const until = event.time + PAIR_WINDOW_MS;
      const partner = list.find((p) => !p.paired && p.stream !== event.stream && p.time <= until && sameUser(p.user, event.user));
      if (partner !== undefined) {
        partner.paired = true;
        return true;
      }
    }
    const pending: Pending = { attacker: event.attacker, time: event.time, stream: event.stream, user: event.user, paired: false };
    this.queue.push(pending);
    if (list === undefined) this.byAttacker.set(event.attacker, [pending]);
    else {
      list.push(pending);
      // A flood from one address only needs its most recent writings to pair against.
      if (list.length > 64) list.shift();
    }
    return false;
  }

  private expire(before: number): void {
    while (this.head < this.queue.length && (this.queue[this.head]?.time ?? Infinity) < before) {
      const old = this.queue[this.head++] as Pending;
      const list = this.byAttacker.get(old.attacker);
      if (list !== undefined) {
        const at = list.indexOf(old);
        if (at >= 0) list.splice(at, 1);
        if (list.length === 0) this.byAttacker.delete(old.attacker);
      }
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  prune(now: number): void {
    this.expire(now - PAIR_WINDOW_MS);
  }
}

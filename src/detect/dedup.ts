// One failed request that a PBX writes twice (a message and a security event) counts once.
import type { AttackEvent } from '../model/event.js';

/** How far apart the two writings of one request may be stamped. */
export const PAIR_WINDOW_MS = 2000;

/** A flood from one address only needs its most recent writings to pair against. */
const PER_ATTACKER = 64;

interface Pending {
  time: number;
  stream: AttackEvent['stream'];
  user: string | null;
  paired: boolean;
}

/** Unpaired writings by attacker: most attackers have one, kept bare rather than in a list. */
type Generation = Map<string, Pending | Pending[]>;

function sameUser(a: string | null, b: string | null): boolean {
  return a === null || b === null || a.toLowerCase() === b.toLowerCase();
}

/** Whether a held writing and an event can be the two writings of one request. */
function pairs(p: Pending, event: AttackEvent): boolean {
  return !p.paired && p.stream !== event.stream && sameUser(p.user, event.user) && Math.abs(p.time - event.time) <= PAIR_WINDOW_MS;
}

/**
 * Unpaired writings are kept in two generations of PAIR_WINDOW_MS each, and a whole generation
 * is dropped at once when it is two windows old: memory follows the event rate over a few
 * seconds, not the number of attackers ever seen. A flood writes each attacker once or twice,
 * so per writing this keeps one small object and one map entry, and forgets it without a
 * per-entry deletion (no expiry queue, no per-attacker list, no map tombstones), which is what
 * a million fresh sources used to pile up as garbage while they streamed in.
 */
export class StreamDedup {
  private current: Generation = new Map();
  private previous: Generation = new Map();
  /** The newest event time seen: generations turn on it. */
  private newest = -Infinity;
  /** When the current generation began. */
  private begun = -Infinity;

  /** True when the event is the second writing of a request already counted. */
  isDuplicate(event: AttackEvent): boolean {
    this.advance(event.time);
    const partner = this.partner(this.previous.get(event.attacker), event) ?? this.partner(this.current.get(event.attacker), event);
    if (partner !== null) {
      partner.paired = true;
      return true;
    }
    const pending: Pending = { time: event.time, stream: event.stream, user: event.user, paired: false };
    const held = this.current.get(event.attacker);
    if (held === undefined) this.current.set(event.attacker, pending);
    else if (Array.isArray(held)) {
      held.push(pending);
      if (held.length > PER_ATTACKER) held.shift();
    } else this.current.set(event.attacker, [held, pending]);
    return false;
  }

  /** The oldest unpaired writing from the other stream within the window around the event. */
  private partner(held: Pending | Pending[] | undefined, event: AttackEvent): Pending | null {
    if (held === undefined) return null;
    if (!Array.isArray(held)) return pairs(held, event) ? held : null;
    return held.find((p) => pairs(p, event)) ?? null;
  }

  /**
   * Moves the clock to `time` (it never goes back). A generation begun at B holds writings seen
   * before B + PAIR_WINDOW_MS and is dropped no earlier than B + 2 x PAIR_WINDOW_MS: only
   * writings already out of the window of the newest event go.
   */
  private advance(time: number): void {
    if (time <= this.newest) return;
    this.newest = time;
    if (time - this.begun < PAIR_WINDOW_MS) return;
    this.previous = time - this.begun < 2 * PAIR_WINDOW_MS ? this.current : new Map();
    this.current = new Map();
    this.begun = time;
  }

  prune(now: number): void {
    this.advance(now);
  }

  /** Unpaired writings held (tests and memory accounting). */
  get size(): number {
    let n = 0;
    for (const generation of [this.previous, this.current]) for (const held of generation.values()) n += Array.isArray(held) ? held.length : 1;
    return n;
  }
}

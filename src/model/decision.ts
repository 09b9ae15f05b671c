// Decisions are the only thing the enforcer, journal and notifier consume.
import type { EventKind } from './event.js';

/** The class of attack a strike belongs to; each class has its own permanent-block switch. */
export type StrikeClass = 'register' | 'invite';

export interface BlockDecision {
  type: 'block';
  time: number;
  /** Address or CIDR (IPv6 grouped by the configured prefix) to block. */
  target: string;
  /** The address that triggered it. */
  attacker: string;
  kind: EventKind;
  /** When the dynamic block ends (ms since epoch). */
  until: number;
  reason: string;
  /** Strikes in the current window, this one included. */
  strikes: number;
}

export interface PermanentDecision {
  type: 'permanent';
  time: number;
  target: string;
  attacker: string;
  kind: EventKind;
  reason: string;
  strikes: number;
  /** The automatic note: who blocked it, when and why. */
  note: string;
}

export interface EpisodeDecision {
  type: 'episode';
  time: number;
  target: string;
  attacker: string;
  /** True when the episode was opened by this decision; an episode is journaled once. */
  opened: true;
  /** Where the drop was seen: the kernel's limiter, or the userspace model fed by log evidence. */
  evidence: 'kernel' | 'model';
  victim: string | null;
  userAgent: string | null;
}

export interface UnblockDecision {
  type: 'unblock';
  time: number;
  target: string;
  reason: string;
}

export type Decision = BlockDecision | PermanentDecision | EpisodeDecision | UnblockDecision;
export type DecisionType = Decision['type'];

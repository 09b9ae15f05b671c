// The one owner of changes to blocks and the allowlist: it edits the state and tells every follower.
import type { BlockChange } from '../model/block-change.js';
import type { Decision } from '../model/decision.js';
import { allowTarget, blockByHand, disallowTarget, expireBlocks, recordDecisions, unblockTarget, type HandBlock, type StateData } from './state.js';

export type BlockFollower = (change: BlockChange) => void;

/**
 * Every change to blocks goes through here, whoever makes it (detection, a command, later the web
 * console, feeds and the fleet): the state is edited and each follower (the detection engine, in the
 * daemon) is told, so no view of the blocks is kept in step by hand.
 */
export class BlockStore {
  private readonly followers: BlockFollower[] = [];

  /** `configAllowlist` is read at each allowlist change: a reloaded config's list is seen. */
  constructor(
    readonly data: StateData,
    private readonly configAllowlist: () => readonly string[],
  ) {}

  /** Adds a follower; it is told every later change, in order. */
  follow(follower: BlockFollower): void {
    this.followers.push(follower);
  }

  /** Everything allowlisted: the config's list and what was allowed at run time. */
  allowlist(): string[] {
    return [...new Set([...this.configAllowlist(), ...this.data.allow.map((a) => a.target)])];
  }

  /** Records the detection engine's decisions; a block never shortens one already in force. */
  record(decisions: readonly Decision[]): void {
    recordDecisions(this.data, decisions);
    if (this.followers.length === 0) return;
    for (const d of decisions) {
      if (d.type === 'block') this.tell({ type: 'dynamic', target: d.target, until: d.until });
      else if (d.type === 'permanent') this.tell({ type: 'permanent', target: d.target });
      else if (d.type === 'unblock') this.tell({ type: 'lifted', target: d.target, forget: false });
    }
  }

  /** An administrator's block: a dynamic one for a duration, or a permanent one with the note. */
  blockByHand(block: HandBlock): void {
    blockByHand(this.data, block);
    if (block.duration === null) this.tell({ type: 'permanent', target: block.target });
    else {
      // A hand block replaces whatever was there, a longer dynamic block included.
      this.tell({ type: 'lifted', target: block.target, forget: false });
      this.tell({ type: 'dynamic', target: block.target, until: block.now + block.duration });
    }
  }

  /** Lifts every block on the target; `forget` also clears its strikes. Whether anything was lifted. */
  unblock(target: string, forget: boolean): boolean {
    const lifted = unblockTarget(this.data, target, forget);
    if (lifted) this.tell({ type: 'lifted', target, forget });
    return lifted;
  }

  /** Drops the dynamic blocks that have ended; returns them. */
  expire(now: number): StateData['dynamic'] {
    const ended = expireBlocks(this.data, now);
    for (const e of ended) this.tell({ type: 'expired', target: e.target, until: e.until });
    return ended;
  }

  allow(target: string, note: string | null, now: number): void {
    allowTarget(this.data, target, note, now);
    this.tell({ type: 'allowlist', entries: this.allowlist() });
  }

  /** Takes a run-time entry off the allowlist; whether it was there. */
  disallow(target: string): boolean {
    const removed = disallowTarget(this.data, target);
    if (removed) this.tell({ type: 'allowlist', entries: this.allowlist() });
    return removed;
  }

  /** The config's allowlist changed (a reload): followers get the whole list again. */
  configChanged(): void {
    this.tell({ type: 'allowlist', entries: this.allowlist() });
  }

  private tell(change: BlockChange): void {
    for (const follower of this.followers) follower(change);
  }
}

// The nftables backend: every change is one `nft -f -` transaction; state is read back with `nft -j`.
import { SipwardenError } from '../../model/errors.js';
import type { BlockDecision, Decision } from '../../model/decision.js';
import {
  applyDecisions,
  type DynamicBlock,
  type ApplyResult,
  type DesiredState,
  type EnforcerBackend,
  type EnforcerSettings,
  type ReconcileOptions,
  type ReconcileResult,
  type SetFill,
} from './backend.js';
import { blockDiff, desiredElements, diffElements, diffSize, HeldElements, type ElementMap, type SetLayout, type StagedBlocks } from './elements.js';
import { NFT_FAMILY, NFT_INTERVAL_SETS, NFT_TABLE, nftLayout, nftStructure, type NftStructure } from './nft-structure.js';
import { nftChangeScript, nftFullScript, nftTeardownScript, type ChangeScriptOptions, type SetContents } from './nft-script.js';
import { listingMatches, parseNftListing, type NftListing } from './nft-listing.js';
import { commandLine, execaRunner, kernelError, type CommandResult, type CommandRunner, type ToolHelp } from './run.js';

export interface NftablesOptions {
  settings: EnforcerSettings;
  /** Run every nft command inside this network namespace (`ip netns exec NS nft ...`); for tests. */
  netns?: string;
  /** The nft program (default `nft`, looked up on PATH). */
  nft?: string;
  runner?: CommandRunner;
}

const HELP: ToolHelp = {
  backend: 'nftables',
  tool: 'nft',
  packageName: 'nftables',
  kernelHint: 'load nf_tables (modprobe nf_tables) or use a kernel built with CONFIG_NF_TABLES, or choose backend: iptables',
  featureHint:
    'The INVITE limiter matches payload after the transport header, which needs Linux 5.16 or later; turn invite.rateLimit off or use backend: iptables',
};

/** `nft -j` gives whole seconds of expiry, read while nft starts up: differences within this are not refreshed. */
const LISTED_TOLERANCE_MS = 5000;
/** nft errors that mean the kernel no longer holds what this process believed; a reconcile repairs them. */
const STALE = /element does not exist|interval overlaps|File exists|No such file or directory/;

/** The nftables enforcer for table `inet sipwarden`. */
export class NftablesBackend implements EnforcerBackend {
  readonly name = 'nftables' as const;
  private readonly settings: EnforcerSettings;
  private readonly netns: string | undefined;
  private readonly nft: string;
  private readonly runner: CommandRunner;
  private readonly layout: SetLayout;
  /** The table these settings make, to compare listings with. */
  private readonly expected: NftStructure;
  /** An apply failed since the last reconcile: the kernel may lack what the caller's store holds. */
  private suspect = false;
  /** The state last loaded, and the elements the kernel holds since; null until known. */
  private desired: DesiredState | null = null;
  private held: HeldElements | null = null;
  /** The dynamic block list this process made for `desired` (never a caller's), which appends may grow in place. */
  private ownDynamic: DynamicBlock[] | null = null;

  constructor(options: NftablesOptions) {
    this.settings = options.settings;
    this.netns = options.netns;
    this.nft = options.nft ?? 'nft';
    this.runner = options.runner ?? execaRunner;
    this.layout = nftLayout(options.settings.ipv6Prefix);
    this.expected = nftStructure(options.settings);
  }

  private async run(args: readonly string[], input?: string): Promise<CommandResult> {
    const [file, argv] = commandLine(this.nft, args, this.netns);
    const result = await this.runner(file, argv, input);
    if (result.exitCode !== 0 && (result.spawnError !== null || /^exec of ".*" failed/m.test(result.stderr))) {
      if (file === this.nft || result.stderr.includes(`exec of "${this.nft}"`)) throw kernelError({ ...HELP, tool: this.nft }, `nft ${args.join(' ')}`, result);
    }
    if (result.spawnError !== null) throw kernelError({ ...HELP, tool: 'ip', packageName: 'iproute2' }, `ip netns exec`, result);
    return result;
  }

  /** Runs one transaction; a rejected one changed nothing. */
  private async transaction(script: string): Promise<CommandResult> {
    return this.run(['-f', '-'], script);
  }

  private async mustTransact(script: string, what: string): Promise<void> {
    const result = await this.transaction(script);
    if (result.exitCode !== 0) throw kernelError(HELP, what, result, script);
  }

  /** The table as the kernel holds it (managed sets with their elements), or null when it is missing. */
  async list(now: number): Promise<NftListing | null> {
    // Set contents one set at a time: the limiter's own sets can hold a million sources. All listed at
    // once with the structure (a set the table lacks fails harmlessly, and is not asked for). As JSON:
    // for text, nft writes and flushes each element on its own, one pipe write each, and is slower.
    const managed = this.layout.sets.map((s) => s.set);
    const [listing, contents] = await Promise.all([this.structure(), Promise.all(managed.map((name) => this.setElements(name, now)))]);
    if (!listing.table) return null;
    managed.forEach((name, i) => {
      const declared = listing.sets.get(name);
      const content = contents[i];
      if (declared === undefined || content === undefined) return;
      if (!(content instanceof Map)) throw kernelError(HELP, `nft -j list set ${NFT_FAMILY} ${NFT_TABLE} ${name}`, content);
      listing.sets.set(name, { size: declared.size, elements: content });
    });
    return listing;
  }

  /**
   * The table's chains, rules and sets without elements, from a terse listing of the whole ruleset:
   * nft 1.0.6 reads every element for `-t list table` (a second or more at 100,000 elements), but not
   * for `-t list ruleset`.
   */
  private async structure(): Promise<NftListing> {
    const result = await this.run(['-j', '-t', 'list', 'ruleset']);
    if (result.exitCode !== 0) throw kernelError(HELP, 'nft -j -t list ruleset', result);
    return parseNftListing(result.stdout, 0);
  }

  /**
   * One set's elements, or the failed listing. Listed expiries count from when nft started, which is
   * when it reads them from the kernel: counted from when the listing ends, a listing that takes
   * seconds on a loaded machine would put every element outside the refresh tolerance.
   */
  private async setElements(name: string, now: number): Promise<Map<string, number | null> | CommandResult> {
    const readAt = Math.max(now, Date.now());
    const result = await this.listSet(name);
    if (result.exitCode !== 0) return result;
    return parseNftListing(result.stdout, readAt).sets.get(name)?.elements ?? new Map<string, number | null>();
  }

  /** The size a set is declared with. */
  private capacity(name: string): number {
    return name.startsWith('block') ? this.settings.setSizes.blocks : this.settings.setSizes.lists;
  }

  private checkCapacity(elements: ElementMap): void {
    const problems: string[] = [];
    for (const [name, values] of elements) {
      const size = this.capacity(name);
      const key = name.startsWith('block') ? 'kernel.setSizes.blocks' : 'kernel.setSizes.lists';
      if (values.size > size) problems.push(`set ${name} would hold ${values.size} elements; its size is ${size} (${key})`);
    }
    if (problems.length > 0) {
      throw new SipwardenError('KERNEL', `nftables: ${problems.length} set(s) too small; nothing was changed`, { details: problems });
    }
  }

  /**
   * The caller's state (its store) reconciled: once it succeeds the kernel holds what the store does,
   * and later quick reconciles trust what this process applies; a failure leaves the next one to
   * compare.
   */
  async reconcile(state: DesiredState, now: number, options: ReconcileOptions = {}): Promise<ReconcileResult> {
    try {
      const quick = options.quick === true && this.held !== null ? await this.quickReconcile(state, now) : null;
      const result = quick ?? (await this.fullReconcile(state, now));
      this.suspect = false;
      return result;
    } catch (error) {
      this.suspect = true;
      throw error;
    }
  }

  /**
   * Lists the whole table and repairs it towards `state`. Used for repairs inside apply too, where
   * `state` is this process's own view, not the caller's store: those leave `suspect` as it is.
   */
  private async fullReconcile(state: DesiredState, now: number, listedAlready?: NftListing | null): Promise<ReconcileResult> {
    // nft lists the table in processes of its own while the desired elements are worked out here.
    const listed = listedAlready === undefined ? this.list(now) : Promise.resolve(listedAlready);
    // A failed listing is reported where it is awaited below, or not at all when the state is refused.
    listed.catch(() => undefined);
    const { elements } = desiredElements(state, now, this.layout);
    this.checkCapacity(elements);
    const listing = await listed;
    const result: ReconcileResult = { rebuilt: false, transactions: 0, added: 0, removed: 0, refreshed: 0 };
    if (listing === null || !listingMatches(listing, this.expected)) {
      // Timeouts are relative to when the kernel gets them: measured now, not at the caller's `now`.
      await this.mustTransact(nftFullScript(this.settings, elements, Math.max(now, Date.now())), `load table ${NFT_FAMILY} ${NFT_TABLE}`);
      let count = 0;
      for (const values of elements.values()) count += values.size;
      Object.assign(result, { rebuilt: true, transactions: 1, added: count });
    } else {
      const current: ElementMap = new Map();
      for (const [name, set] of listing.sets) current.set(name, set.elements);
      const diff = diffElements(current, elements, LISTED_TOLERANCE_MS, NFT_INTERVAL_SETS);
      const script = nftChangeScript(diff, Math.max(now, Date.now()), this.scriptOptions(contentsOf(elements)));
      if (script !== '') {
        await this.mustTransact(script, `reconcile ${diffSize(diff)} element(s)`);
        Object.assign(result, {
          transactions: 1,
          added: diff.add.length,
          removed: diff.remove.length + diff.superseded.length,
          refreshed: diff.refresh.length,
        });
      }
    }
    this.desired = state;
    this.held = new HeldElements(elements, NFT_INTERVAL_SETS);
    return result;
  }

  /**
   * A reconcile without listing elements (at 100,000 blocks a listing costs nft a second or more, and
   * holds up every block behind it): the table's structure is read and, when an apply failed since the
   * last reconcile, the desired elements are compared with those this process put in the kernel
   * (otherwise every change of the state came through apply, and they agree). Null when the
   * structure is missing or out of date, for a full reconcile to rebuild.
   */
  private async quickReconcile(state: DesiredState, now: number): Promise<ReconcileResult | null> {
    const held = this.held;
    if (held === null || !listingMatches(await this.structure(), this.expected)) return null;
    if (!this.suspect) return { rebuilt: false, transactions: 0, added: 0, removed: 0, refreshed: 0 };
    const { elements } = desiredElements(state, now, this.layout);
    this.checkCapacity(elements);
    const diff = diffElements(held.live(now), elements, 0, NFT_INTERVAL_SETS);
    const script = nftChangeScript(diff, Math.max(now, Date.now()), this.scriptOptions(contentsOf(elements)));
    const result: ReconcileResult = { rebuilt: false, transactions: 0, added: 0, removed: 0, refreshed: 0 };
    if (script !== '') {
      const outcome = await this.transaction(script);
      if (outcome.exitCode !== 0) {
        // The kernel no longer holds what this process believed: read it all.
        if (STALE.test(outcome.stderr)) return null;
        throw kernelError(HELP, `reconcile ${diffSize(diff)} element(s)`, outcome, script);
      }
      Object.assign(result, { transactions: 1, added: diff.add.length, removed: diff.remove.length + diff.superseded.length, refreshed: diff.refresh.length });
    }
    this.desired = state;
    this.held = new HeldElements(elements, NFT_INTERVAL_SETS);
    return result;
  }

  async apply(decisions: readonly Decision[], now: number): Promise<ApplyResult> {
    try {
      return await this.applyDecisions(decisions, now);
    } catch (error) {
      // What the caller recorded may now be missing from the kernel: the next quick reconcile compares.
      this.suspect = true;
      throw error;
    }
  }

  private async applyDecisions(decisions: readonly Decision[], now: number): Promise<ApplyResult> {
    if (this.desired === null || this.held === null) {
      // First use in this process: start from what the kernel holds (listed once, for both steps).
      const listing = await this.list(now);
      // A table of another ruleset may group IPv6 by another prefix length: its prefix sets cannot be read.
      const base = listing === null ? { allow: [], deny: [], dynamic: [] } : stateFromListing(listing, this.layout, listingMatches(listing, this.expected));
      const result = await this.fullReconcile(applyDecisions(base, decisions), now, listing);
      return { transactions: result.transactions, added: result.added, removed: result.removed, refreshed: result.refreshed };
    }
    const blocks = blocksOnly(decisions);
    const staged = blocks === null ? null : blockDiff(this.held, blocks, now, this.layout);
    if (blocks !== null && staged !== null) {
      if (this.fits(this.held, staged)) return this.applyBlocks(this.desired, this.held, decisions, blocks, staged, now);
      staged.undo();
    }
    return this.applyState(this.desired, this.held, decisions, now);
  }

  /** Whether a staged batch's additions fit their sets, counting expired elements too; when in doubt the full path checks exactly. */
  private fits(held: HeldElements, staged: StagedBlocks): boolean {
    const sets = new Set<string>();
    for (const { set } of staged.diff.add) sets.add(set);
    return [...sets].every((set) => held.count(set) <= this.capacity(set));
  }

  private scriptOptions(contents: SetContents): ChangeScriptOptions {
    return { contents, setTimeoutMs: this.settings.blockTimeoutMs };
  }

  /** A batch of blocks alone, already staged in `held`: its own elements go to the kernel, without a pass over the whole state. */
  private async applyBlocks(
    desired: DesiredState,
    held: HeldElements,
    decisions: readonly Decision[],
    blocks: readonly DynamicBlock[],
    staged: StagedBlocks,
    now: number,
  ): Promise<ApplyResult> {
    const { diff } = staged;
    let script: string;
    try {
      script = nftChangeScript(
        diff,
        Math.max(now, Date.now()),
        this.scriptOptions((set) => held.liveValues(set, now)),
      );
      const repaired = script === '' ? null : await this.applyTransaction(script, decisions, () => applyDecisions(desired, decisions), now);
      if (repaired !== null) return repaired;
    } catch (error) {
      // Not in the kernel: what the batch wrote into `held` must not be taken for what the kernel holds.
      staged.undo();
      throw error;
    }
    // Appended rather than merged (a merge is a pass over the whole state): a repeated target takes its
    // latest expiry wherever the state is read, and the next reconcile replaces the state whole. The
    // caller's array is copied once; after that the list is this process's own, appended in place.
    const dynamic = desired.dynamic === this.ownDynamic ? this.ownDynamic : desired.dynamic.slice();
    for (const b of blocks) if (b.until > now) dynamic.push({ target: b.target, until: b.until });
    this.ownDynamic = dynamic;
    this.desired = { ...desired, dynamic };
    return { transactions: script === '' ? 0 : 1, added: diff.add.length, removed: 0, refreshed: diff.refresh.length };
  }

  /** Any batch: the whole desired state after it, against what the kernel holds. */
  private async applyState(desired: DesiredState, held: HeldElements, decisions: readonly Decision[], now: number): Promise<ApplyResult> {
    const next = applyDecisions(desired, decisions);
    const { elements } = desiredElements(next, now, this.layout);
    this.checkCapacity(elements);
    // Expired blocks are gone from the kernel already.
    const diff = diffElements(held.live(now), elements, 0, NFT_INTERVAL_SETS);
    const script = nftChangeScript(diff, Math.max(now, Date.now()), this.scriptOptions(contentsOf(elements)));
    if (script !== '') {
      const repaired = await this.applyTransaction(script, decisions, () => next, now);
      if (repaired !== null) return repaired;
    }
    this.desired = next;
    if (script !== '') this.held = new HeldElements(elements, NFT_INTERVAL_SETS);
    return {
      transactions: script === '' ? 0 : 1,
      added: diff.add.length,
      removed: diff.remove.length + diff.superseded.length,
      refreshed: diff.refresh.length,
    };
  }

  /**
   * Runs an apply's transaction: null when the kernel took it. A rejection saying the kernel no longer
   * holds what this process believed (a flush, an expiry) is repaired by a reconcile towards `next`,
   * whose result is returned; any other rejection throws.
   */
  private async applyTransaction(script: string, decisions: readonly Decision[], next: () => DesiredState, now: number): Promise<ApplyResult | null> {
    const outcome = await this.transaction(script);
    if (outcome.exitCode === 0) return null;
    if (!STALE.test(outcome.stderr)) throw kernelError(HELP, `apply ${decisions.length} decision(s)`, outcome, script);
    const repaired = await this.fullReconcile(next(), now);
    return { ...repaired, transactions: repaired.transactions + 1 };
  }

  async teardown(): Promise<void> {
    await this.mustTransact(nftTeardownScript(), `delete table ${NFT_FAMILY} ${NFT_TABLE}`);
    this.desired = null;
    this.held = null;
  }

  rulesText(state: DesiredState, now: number): string {
    return nftFullScript(this.settings, desiredElements(state, now, this.layout).elements, now);
  }

  /** Named counters of the table (`deny_drop`, `ratelimit_drop`, ...), in packets. */
  async counters(): Promise<Record<string, number>> {
    const result = await this.run(['-j', 'list', 'counters', 'table', NFT_FAMILY, NFT_TABLE]);
    if (result.exitCode !== 0) throw kernelError(HELP, 'nft -j list counters', result);
    const out: Record<string, number> = {};
    for (const match of result.stdout.matchAll(/"counter": \{[^{}]*?"name": "([a-z_]+)"[^{}]*?"packets": (\d+)/g)) {
      out[match[1] ?? ''] = Number(match[2]);
    }
    return out;
  }

  /**
   * How full each declared set is (elements and size), for `status` and the daemon's warnings.
   * `packetSets: false` leaves out the sets the kernel fills from packets (limiter, episode, probe):
   * nft lists a million such entries in tens of seconds, too much for a check every reconcile, and
   * a full limiter set shows in the fallback counter anyway. The blocking sets are then counted from
   * what this process holds in the kernel, when it knows, without listing them again.
   */
  async fill(options: { packetSets?: boolean; now?: number } = {}): Promise<SetFill[]> {
    const listing = await this.structure();
    if (!listing.table) throw new SipwardenError('KERNEL', `nftables: table ${NFT_FAMILY} ${NFT_TABLE} is missing`);
    const managed = new Set(this.layout.sets.map((s) => s.set));
    const held = this.held;
    const now = options.now ?? Date.now();
    const fills: SetFill[] = [];
    // One set at a time: a limiter set's listing can run to a million entries.
    for (const [name, declared] of listing.sets) {
      if (options.packetSets === false && !managed.has(name)) continue;
      const known = held?.liveCount(name, now);
      fills.push({ name, elements: known ?? (await this.count(name)), size: declared.size ?? 0 });
    }
    return fills;
  }

  private async listSet(name: string): Promise<CommandResult> {
    return this.run(['-j', 'list', 'set', NFT_FAMILY, NFT_TABLE, name]);
  }

  /** Elements of one set, listed. */
  private async count(name: string): Promise<number> {
    const result = await this.listSet(name);
    if (result.exitCode !== 0) throw kernelError(HELP, `nft -j list set ${name}`, result);
    // Limiter entries carry a `limit` statement the parser skips; count elements by their keys.
    return (result.stdout.match(/"elem": \{/g) ?? []).length || (parseNftListing(result.stdout, 0).sets.get(name)?.elements.size ?? 0);
  }
}

/** A set's elements in `elements`, for rewriting it whole. */
function contentsOf(elements: ElementMap): SetContents {
  return (set) => elements.get(set) ?? new Map<string, number | null>();
}

/** The blocks of a batch that only blocks (episodes aside: the kernel's limiter acted), or null when it also unblocks or denies. */
function blocksOnly(decisions: readonly Decision[]): readonly BlockDecision[] | null {
  let episodes = 0;
  for (const decision of decisions) {
    if (decision.type === 'episode') episodes++;
    else if (decision.type !== 'block') return null;
  }
  // Mostly blocks alone: the batch itself, not a copy of it.
  return episodes === 0 ? (decisions as readonly BlockDecision[]) : decisions.filter((d): d is BlockDecision => d.type === 'block');
}

/** The desired state a listed table implies (used when a process starts with no state of its own). */
function stateFromListing(listing: NftListing, layout: SetLayout, prefixSetsReadable: boolean): DesiredState {
  const state = { allow: [] as string[], deny: [] as string[], dynamic: [] as DynamicBlock[] };
  for (const { set, prefix } of layout.sets) {
    // Read with the wrong length, a /64 would come back as a /48, 65,536 times wider; left out, it
    // returns with the daemon's next reconcile from its store.
    if (prefix !== undefined && !prefixSetsReadable) continue;
    for (const [value, until] of listing.sets.get(set)?.elements ?? []) {
      // A range listed as `from-to` is not one CIDR: the next reconcile replaces it.
      if (value.includes('-')) continue;
      const target = prefix === undefined ? value : `${value}/${prefix}`;
      if (set.startsWith('allow')) state.allow.push(target);
      else if (set.startsWith('deny')) state.deny.push(target);
      else if (until !== null) state.dynamic.push({ target, until });
    }
  }
  return state;
}

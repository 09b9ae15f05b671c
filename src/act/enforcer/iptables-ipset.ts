// The iptables + ipset backend: sets through `ipset restore`, rules through `iptables-restore --noflush`.
import type { Decision } from '../../model/decision.js';
import { applyDecisions, type ApplyResult, type DesiredState, type EnforcerBackend, type EnforcerSettings, type ReconcileResult } from './backend.js';
import { desiredElements, diffElements, type ElementMap } from './elements.js';
import {
  CHAIN,
  CHAINS,
  IPSET_LAYOUT,
  IPT_TABLE,
  iptablesRules,
  iptablesTeardownScript,
  ipsetChangeScript,
  ipsetFullScript,
  ipsetTeardownScript,
  parseIpsetSave,
} from './ipset-script.js';
import { commandLine, execaRunner, kernelError, type CommandResult, type CommandRunner, type ToolHelp } from './run.js';

export interface IptablesOptions {
  settings: EnforcerSettings;
  /** Run every command inside this network namespace (`ip netns exec NS ...`); for tests. */
  netns?: string;
  runner?: CommandRunner;
}

const help = (tool: string, packageName: string): ToolHelp => ({
  backend: 'iptables',
  tool,
  packageName,
  kernelHint: 'load the ip_tables/ip_set modules or use a kernel with netfilter, or choose backend: nftables',
  featureHint:
    'The ruleset uses the set, string, hashlimit, recent, multiport and comment matches; load their modules (xt_set, xt_string, xt_hashlimit, xt_recent)',
});
const IPSET = help('ipset', 'ipset');
const RESTORE: Record<4 | 6, ToolHelp> = { 4: help('iptables-restore', 'iptables'), 6: help('ip6tables-restore', 'iptables') };
const TOOL: Record<4 | 6, string> = { 4: 'iptables', 6: 'ip6tables' };
const LISTED_TOLERANCE_MS = 5000;

/** The iptables + ipset enforcer: chains SIPWARDEN* in the raw table, sets sipwarden-*. */
export class IptablesBackend implements EnforcerBackend {
  readonly name = 'iptables' as const;
  private readonly settings: EnforcerSettings;
  private readonly netns: string | undefined;
  private readonly runner: CommandRunner;
  private desired: DesiredState | null = null;

  constructor(options: IptablesOptions) {
    this.settings = options.settings;
    this.netns = options.netns;
    this.runner = options.runner ?? execaRunner;
  }

  private async run(tool: string, args: readonly string[], input?: string): Promise<CommandResult> {
    const [file, argv] = commandLine(tool, args, this.netns);
    const result = await this.runner(file, argv, input);
    if (result.spawnError !== null) throw kernelError(help(file, file === 'ip' ? 'iproute2' : 'iptables'), `${tool} ${args.join(' ')}`, result);
    return result;
  }

  private async must(tool: string, args: readonly string[], what: ToolHelp, input?: string): Promise<CommandResult> {
    const result = await this.run(tool, args, input);
    if (result.exitCode !== 0) throw kernelError(what, `${tool} ${args.join(' ')}`, result, input);
    return result;
  }

  private async hooked(family: 4 | 6): Promise<boolean> {
    const result = await this.run(TOOL[family], ['-w', '-t', IPT_TABLE, '-C', 'PREROUTING', '-j', CHAIN]);
    if (result.exitCode === 0) return true;
    if (/Bad rule|does a matching rule exist|No chain\/target\/match|Chain '.*' does not exist/i.test(result.stderr)) return false;
    throw kernelError(RESTORE[family], `${TOOL[family]} -t ${IPT_TABLE} -C PREROUTING -j ${CHAIN}`, result);
  }

  /** Our chains that exist, and the rules of each as `iptables -S` prints them. */
  private async chains(family: 4 | 6): Promise<Map<string, string[]>> {
    const result = await this.run(TOOL[family], ['-w', '-t', IPT_TABLE, '-S']);
    if (result.exitCode !== 0) throw kernelError(RESTORE[family], `${TOOL[family]} -t ${IPT_TABLE} -S`, result);
    const out = new Map<string, string[]>();
    for (const line of result.stdout.split('\n')) {
      const words = line.split(' ');
      const name = words[1] ?? '';
      if (!(CHAINS as readonly string[]).includes(name)) continue;
      if (words[0] === '-N') out.set(name, out.get(name) ?? []);
      if (words[0] === '-A') out.set(name, [...(out.get(name) ?? []), line]);
    }
    return out;
  }

  private async ipsetElements(now: number): Promise<ElementMap> {
    const result = await this.run('ipset', ['save']);
    if (result.exitCode !== 0) throw kernelError(IPSET, 'ipset save', result);
    return parseIpsetSave(result.stdout, Math.max(now, Date.now()));
  }

  async reconcile(state: DesiredState, now: number): Promise<ReconcileResult> {
    const { elements } = desiredElements(state, now, IPSET_LAYOUT);
    const current = await this.ipsetElements(now);
    const result: ReconcileResult = { rebuilt: false, transactions: 0, added: 0, removed: 0, refreshed: 0 };
    const allSets = IPSET_LAYOUT.sets.every((s) => current.has(s.set));
    if (!allSets) {
      const script = ipsetFullScript(this.settings, elements, Math.max(now, Date.now()));
      await this.must('ipset', ['restore'], IPSET, script);
      let count = 0;
      for (const values of elements.values()) count += values.size;
      Object.assign(result, { rebuilt: true, transactions: 1, added: count });
    } else {
      const diff = diffElements(current, elements, LISTED_TOLERANCE_MS, new Set());
      const script = ipsetChangeScript(diff, Math.max(now, Date.now()));
      if (script !== '') {
        await this.must('ipset', ['restore'], IPSET, script);
        Object.assign(result, { transactions: 1, added: diff.add.length, removed: diff.remove.length, refreshed: diff.refresh.length });
      }
    }
    for (const family of [4, 6] as const) {
      const hooked = await this.hooked(family);
      const rules = iptablesRules(this.settings, family, hooked);
      const present = await this.chains(family);
      const intact =
        hooked &&
        Object.entries(rules.chains).every(([name, count]) => present.get(name)?.length === count) &&
        (present.get(CHAIN)?.[0] ?? '').includes(`sipwarden ruleset ${rules.fingerprint}`);
      if (intact) continue;
      await this.must(`${TOOL[family]}-restore`, ['-w', '--noflush'], RESTORE[family], rules.script);
      result.rebuilt = true;
      result.transactions += 1;
    }
    this.desired = state;
    return result;
  }

  async apply(decisions: readonly Decision[], now: number): Promise<ApplyResult> {
    if (this.desired === null) {
      const current = await this.ipsetElements(now);
      const list = (prefix: string): string[] =>
        [4, 6].flatMap((f) => [...(current.get(`sipwarden-${prefix}${f}`) ?? new Map<string, number | null>()).keys()]);
      const dynamic = [4, 6].flatMap((f) =>
        [...(current.get(`sipwarden-block${f}`) ?? new Map<string, number | null>())].map(([target, until]) => ({ target, until: until ?? now })),
      );
      const result = await this.reconcile(applyDecisions({ allow: list('allow'), deny: list('deny'), dynamic }, decisions), now);
      return { transactions: result.transactions, added: result.added, removed: result.removed, refreshed: result.refreshed };
    }
    const before = desiredElements(this.desired, now, IPSET_LAYOUT).elements;
    const next = applyDecisions(this.desired, decisions);
    const after = desiredElements(next, now, IPSET_LAYOUT).elements;
    const diff = diffElements(before, after, 0, new Set());
    const script = ipsetChangeScript(diff, Math.max(now, Date.now()));
    if (script !== '') await this.must('ipset', ['restore'], IPSET, script);
    this.desired = next;
    return { transactions: script === '' ? 0 : 1, added: diff.add.length, removed: diff.remove.length, refreshed: diff.refresh.length };
  }

  async teardown(): Promise<void> {
    for (const family of [4, 6] as const) {
      const hooked = await this.hooked(family);
      const present = [...(await this.chains(family)).keys()];
      if (!hooked && present.length === 0) continue;
      await this.must(`${TOOL[family]}-restore`, ['-w', '--noflush'], RESTORE[family], iptablesTeardownScript(hooked, present));
    }
    const names = await this.run('ipset', ['list', '-n']);
    if (names.exitCode !== 0) throw kernelError(IPSET, 'ipset list -n', names);
    const script = ipsetTeardownScript(names.stdout.split('\n').map((n) => n.trim()));
    if (script !== '') await this.must('ipset', ['restore'], IPSET, script);
    this.desired = null;
  }

  rulesText(state: DesiredState, now: number): string {
    const elements = desiredElements(state, now, IPSET_LAYOUT).elements;
    return [
      '# ipset restore',
      ipsetFullScript(this.settings, elements, now).trimEnd(),
      '# iptables-restore --noflush',
      iptablesRules(this.settings, 4, false).script.trimEnd(),
      '# ip6tables-restore --noflush',
      iptablesRules(this.settings, 6, false).script.trimEnd(),
      '',
    ].join('\n');
  }

  /** Packets each rule of the rate-limit chain has seen: [episode drops, logged, first-drop drops]. */
  async rateLimitCounters(family: 4 | 6): Promise<number[]> {
    const result = await this.must(TOOL[family], ['-w', '-t', IPT_TABLE, '-L', 'SIPWARDEN-RATELIMIT', '-v', '-x', '-n'], RESTORE[family]);
    return result.stdout
      .split('\n')
      .slice(2)
      .filter((l) => l.trim() !== '')
      .map((l) => Number(l.trim().split(/\s+/)[0]));
  }
}

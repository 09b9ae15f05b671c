// What every command starts from: the config, and the rule files compiled on first use.
import { loadConfig, loadRuleSets, ruleFormats, BUILTIN_RULES_DIR } from './load.js';
import type { Config } from './types.js';
import type { RuleSet } from '../parse/rule-file.js';

/** Rule sets by format, compiled when first asked for. */
export class RuleLibrary {
  private readonly compiled = new Map<string, RuleSet>();
  constructor(
    readonly formats: readonly string[],
    private readonly dir: string = BUILTIN_RULES_DIR,
  ) {}

  has(format: string): boolean {
    return this.formats.includes(format);
  }

  /** The formats' rule sets, compiled once each (every error of every file at once). */
  get(formats: readonly string[]): RuleSet[] {
    const missing = formats.filter((f) => !this.compiled.has(f));
    if (missing.length > 0) for (const [format, set] of loadRuleSets(this.dir, missing)) this.compiled.set(format, set);
    return formats.map((f) => this.compiled.get(f) as RuleSet);
  }
}

export interface CommandContext {
  config: Config;
  configPath: string | null;
  rules: RuleLibrary;
}

export function loadContext(configPath: string | undefined): CommandContext {
  const rules = new RuleLibrary(ruleFormats(BUILTIN_RULES_DIR));
  const { config, path } = loadConfig(configPath, rules.formats);
  return { config, configPath: path, rules };
}

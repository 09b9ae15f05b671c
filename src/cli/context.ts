// What every command starts from: the config and rule files, loaded once.
import { loadConfig, loadRuleSets, BUILTIN_RULES_DIR } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { RuleSet } from '../parse/rule-file.js';

export interface CommandContext {
  config: Config;
  configPath: string | null;
  ruleSets: Map<string, RuleSet>;
}

export function loadContext(configPath: string | undefined): CommandContext {
  const ruleSets = loadRuleSets(BUILTIN_RULES_DIR);
  const { config, path } = loadConfig(configPath, [...ruleSets.keys()]);
  return { config, configPath: path, ruleSets };
}

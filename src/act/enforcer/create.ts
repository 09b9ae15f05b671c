// Chooses the enforcer backend the config names (nftables, or iptables + ipset) and builds it.
import type { Config } from '../../config/types.js';
import { enforcerSettings, type EnforcerBackend } from './backend.js';
import { IptablesBackend } from './iptables-ipset.js';
import { NftablesBackend } from './nftables.js';
import type { CommandRunner } from './run.js';

export interface CreateEnforcerOptions {
  config: Config;
  /** Overrides `config.backend`. */
  backend?: 'nftables' | 'iptables';
  /** Run every command inside this network namespace (tests). */
  netns?: string;
  runner?: CommandRunner;
}

/** The backend the config (or the override) names, with settings taken from the config. */
export function createEnforcer(options: CreateEnforcerOptions): EnforcerBackend {
  const settings = enforcerSettings(options.config);
  const common = {
    settings,
    ...(options.netns === undefined ? {} : { netns: options.netns }),
    ...(options.runner === undefined ? {} : { runner: options.runner }),
  };
  return (options.backend ?? options.config.backend) === 'iptables' ? new IptablesBackend(common) : new NftablesBackend(common);
}

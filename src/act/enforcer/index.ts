// Enforcer stage: the backend contract, the nftables and iptables + ipset backends, and their pure script builders.
import type { Config } from '../../config/types.js';
import { enforcerSettings, type EnforcerBackend } from './backend.js';
import { IptablesBackend } from './iptables-ipset.js';
import { NftablesBackend } from './nftables.js';
import type { CommandRunner } from './run.js';

export {
  applyDecisions,
  enforcerSettings,
  EMPTY_STATE,
  type ApplyResult,
  type DesiredState,
  type DynamicBlock,
  type EnforcerBackend,
  type EnforcerSettings,
  type ReconcileResult,
  type SetFill,
} from './backend.js';
export { desiredElements, diffElements, type ElementDiff, type ElementMap, type SetLayout } from './elements.js';
export { NFT_LAYOUT, NFT_TABLE, nftFullScript, nftChangeScript, nftStructure, nftTeardownScript, parseNftListing } from './nft-script.js';
export { IPSET_LAYOUT, ipsetFullScript, ipsetChangeScript, iptablesRules, parseIpsetSave } from './ipset-script.js';
export { NftablesBackend, type NftablesOptions } from './nftables.js';
export { IptablesBackend, type IptablesOptions } from './iptables-ipset.js';
export { execaRunner, type CommandRunner, type CommandResult } from './run.js';

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

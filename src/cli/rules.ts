// `sipwarden rules`: the exact ruleset a start would load, printed without touching the kernel.
import type { Argv } from 'yargs';
import { loadContext } from '../config/context.js';

interface RulesArgs {
  config?: string;
  backend?: 'nft' | 'iptables';
}

export function rulesCommand(yargs: Argv): Argv {
  return yargs.command<RulesArgs>(
    'rules',
    'Print the exact ruleset that would be loaded (dry run; no privileges needed)',
    (y) =>
      y.option('backend', {
        type: 'string',
        choices: ['nft', 'iptables'],
        describe: "backend to print for (default: the config's backend)",
      }) as unknown as Argv<RulesArgs>,
    async (args) => {
      const { createEnforcer } = await import('../act/enforcer/create.js');
      const context = loadContext(args.config);
      const backend = args.backend === undefined ? undefined : args.backend === 'nft' ? 'nftables' : 'iptables';
      const enforcer = createEnforcer({ config: context.config, ...(backend === undefined ? {} : { backend }) });
      // The store's blocks are the daemon's; the dry run shows the ruleset with the config's allowlist.
      process.stdout.write(enforcer.rulesText({ allow: context.config.allowlist, deny: [], dynamic: [] }, Date.now()));
    },
  );
}

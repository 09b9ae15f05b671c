// `sipwarden unblock`: lifts every block on an address or range.
import type { Argv } from 'yargs';
import { unblockOperation } from '../daemon/operations.js';
import { runRequest } from './remote.js';
import { jsonOption, kernelOption, out, type ListCommonArgs } from './list-options.js';

export function unblockCommand(yargs: Argv): Argv {
  return yargs.command<ListCommonArgs & { target: string; forget: boolean }>(
    'unblock <target>',
    'Lift every block on an address or range, in the store and the kernel at once',
    (y) =>
      y
        .positional('target', { type: 'string', demandOption: true })
        .option('forget', { type: 'boolean', default: false, describe: 'also clear its strikes' })
        .option('kernel', kernelOption)
        .option('json', jsonOption) as unknown as Argv<ListCommonArgs & { target: string; forget: boolean }>,
    async (args) => {
      const request = { command: 'unblock' as const, target: args.target, forget: args.forget };
      const { result } = await runRequest({ configPath: args.config, kernel: args.kernel }, request, true, async (ctx) =>
        unblockOperation(ctx, args.target, args.forget),
      );
      if (args.json) out(JSON.stringify(result));
      else out(`unblocked ${result.target}${args.forget ? ' and cleared its strikes' : ''}`);
    },
  );
}

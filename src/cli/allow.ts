// `sipwarden allow add|remove|list`: the allowlist, exempt from everything.
import type { Argv } from 'yargs';
import { allowAddOperation, allowRemoveOperation, listEntries } from '../daemon/operations.js';
import { runRequest } from './remote.js';
import { jsonOption, kernelOption, out, rowsTable, type ListCommonArgs } from './list-options.js';

export function allowCommand(yargs: Argv): Argv {
  return yargs.command('allow', 'The allowlist: addresses and ranges exempt from everything', (y) =>
    y
      .command<ListCommonArgs & { target: string; note?: string }>(
        'add <target>',
        'Allowlist an address or range (lifts its blocks)',
        (c) =>
          c
            .positional('target', { type: 'string', demandOption: true })
            .option('note', { type: 'string' })
            .option('kernel', kernelOption)
            .option('json', jsonOption) as unknown as Argv<ListCommonArgs & { target: string; note?: string }>,
        async (args) => {
          const request = { command: 'allow-add' as const, target: args.target, note: args.note ?? null };
          const { result } = await runRequest({ configPath: args.config, kernel: args.kernel }, request, true, async (ctx) =>
            allowAddOperation(ctx, args.target, args.note ?? null),
          );
          if (args.json) out(JSON.stringify(result));
          else out(`allowed ${result.target}${result.lifted.length > 0 ? `; lifted the blocks on ${result.lifted.join(', ')}` : ''}`);
        },
      )
      .command<ListCommonArgs & { target: string }>(
        'remove <target>',
        'Take an address or range off the allowlist',
        (c) =>
          c.positional('target', { type: 'string', demandOption: true }).option('kernel', kernelOption).option('json', jsonOption) as unknown as Argv<
            ListCommonArgs & { target: string }
          >,
        async (args) => {
          const request = { command: 'allow-remove' as const, target: args.target };
          const { result } = await runRequest({ configPath: args.config, kernel: args.kernel }, request, true, async (ctx) =>
            allowRemoveOperation(ctx, args.target),
          );
          if (args.json) out(JSON.stringify(result));
          else out(`removed ${result.target} from the allowlist`);
        },
      )
      .command<ListCommonArgs>(
        'list',
        'The allowlist',
        (c) => c.option('json', jsonOption) as unknown as Argv<ListCommonArgs>,
        async (args) => {
          const { result } = await runRequest({ configPath: args.config, kernel: false }, { command: 'list', list: 'allow' }, false, async (ctx) =>
            listEntries(ctx, 'allow'),
          );
          if (args.json) out(JSON.stringify(result));
          else out(rowsTable(result, Date.now()));
        },
      )
      .demandCommand(1, 'name an allow command: add, remove, list'),
  );
}

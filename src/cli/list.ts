// `sipwarden list [dynamic|deny|allow]`: blocked and allowed addresses, through the daemon or the store.
import type { Argv } from 'yargs';
import { listEntries } from '../daemon/operations.js';
import type { ListName } from '../daemon/protocol.js';
import { runRequest } from './remote.js';
import { jsonOption, out, rowsTable, type ListCommonArgs } from './list-options.js';

export function listCommand(yargs: Argv): Argv {
  return yargs.command<ListCommonArgs & { list?: ListName }>(
    'list [list]',
    'Blocked and allowed addresses: address, since, expires, note, strikes',
    (y) =>
      y.positional('list', { choices: ['dynamic', 'deny', 'allow'] as const, describe: 'only this list' }).option('json', jsonOption) as unknown as Argv<
        ListCommonArgs & { list?: ListName }
      >,
    async (args) => {
      const list = args.list ?? null;
      const { result } = await runRequest({ configPath: args.config, kernel: false }, { command: 'list', list }, false, async (ctx) => listEntries(ctx, list));
      if (args.json) out(JSON.stringify(result));
      else out(rowsTable(result, Date.now()));
      if (result.length === 0) process.exitCode = 1;
    },
  );
}

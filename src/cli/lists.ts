// `sipwarden list`, `block`, `unblock` and `allow`: the address lists, through the daemon or the store.
import type { Argv } from 'yargs';
import { SipwardenError } from '../model/errors.js';
import { parseDuration, formatDuration } from '../config/duration.js';
import { allowAddOperation, allowRemoveOperation, blockOperation, listEntries, unblockOperation, type ListRow } from '../daemon/operations.js';
import type { ListName } from '../daemon/protocol.js';
import { runRequest } from './remote.js';
import { isoTime, printable, table } from './output.js';

interface Common {
  config?: string;
  kernel: boolean;
  json: boolean;
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function rowsTable(rows: readonly ListRow[], now: number): string {
  if (rows.length === 0) return '(none)';
  return table(
    ['LIST', 'ADDRESS', 'SINCE', 'EXPIRES', 'STRIKES', 'BY', 'NOTE'],
    rows.map((r) => [
      r.list,
      r.target,
      r.since === 0 ? '-' : isoTime(r.since),
      r.until === null ? '-' : `${isoTime(r.until)} (in ${formatDuration(Math.max(0, Math.round((r.until - now) / 1000) * 1000))})`,
      String(r.strikes),
      r.by,
      printable(r.note),
    ]),
  );
}

const kernelOption = { type: 'boolean', default: true, describe: 'apply to the kernel too when no daemon runs (--no-kernel: store only)' } as const;
const jsonOption = { type: 'boolean', default: false, describe: 'JSON output for scripts' } as const;

export function listCommands(yargs: Argv): Argv {
  return yargs
    .command<Common & { list?: ListName }>(
      'list [list]',
      'Blocked and allowed addresses: address, since, expires, note, strikes',
      (y) =>
        y.positional('list', { choices: ['dynamic', 'deny', 'allow'] as const, describe: 'only this list' }).option('json', jsonOption) as unknown as Argv<
          Common & { list?: ListName }
        >,
      async (args) => {
        const list = args.list ?? null;
        const { result } = await runRequest({ configPath: args.config, kernel: false }, { command: 'list', list }, false, async (ctx) =>
          listEntries(ctx, list),
        );
        if (args.json) out(JSON.stringify(result));
        else out(rowsTable(result, Date.now()));
        if (result.length === 0) process.exitCode = 1;
      },
    )
    .command<Common & { target: string; for?: string; permanent: boolean; note?: string }>(
      'block <target>',
      'Block an address or range: for a duration (default the dynamic block time) or permanently',
      (y) =>
        y
          .positional('target', { type: 'string', demandOption: true, describe: 'address or CIDR' })
          .option('for', { type: 'string', describe: 'duration such as 90s, 15m, 1h, 7d' })
          .option('permanent', { type: 'boolean', default: false, describe: 'block until unblocked' })
          .option('note', { type: 'string', describe: 'why' })
          .option('kernel', kernelOption)
          .option('json', jsonOption) as unknown as Argv<Common & { target: string; for?: string; permanent: boolean; note?: string }>,
      async (args) => {
        if (args.for !== undefined && args.permanent) throw new SipwardenError('USAGE', 'give --for DURATION or --permanent, not both');
        const duration = args.for === undefined ? null : parseDuration(args.for);
        if (args.for !== undefined && (duration === null || duration < 1000)) {
          throw new SipwardenError('USAGE', `--for: got "${args.for}"; use a duration of at least 1s written like 90s, 15m, 1h, 7d`);
        }
        const request = { command: 'block' as const, target: args.target, duration, permanent: args.permanent, note: args.note ?? null };
        const { result } = await runRequest({ configPath: args.config, kernel: args.kernel }, request, true, async (ctx) => blockOperation(ctx, request));
        if (args.json) out(JSON.stringify(result));
        else out(`blocked ${result.target} ${result.until === null ? 'permanently' : `until ${isoTime(result.until)}`}`);
      },
    )
    .command<Common & { target: string; forget: boolean }>(
      'unblock <target>',
      'Lift every block on an address or range, in the store and the kernel at once',
      (y) =>
        y
          .positional('target', { type: 'string', demandOption: true })
          .option('forget', { type: 'boolean', default: false, describe: 'also clear its strikes' })
          .option('kernel', kernelOption)
          .option('json', jsonOption) as unknown as Argv<Common & { target: string; forget: boolean }>,
      async (args) => {
        const request = { command: 'unblock' as const, target: args.target, forget: args.forget };
        const { result } = await runRequest({ configPath: args.config, kernel: args.kernel }, request, true, async (ctx) =>
          unblockOperation(ctx, args.target, args.forget),
        );
        if (args.json) out(JSON.stringify(result));
        else out(`unblocked ${result.target}${args.forget ? ' and cleared its strikes' : ''}`);
      },
    )
    .command('allow', 'The allowlist: addresses and ranges exempt from everything', (y) =>
      y
        .command<Common & { target: string; note?: string }>(
          'add <target>',
          'Allowlist an address or range (lifts its blocks)',
          (c) =>
            c
              .positional('target', { type: 'string', demandOption: true })
              .option('note', { type: 'string' })
              .option('kernel', kernelOption)
              .option('json', jsonOption) as unknown as Argv<Common & { target: string; note?: string }>,
          async (args) => {
            const request = { command: 'allow-add' as const, target: args.target, note: args.note ?? null };
            const { result } = await runRequest({ configPath: args.config, kernel: args.kernel }, request, true, async (ctx) =>
              allowAddOperation(ctx, args.target, args.note ?? null),
            );
            if (args.json) out(JSON.stringify(result));
            else out(`allowed ${result.target}${result.lifted.length > 0 ? `; lifted the blocks on ${result.lifted.join(', ')}` : ''}`);
          },
        )
        .command<Common & { target: string }>(
          'remove <target>',
          'Take an address or range off the allowlist',
          (c) =>
            c.positional('target', { type: 'string', demandOption: true }).option('kernel', kernelOption).option('json', jsonOption) as unknown as Argv<
              Common & { target: string }
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
        .command<Common>(
          'list',
          'The allowlist',
          (c) => c.option('json', jsonOption) as unknown as Argv<Common>,
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

// `sipwarden block`: a dynamic block for a duration, or a permanent one, by hand.
import type { Argv } from 'yargs';
import { SipwardenError } from '../model/errors.js';
import { parseDuration } from '../config/duration.js';
import { blockOperation } from '../daemon/operations.js';
import { runRequest } from './remote.js';
import { isoTime } from './output.js';
import { jsonOption, kernelOption, out, type ListCommonArgs } from './list-options.js';

export function blockCommand(yargs: Argv): Argv {
  return yargs.command<ListCommonArgs & { target: string; for?: string; permanent: boolean; note?: string }>(
    'block <target>',
    'Block an address or range: for a duration (default the dynamic block time) or permanently',
    (y) =>
      y
        .positional('target', { type: 'string', demandOption: true, describe: 'address or CIDR' })
        .option('for', { type: 'string', describe: 'duration such as 90s, 15m, 1h, 7d' })
        .option('permanent', { type: 'boolean', default: false, describe: 'block until unblocked' })
        .option('note', { type: 'string', describe: 'why' })
        .option('kernel', kernelOption)
        .option('json', jsonOption) as unknown as Argv<ListCommonArgs & { target: string; for?: string; permanent: boolean; note?: string }>,
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
  );
}

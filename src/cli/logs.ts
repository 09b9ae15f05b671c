// `sipwarden logs`: the attack journal, newest first, paged.
import type { Argv } from 'yargs';
import { EVENT_KINDS, type EventKind } from '../model/event.js';
import { logsOperation } from '../daemon/operations.js';
import type { JournalPage } from '../act/journal/journal.js';
import type { JournalQuery } from '../act/journal/query.js';
import { runRequest } from './remote.js';
import { isoTime, printable, table } from './output.js';
import { parseTimeArg } from './time-arg.js';

interface LogsArgs {
  config?: string;
  kind?: EventKind;
  since?: string;
  until?: string;
  attacker?: string;
  page: number;
  'per-page': number;
  json: boolean;
}

export function pageText(page: JournalPage): string {
  const rows = page.entries.map((e) => [isoTime(e.time), e.attacker, e.victim ?? '-', e.kind, printable(e.userAgent), printable(e.user)]);
  const body = rows.length === 0 ? '(no attacks)' : table(['TIME', 'ATTACKER', 'VICTIM', 'KIND', 'USER AGENT', 'USER'], rows);
  return `${body}\n${page.total} total, page ${page.page} of ${page.pages}`;
}

export function logsCommand(yargs: Argv): Argv {
  return yargs.command<LogsArgs>(
    'logs',
    'The attack log: attacker, victim, kind, user agent, time, newest first',
    (y) =>
      y
        .option('kind', { choices: EVENT_KINDS, describe: 'only this kind of attack' })
        .option('since', { type: 'string', describe: 'from this time (24h, 7d, 2024-01-15, ISO 8601)' })
        .option('until', { type: 'string', describe: 'before this time' })
        .option('attacker', { type: 'string', describe: 'only this address' })
        .option('page', { type: 'number', default: 1 })
        .option('per-page', { type: 'number', default: 15 })
        .option('json', { type: 'boolean', default: false }) as unknown as Argv<LogsArgs>,
    async (args) => {
      const now = Date.now();
      const query: JournalQuery = { page: Math.max(1, Math.floor(args.page)), perPage: Math.max(1, Math.floor(args['per-page'])) };
      if (args.kind !== undefined) query.kind = args.kind;
      if (args.since !== undefined) query.since = parseTimeArg('since', args.since, now);
      if (args.until !== undefined) query.until = parseTimeArg('until', args.until, now);
      if (args.attacker !== undefined) query.attacker = args.attacker;
      const { result } = await runRequest({ configPath: args.config, kernel: false }, { command: 'logs', query }, false, async (ctx) =>
        logsOperation(ctx.journal, query),
      );
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ ...result, entries: result.entries.map((e) => ({ ...e, time: new Date(e.time).toISOString() })) })}\n`);
      } else {
        process.stdout.write(`${pageText(result)}\n`);
      }
    },
  );
}

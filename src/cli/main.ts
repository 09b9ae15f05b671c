#!/usr/bin/env node
// The `sipwarden` command: one yargs command per file; errors become a message and an exit status.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { SipwardenError, type ErrorCode } from '../model/errors.js';
import { replayCommand } from './replay.js';
import { configCommand } from './config-check.js';
import { rulesCommand } from './rules.js';
import { daemonCommand } from './daemon.js';
import { statusCommand } from './status.js';
import { listCommands } from './lists.js';
import { logsCommand } from './logs.js';
import { reportCommand } from './report.js';

/** Exit statuses: 0 ok, 1 not found / nothing done, 2 usage or validation, 3 daemon or kernel. */
const EXIT_BY_CODE: Record<ErrorCode, number> = {
  CONFIG_INVALID: 2,
  CONFIG_NOT_FOUND: 2,
  RULES_INVALID: 2,
  USAGE: 2,
  IO: 2,
  NOT_FOUND: 1,
  KERNEL: 3,
  DAEMON: 3,
  MAIL: 3,
};

function report(error: unknown, debug: boolean): number {
  if (error instanceof SipwardenError) {
    process.stderr.write(`sipwarden: ${error.message}\n`);
    for (const detail of error.details) process.stderr.write(`  ${detail}\n`);
    if (debug && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
    return EXIT_BY_CODE[error.code];
  }
  process.stderr.write(`sipwarden: internal error: ${(error as Error).message ?? String(error)}\n`);
  if (debug && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
  return 3;
}

async function main(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  let parser: Argv = yargs(argv)
    .scriptName('sipwarden')
    .option('config', { type: 'string', describe: 'config file (default /etc/sipwarden/sipwarden.yml)' })
    .option('debug', { type: 'boolean', default: false, describe: 'print stack traces' })
    .strict()
    .demandCommand(1, 'name a command; see sipwarden --help')
    .recommendCommands()
    .help()
    .version()
    .fail((message, error) => {
      if (error !== undefined && error !== null) throw error;
      throw new SipwardenError('USAGE', message ?? 'bad usage');
    });
  parser = replayCommand(parser);
  parser = configCommand(parser);
  parser = rulesCommand(parser);
  parser = daemonCommand(parser);
  parser = statusCommand(parser);
  parser = listCommands(parser);
  parser = logsCommand(parser);
  parser = reportCommand(parser);
  try {
    await parser.parseAsync();
  } catch (error) {
    process.exitCode = report(error, debug);
  }
}

await main(hideBin(process.argv));

// Every `sipwarden` command through yargs: one yargs command per file.
import yargs, { type Argv } from 'yargs';
import { SipwardenError } from '../model/errors.js';
import { replayCommand } from './replay.js';
import { configCommand } from './config-check.js';
import { rulesCommand } from './rules.js';
import { daemonCommand } from './daemon.js';
import { statusCommand } from './status.js';
import { listCommand } from './list.js';
import { blockCommand } from './block.js';
import { unblockCommand } from './unblock.js';
import { allowCommand } from './allow.js';
import { logsCommand } from './logs.js';
import { reportCommand } from './report.js';

/** The command line parser; `replay` runs `runReplay` unless told otherwise (tests). */
export function commandParser(argv: readonly string[], replay?: Parameters<typeof replayCommand>[1]): Argv {
  let parser: Argv = yargs([...argv])
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
  parser = replayCommand(parser, replay);
  parser = configCommand(parser);
  parser = rulesCommand(parser);
  parser = daemonCommand(parser);
  parser = statusCommand(parser);
  parser = listCommand(parser);
  parser = blockCommand(parser);
  parser = unblockCommand(parser);
  parser = allowCommand(parser);
  parser = logsCommand(parser);
  parser = reportCommand(parser);
  return parser;
}

export async function runCommands(argv: readonly string[]): Promise<void> {
  await commandParser(argv).parseAsync();
}

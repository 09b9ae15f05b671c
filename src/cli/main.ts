#!/usr/bin/env node
// The `sipwarden` command: errors become a message and an exit status. The commands are loaded only
// once the command line is known: the plain forms of `replay` (see replay-args.ts) run without yargs,
// whose loading alone is a third of replay's start-up; everything else goes through yargs.
import { SipwardenError, type ErrorCode } from '../model/errors.js';
import { plainReplayArgs } from './replay-args.js';

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

/** A reader that stopped early (`sipwarden replay --json | head`): not an error of ours. */
function isClosedPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

function report(error: unknown, debug: boolean): number {
  if (isClosedPipe(error)) return 0;
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

// Output nobody reads any more ends the command quietly, as SIGPIPE ends other tools (Node ignores SIGPIPE).
process.stdout.on('error', (error: unknown) => {
  if (!isClosedPipe(error)) throw error;
  process.exit(0);
});

async function main(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  try {
    const plain = plainReplayArgs(argv);
    if (plain !== null) {
      const { runReplay } = await import('./replay.js');
      await runReplay(plain);
    } else {
      const { runCommands } = await import('./commands.js');
      await runCommands(argv);
    }
  } catch (error) {
    process.exitCode = report(error, debug);
  }
}

await main(process.argv.slice(2));

// The plain forms of `replay` read without yargs mean exactly what yargs reads in them.
import { expect, test } from '@jest/globals';
import { commandParser } from '../../src/cli/commands.js';
import { plainReplayArgs, type ReplayArgs } from '../../src/cli/replay-args.js';

async function byYargs(argv: string[]): Promise<Record<string, unknown>> {
  let got: ReplayArgs | null = null;
  await commandParser(argv, async (args) => {
    got = args;
  }).parseAsync();
  if (got === null) throw new Error('yargs did not run replay');
  const args = got as ReplayArgs & { debug?: boolean };
  return { format: args.format, json: args.json, files: args.files, config: args.config, debug: args.debug ?? false, kernelPrefix: args['kernel-prefix'] };
}

const PLAIN: string[][] = [
  ['replay', 'a.log'],
  ['replay', 'a.log', 'b.log', '/var/log/asterisk/messages.1'],
  ['replay', '--format', 'asterisk', 'a.log'],
  ['replay', '--format=asterisk', 'a.log'],
  ['replay', 'a.log', '--format', 'kernel', 'b.log'],
  ['replay', '--json', 'a.log'],
  ['replay', 'a.log', '--json'],
  ['replay', '--config', '/etc/x.yml', '--json', '--debug', 'a.log'],
  ['replay', '--config=/etc/x.yml', 'a.log'],
  ['replay', '--debug', 'a.log'],
  ['replay', '2024-01-15.log', 'messages.1', '1.log', '0x1.log', 'a=b'],
  ['replay', 'with space.log', 'ünïcode.log'],
  ['replay', '123', '1.50', '0x10', '.5', '1e3'],
];

test.each(PLAIN.map((argv) => [argv]))('plain: %j', async (argv) => {
  const plain = plainReplayArgs(argv);
  expect(plain).not.toBeNull();
  const { debug, ...rest } = plain ?? { debug: false };
  expect({ config: undefined, kernelPrefix: undefined, ...rest, debug }).toEqual(await byYargs(argv));
});

const LEFT_TO_YARGS: string[][] = [
  ['replay'],
  ['replay', '--json'],
  ['replay', '--help'],
  ['replay', '-h'],
  ['--version'],
  ['status'],
  ['replay', '--kernel-prefix', 'x', 'a.log'],
  ['replay', '--json=true', 'a.log'],
  ['replay', '--json', 'true', 'a.log'],
  ['replay', '--format', 'a', '--format', 'b', 'a.log'],
  ['replay', '--format', '--json', 'a.log'],
  ['replay', '--format', 'a.log'],
  ['replay', '--format=', 'a.log'],
  ['replay', '--formt', 'asterisk', 'a.log'],
  ['replay', '--no-json', 'a.log'],
  ['replay', '--', 'a.log'],
  ['replay', '-', 'a.log'],
  ['--debug', 'replay', 'a.log'],
];

test.each(LEFT_TO_YARGS.map((argv) => [argv]))('left to yargs: %j', (argv) => {
  expect(plainReplayArgs(argv)).toBeNull();
});

// Runs the built `sipwarden` command as a real process.
import { execa } from 'execa';
import { join } from 'node:path';
import { REPO_ROOT } from './fixtures.js';

export const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function sipwarden(args: readonly string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  const result = await execa('node', [CLI, ...args], {
    reject: false,
    env: { TZ: 'UTC', ...options.env },
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

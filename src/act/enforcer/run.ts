// Runs the firewall tools: argument arrays and scripts on stdin via execa, never a shell string.
import { execa } from 'execa';
import { SipwardenError } from '../../model/errors.js';

export interface CommandResult {
  /** Null when the program could not be started. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started (e.g. ENOENT). */
  spawnError: string | null;
}

/** Runs one program with arguments, `input` on stdin; never throws for a non-zero exit. */
export type CommandRunner = (file: string, args: readonly string[], input?: string) => Promise<CommandResult>;

export const execaRunner: CommandRunner = async (file, args, input) => {
  const result = await execa(file, [...args], {
    ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
    reject: false,
    maxBuffer: 1024 * 1024 * 1024,
    env: { LC_ALL: 'C' },
  });
  const cause = result.cause as NodeJS.ErrnoException | undefined;
  return {
    exitCode: result.exitCode ?? null,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    spawnError: result.exitCode === undefined ? (cause?.code ?? cause?.message ?? 'could not start') : null,
  };
};

/** The command line for a tool, run inside a network namespace when one is given (`ip netns exec NS`). */
export function commandLine(tool: string, args: readonly string[], netns: string | undefined): [string, string[]] {
  return netns === undefined ? [tool, [...args]] : ['ip', ['netns', 'exec', netns, tool, ...args]];
}

export interface ToolHelp {
  /** Backend name for messages: `nftables`, `iptables`. */
  backend: string;
  /** The program, as looked up on PATH. */
  tool: string;
  /** Debian package that provides it. */
  packageName: string;
  /** What to do when the kernel lacks the subsystem. */
  kernelHint: string;
  /** What to do when the kernel lacks a feature the ruleset uses. */
  featureHint: string;
}

/** First line number an error names in `/dev/stdin:14:3-9: Error: ...` (nft) or `line 14 failed` (iptables-restore). */
function errorLine(stderr: string): number | null {
  const match = /(?:\/dev\/stdin|-):(\d+):|line:? (\d+)/.exec(stderr);
  const text = match?.[1] ?? match?.[2];
  return text === undefined ? null : Number(text);
}

function firstLines(text: string, count: number): string {
  return text.trim().split('\n').slice(0, count).join(' | ');
}

/**
 * Turns a failed run into a clear SipwardenError (code KERNEL): missing program, missing privileges,
 * a kernel without the subsystem, a full set, or the rejected transaction and its first error.
 */
export function kernelError(help: ToolHelp, what: string, result: CommandResult, script?: string): SipwardenError {
  const stderr = result.stderr;
  const cause = new Error(`${what}: exit ${String(result.exitCode)}: ${stderr}`);
  if (result.spawnError === 'ENOENT' || new RegExp(`exec of "${help.tool}" failed: No such file`).test(stderr)) {
    return new SipwardenError(
      'KERNEL',
      `${help.backend}: the ${help.tool} program was not found; install it (apt-get install ${help.packageName}) or choose another backend in the config`,
      { cause },
    );
  }
  if (result.spawnError !== null) {
    return new SipwardenError('KERNEL', `${help.backend}: cannot run ${help.tool}: ${result.spawnError}`, { cause });
  }
  if (/Operation not permitted|Permission denied|you must be root/i.test(stderr)) {
    return new SipwardenError('KERNEL', `${help.backend}: not permitted to change the firewall (${what}); run sipwarden as root or with CAP_NET_ADMIN`, {
      cause,
      details: [firstLines(stderr, 3)],
    });
  }
  if (/Protocol not supported|Address family not supported|can't initialize|Kernel error received: Protocol/i.test(stderr)) {
    return new SipwardenError('KERNEL', `${help.backend}: the kernel does not support it (${what}); ${help.kernelHint}`, {
      cause,
      details: [firstLines(stderr, 3)],
    });
  }
  if (/Too many open files in system|set is full|Hash is full/i.test(stderr)) {
    return new SipwardenError('KERNEL', `${help.backend}: a set is full (${what}); nothing was changed. Raise kernel.setSizes in the config`, {
      cause,
      details: [firstLines(stderr, 3)],
    });
  }
  if (/Operation not supported|No such file or directory.*(match|target)|Couldn't load (match|target)/i.test(stderr)) {
    return new SipwardenError('KERNEL', `${help.backend}: the kernel lacks a feature the ruleset uses (${what}); nothing was changed. ${help.featureHint}`, {
      cause,
      details: [firstLines(stderr, 3)],
    });
  }
  const lines = script === undefined ? 0 : script.split('\n').filter((l) => l !== '').length;
  const line = errorLine(stderr);
  const where = line === null ? '' : `, first error at line ${line}`;
  const summary =
    script === undefined
      ? `${what} failed (exit ${String(result.exitCode)})`
      : `transaction of ${lines} lines rejected (exit ${String(result.exitCode)})${where}`;
  return new SipwardenError('KERNEL', `${help.backend}: ${summary}: ${firstLines(stderr, 3)}`, { cause });
}

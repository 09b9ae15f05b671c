// `sipwarden replay`: what the detectors would have seen and decided for past logs (like fail2ban-regex).
import { once } from 'node:events';
import { accessSync, constants, statSync } from 'node:fs';
import type { Argv } from 'yargs';
import { SipwardenError } from '../model/errors.js';
import type { AttackEvent } from '../model/event.js';
import type { Decision } from '../model/decision.js';
import { formatDuration } from '../config/duration.js';
import type { ReplaySummary } from '../replay/tally.js';
import { ParsePool, parseWorkersFor } from '../replay/parse-pool.js';
import { isoTime, printable } from './output.js';
import type { ReplayArgs } from './replay-args.js';

export function replayCommand(yargs: Argv, run: (args: ReplayArgs) => Promise<void> = runReplay): Argv {
  return yargs.command<ReplayArgs>(
    'replay <files..>',
    'Run the parsers and detectors over log files, clocked by their own timestamps',
    (y) =>
      y
        .positional('files', { type: 'string', array: true, describe: 'log files to read', demandOption: true })
        .option('format', { type: 'string', default: 'auto', describe: 'rule file to use: auto (all) or a format name' })
        .option('kernel-prefix', { type: 'string', array: true, describe: 'kernel log prefix that counts (repeatable; * = any)' })
        .option('json', { type: 'boolean', default: false, describe: 'JSON Lines: events, decisions, summary' }) as unknown as Argv<ReplayArgs>,
    async (args) => run(args),
  );
}

/** The file's size; throws the user-facing error when it cannot be read. */
function checkReadable(file: string): number {
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new Error('not a regular file');
    accessSync(file, constants.R_OK);
    return stat.size;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new SipwardenError('IO', `${file}: cannot read: ${reason}`, { cause: error });
  }
}

function eventJson(event: AttackEvent, file: string, line: number): string {
  return JSON.stringify({
    type: 'event',
    file,
    line,
    time: new Date(event.time).toISOString(),
    kind: event.kind,
    attacker: event.attacker,
    victim: event.victim,
    userAgent: event.userAgent,
    user: event.user,
    rule: event.rule,
  });
}

function decisionJson(decision: Decision, file: string, line: number): string {
  const { time, type, ...rest } = decision;
  const extra = decision.type === 'block' ? { until: new Date(decision.until).toISOString() } : {};
  return JSON.stringify({ type: 'decision', decision: type, file, line, time: new Date(time).toISOString(), ...rest, ...extra });
}

function decisionText(decision: Decision, file: string, line: number): string {
  const at = `${file}:${line}`;
  switch (decision.type) {
    case 'block':
      return `${isoTime(decision.time)}  block      ${decision.target}  for ${formatDuration(decision.until - decision.time)}  ${decision.kind}: ${printable(decision.reason)}  (${at})`;
    case 'permanent':
      return `${isoTime(decision.time)}  permanent  ${decision.target}  ${decision.kind}: ${printable(decision.reason)}  (${at})\n    note: ${printable(decision.note)}`;
    case 'episode':
      return `${isoTime(decision.time)}  episode    ${decision.target}  rate limit exceeded (${decision.evidence} evidence)  (${at})`;
    case 'unblock':
      return `${isoTime(decision.time)}  unblock    ${decision.target}  ${printable(decision.reason)}`;
  }
}

function summaryText(s: ReplaySummary): string {
  const out: string[] = [];
  out.push('', 'Summary');
  out.push(`  files read        ${s.files}`);
  out.push(`  lines read        ${s.lines}`);
  out.push(`  matched           ${s.matched}`);
  for (const [rule, n] of Object.entries(s.matchedByRule).sort((a, b) => b[1] - a[1])) out.push(`    ${rule.padEnd(44)} ${n}`);
  out.push(`  unmatched         ${s.unmatched}`);
  const reasons = Object.entries(s.malformedByReason)
    .filter(([, n]) => n > 0)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  out.push(`  malformed         ${s.malformed}${reasons === '' ? '' : ` (${reasons})`}`);
  const kinds = Object.entries(s.eventsByKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  out.push(`  events            ${kinds === '' ? 'none' : kinds}`);
  out.push(`  counted once      ${s.duplicates} duplicate writing(s) of one request`);
  out.push(`  exempt            ${s.exempt} event(s) from allowlisted or own addresses`);
  const decisions = Object.entries(s.decisionsByType)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  out.push(`  decisions         ${decisions === '' ? 'none' : decisions}`);
  return out.join('\n');
}

export async function runReplay(args: ReplayArgs): Promise<void> {
  let bytes = 0;
  for (const file of args.files) bytes += checkReadable(file);
  // Workers start first, so that they load on the other cores while this thread loads the
  // detection engine and the config (imported only now for that reason) and compiles the rules.
  const workers = parseWorkersFor(bytes);
  const pool = workers > 0 ? new ParsePool(workers) : undefined;
  try {
    await replay(args, pool);
  } finally {
    await pool?.close();
  }
}

async function replay(args: ReplayArgs, pool: ParsePool | undefined): Promise<void> {
  const [{ loadContext }, { replayFiles }] = await Promise.all([import('../config/context.js'), import('../replay/replay.js')]);
  const context = loadContext(args.config);
  if (args.format !== 'auto' && !context.rules.has(args.format)) {
    throw new SipwardenError('USAGE', `--format: got "${args.format}"; use one of auto, ${context.rules.formats.join(', ')}`);
  }
  const ruleSets = context.rules.get(args.format === 'auto' ? context.rules.formats : [args.format]);
  const prefixes = args['kernel-prefix'];
  const kernelPrefixes = prefixes === undefined || prefixes.length === 0 ? undefined : prefixes.includes('*') ? 'any' : prefixes;
  const out: string[] = [];
  const flush = (): void => {
    if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
    out.length = 0;
  };
  const push = (text: string): void => {
    out.push(text);
    if (out.length >= 4096) flush();
  };
  const summary = await replayFiles({
    config: context.config,
    ...(pool === undefined ? {} : { pool }),
    ruleSets,
    files: args.files,
    ...(kernelPrefixes === undefined ? {} : { kernelPrefixes }),
    ...(args.json ? { onEvent: (event, file, line) => push(eventJson(event, file, line)) } : {}),
    onDecision: (decision, file, line) => push(args.json ? decisionJson(decision, file, line) : decisionText(decision, file, line)),
    // Writes to a pipe are queued in memory: wait for the reader rather than hold all the JSON.
    afterChunk: () => (process.stdout.writableNeedDrain ? once(process.stdout, 'drain').then(() => undefined) : undefined),
  });
  if (args.json) push(JSON.stringify({ type: 'summary', ...summary }));
  else push(summaryText(summary));
  flush();
}

// `sipwarden replay`'s arguments, and the plain forms of them read without yargs.
//
// Replay is the command whose run time people measure (with start-up counted: issue #3), and yargs
// alone takes about a third of start-up to load. The plain forms below mean the same thing to
// yargs and to this reader (test/cli/replay-args.test.ts checks that against yargs itself);
// anything else — help, --version, an unknown or repeated option, an `=true`, a value that looks
// like an option, `--kernel-prefix` (an array option that swallows the file names after it) — is
// left to yargs, with its own messages.

export interface ReplayArgs {
  config?: string;
  format: string;
  'kernel-prefix'?: string[];
  json: boolean;
  files: string[];
}

export interface PlainReplayArgs extends ReplayArgs {
  debug: boolean;
}

/** A value yargs reads exactly as written: not empty, not option-like, not a boolean word. */
function plainValue(text: string | undefined): text is string {
  return text !== undefined && text !== '' && !text.startsWith('-') && text !== 'true' && text !== 'false';
}

/** `replay [--format F] [--config PATH] [--json] [--debug] FILE...` in its plain forms, or null. */
export function plainReplayArgs(argv: readonly string[]): PlainReplayArgs | null {
  if (argv[0] !== 'replay') return null;
  const args: PlainReplayArgs = { format: 'auto', json: false, debug: false, files: [] };
  const seen = new Set<string>();
  for (let i = 1; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (!token.startsWith('-')) {
      if (!plainValue(token)) return null;
      args.files.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = eq < 0 ? token : token.slice(0, eq);
    if (seen.has(name)) return null;
    seen.add(name);
    if (name === '--json' || name === '--debug') {
      if (eq >= 0) return null;
      if (name === '--json') args.json = true;
      else args.debug = true;
      continue;
    }
    if (name !== '--format' && name !== '--config') return null;
    const value = eq >= 0 ? token.slice(eq + 1) : argv[++i];
    if (!plainValue(value)) return null;
    if (name === '--format') args.format = value;
    else args.config = value;
  }
  return args.files.length === 0 ? null : args;
}

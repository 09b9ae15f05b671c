#!/usr/bin/env node
// Runs `sipwarden <args>` in this very process and, at exit, records the process's own peak RSS and
// run time, so the figures are the CLI's and need neither /usr/bin/time nor /proc.
//
//   SIPWARDEN_BENCH_RESULT=out.json node bench/replay-measured.mjs replay --format asterisk FILE
//
// The result file gets {maxRssKb, seconds, exitCode}; stdout and stderr are the CLI's own.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const resultPath = process.env.SIPWARDEN_BENCH_RESULT;
if (resultPath === undefined || resultPath === '') {
  process.stderr.write('replay-measured: set SIPWARDEN_BENCH_RESULT to the file that gets the figures\n');
  process.exit(2);
}
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const started = process.hrtime.bigint();
process.on('exit', (code) => {
  const usage = process.resourceUsage();
  writeFileSync(
    resultPath,
    `${JSON.stringify({
      maxRssKb: usage.maxRSS,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      userSeconds: usage.userCPUTime / 1e6,
      systemSeconds: usage.systemCPUTime / 1e6,
      exitCode: code,
    })}\n`,
  );
});
// The CLI reads its arguments from process.argv (yargs hideBin): make it look as if it was run directly.
process.argv = [process.argv[0], cli, ...process.argv.slice(2)];
await import(cli);

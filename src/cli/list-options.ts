// What the list commands (list, block, unblock, allow) share: their options and their table.
import { formatDuration } from '../config/duration.js';
import type { ListRow } from '../daemon/operations.js';
import { isoTime, printable, table } from './output.js';

export interface ListCommonArgs {
  config?: string;
  kernel: boolean;
  json: boolean;
}

export const kernelOption = { type: 'boolean', default: true, describe: 'apply to the kernel too when no daemon runs (--no-kernel: store only)' } as const;
export const jsonOption = { type: 'boolean', default: false, describe: 'JSON output for scripts' } as const;

export function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** The rows as an aligned table, expiry shown with the time left. */
export function rowsTable(rows: readonly ListRow[], now: number): string {
  if (rows.length === 0) return '(none)';
  return table(
    ['LIST', 'ADDRESS', 'SINCE', 'EXPIRES', 'STRIKES', 'BY', 'NOTE'],
    rows.map((r) => [
      r.list,
      r.target,
      r.since === 0 ? '-' : isoTime(r.since),
      r.until === null ? '-' : `${isoTime(r.until)} (in ${formatDuration(Math.max(0, Math.round((r.until - now) / 1000) * 1000))})`,
      String(r.strikes),
      r.by,
      printable(r.note),
    ]),
  );
}

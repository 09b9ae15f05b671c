// Terminal output: escaping attacker-controlled text and aligning tables.

export { printable } from '../model/printable.js';

/** Columns padded to their widest cell; every cell must already be printable. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

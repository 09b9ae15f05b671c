// Times given on the command line: a duration ago (`24h`, `7d`) or a date/time (`2024-01-15`, ISO 8601).
import { parseDuration } from '../config/duration.js';
import { SipwardenError } from '../model/errors.js';

export function parseTimeArg(option: string, text: string, now: number): number {
  const ago = parseDuration(text);
  if (ago !== null) return now - ago;
  if (/^\d{4}-\d\d-\d\d/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new SipwardenError('USAGE', `--${option}: got "${text}"; use a time ago such as 24h or 7d, or a date such as 2024-01-15 or 2024-01-15T10:00:00Z`);
}

// Reads the timestamp shapes PBX and kernel logs use; pure, with the reference instants injected.

/** What a timestamp without year or without absolute time is read against. */
export interface TimeReference {
  /** An instant at or after the line was written (replay: the file's mtime; daemon: now). */
  now: number;
  /** When the kernel booted (ms since epoch), for dmesg uptime stamps. */
  bootTime: number;
}

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

const ISO = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?\s*(Z|[+-]\d\d:?\d\d)?$/;
const SYSLOG = /^(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2})\s+(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?: (\d{4}))?$/;
const UPTIME = /^\s*(\d+)\.(\d+)$/;
const EPOCH = /^@(\d+)(?:\.(\d+))?$/;

function fractionMs(digits: string | undefined): number {
  if (digits === undefined) return 0;
  return Math.floor(Number(`0.${digits}`) * 1000);
}

function zoneOffsetMs(zone: string): number {
  if (zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
}

let lastText = '';
let lastRef: TimeReference | null = null;
let lastResult: number | null = null;

/** Milliseconds since the epoch for a captured timestamp, or null for an unknown shape. */
export function parseTimestamp(text: string, ref: TimeReference): number | null {
  // Consecutive log lines mostly share one stamp; a one-entry memo saves most of the work.
  if (text === lastText && ref === lastRef) return lastResult;
  // Detached: the captured text may be a view into a 4 MB chunk that must not stay alive.
  lastText = (' ' + text).slice(1);
  lastRef = ref;
  lastResult = readTimestamp(text, ref);
  return lastResult;
}

function readTimestamp(text: string, ref: TimeReference): number | null {
  let m = ISO.exec(text);
  if (m !== null) {
    const [, y, mo, d, h, mi, s, frac, zone] = m;
    const ms = fractionMs(frac);
    if (zone === undefined) return new Date(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, ms).getTime();
    return Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, ms) - zoneOffsetMs(zone);
  }
  m = SYSLOG.exec(text);
  if (m !== null) {
    const [, mon, d, h, mi, s, frac, year] = m;
    const month = MONTHS[mon!];
    if (month === undefined) return null;
    const ms = fractionMs(frac);
    if (year !== undefined) return new Date(+year, month, +d!, +h!, +mi!, +s!, ms).getTime();
    // Syslog omits the year: take the reference's, unless that puts the line well after the reference.
    const refYear = new Date(ref.now).getFullYear();
    const sameYear = new Date(refYear, month, +d!, +h!, +mi!, +s!, ms).getTime();
    return sameYear > ref.now + 86_400_000 ? new Date(refYear - 1, month, +d!, +h!, +mi!, +s!, ms).getTime() : sameYear;
  }
  m = UPTIME.exec(text);
  if (m !== null) return ref.bootTime + Number(m[1]) * 1000 + fractionMs(m[2]);
  m = EPOCH.exec(text);
  if (m !== null) return Number(m[1]) * 1000 + fractionMs(m[2]);
  return null;
}

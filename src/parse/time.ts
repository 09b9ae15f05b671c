// Reads the timestamp shapes PBX and kernel logs use; pure, with the reference instants injected.
import { detach } from '../model/detach.js';

/** What a timestamp without year or without absolute time is read against. */
export interface TimeReference {
  /** An instant at or after the line was written (replay: the file's mtime; daemon: now). */
  now: number;
  /** When the kernel booted (ms since epoch), for dmesg uptime stamps. */
  bootTime: number;
}

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const ISO = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?\s*(Z|[+-]\d\d:?\d\d)?$/;
const SYSLOG = /^(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2})\s+(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?: (\d{4}))?$/;
const UPTIME = /^\s*(\d+)\.(\d+)$/;
const EPOCH = /^@(\d+)(?:\.(\d+))?$/;

/** The milliseconds of a fraction's digits: the first three, padded (`5` is 500), the rest dropped. */
function fractionMs(digits: string | undefined): number {
  if (digits === undefined) return 0;
  return Number(digits.slice(0, 3).padEnd(3, '0'));
}

function zoneOffsetMs(zone: string): number {
  if (zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
}

/** The local minute converted last (as a number unique to its fields), and its instant. */
let convertedMinuteKey = NaN;
let convertedMinuteStart = 0;

/**
 * `new Date(y, mo, d, h, mi).getTime()`, converted once per minute: the local-zone conversion is
 * costly, and a log's lines share a minute far more often than a second. The seconds of a minute
 * can then be added to its instant because zone offsets change only on whole local minutes (in
 * every zone since 1972). The process's zone is taken as fixed, as a daemon's is.
 */
function minuteStart(y: number, mo: number, d: number, h: number, mi: number): number {
  // Fields are at most two digits (the month, 0-based, from -1 for `00`; years four): the key is
  // unique for every field combination, out-of-range ones (day 31 of February, minute 60) included.
  const key = (((y * 100 + mo + 1) * 100 + d) * 100 + h) * 100 + mi;
  if (key !== convertedMinuteKey) {
    convertedMinuteStart = new Date(y, mo, d, h, mi).getTime();
    convertedMinuteKey = key;
  }
  return convertedMinuteStart;
}

/** `new Date(y, mo, d, h, mi, s, ms).getTime()`, by way of minuteStart where that is exact. */
function localTime(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const within = s * 1000 + ms;
  // A 60th second or later (a leap second, or junk) rolls into a later minute, whose offset may differ.
  return within < 60_000 ? minuteStart(y, mo, d, h, mi) + within : new Date(y, mo, d, h, mi, s, ms).getTime();
}

/** The number written by the decimal digits text[from, to), or -1 if any is not a digit. */
function digitsAt(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** The date, hour and minute (`YYYY-MM-DD hh:mm:`, a copy) of the stamp readLocalIso read last, and their instant. */
let stampPrefix = '';
let stampPrefixStart = 0;

/**
 * Asterisk's own stamp, `YYYY-MM-DD hh:mm:ss` with an optional `.fraction` (no zone: local time),
 * read without a regular expression since nearly every Asterisk line carries one; NaN for any
 * other text, which the general readers then take. A stamp of the minute read last is known by
 * its first 17 characters, and only its seconds are read.
 */
function readLocalIso(text: string): number {
  const n = text.length;
  if (n < 19) return NaN;
  let ms = 0;
  if (n > 19) {
    const point = text.charCodeAt(19);
    if ((point !== 46 && point !== 44) || n === 20 || digitsAt(text, 20, n) < 0) return NaN;
    ms = digitsAt(text, 20, Math.min(n, 23)) * (n >= 23 ? 1 : n === 22 ? 10 : 100);
  }
  const s = digitsAt(text, 17, 19);
  if (s < 0) return NaN;
  if (s < 60 && stampPrefix !== '' && text.startsWith(stampPrefix)) return stampPrefixStart + s * 1000 + ms;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return NaN;
  const separator = text.charCodeAt(10);
  if (separator !== 32 && separator !== 84) return NaN;
  const y = digitsAt(text, 0, 4);
  const mo = digitsAt(text, 5, 7);
  const d = digitsAt(text, 8, 10);
  const h = digitsAt(text, 11, 13);
  const mi = digitsAt(text, 14, 16);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0) return NaN;
  if (s >= 60) return localTime(y, mo - 1, d, h, mi, s, ms);
  const start = minuteStart(y, mo - 1, d, h, mi);
  stampPrefix = detach(text.slice(0, 17));
  stampPrefixStart = start;
  return start + s * 1000 + ms;
}

/** The reference instant last asked for its year, and that year (syslog stamps omit it). */
let lastYearNow = NaN;
let lastYear = 0;

function referenceYear(ref: TimeReference): number {
  if (ref.now !== lastYearNow) {
    lastYear = new Date(ref.now).getFullYear();
    lastYearNow = ref.now;
  }
  return lastYear;
}

/** Milliseconds since the epoch for a captured timestamp, or null for an unknown shape. */
export function parseTimestamp(text: string, ref: TimeReference): number | null {
  const local = readLocalIso(text);
  if (!Number.isNaN(local)) return local;
  let m = ISO.exec(text);
  if (m !== null) {
    const [, y, mo, d, h, mi, s, frac, zone] = m;
    const ms = fractionMs(frac);
    if (zone === undefined) return localTime(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, ms);
    return Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, ms) - zoneOffsetMs(zone);
  }
  m = SYSLOG.exec(text);
  if (m !== null) {
    const [, mon, d, h, mi, s, frac, year] = m;
    const month = MONTHS[mon!];
    if (month === undefined) return null;
    const ms = fractionMs(frac);
    if (year !== undefined) return localTime(+year, month, +d!, +h!, +mi!, +s!, ms);
    // Syslog omits the year: take the reference's, unless that puts the line well after the reference.
    const refYear = referenceYear(ref);
    const sameYear = localTime(refYear, month, +d!, +h!, +mi!, +s!, ms);
    return sameYear > ref.now + 86_400_000 ? localTime(refYear - 1, month, +d!, +h!, +mi!, +s!, ms) : sameYear;
  }
  m = UPTIME.exec(text);
  if (m !== null) return ref.bootTime + Number(m[1]) * 1000 + fractionMs(m[2]);
  m = EPOCH.exec(text);
  if (m !== null) return Number(m[1]) * 1000 + fractionMs(m[2]);
  return null;
}

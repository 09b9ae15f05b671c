// The replay scanner gives, chunk by chunk, exactly what the line parser gives line by line.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadRuleSets, ruleFormats } from '../../src/config/load.js';
import { LineParser, MAX_LINE_LENGTH } from '../../src/parse/parse-line.js';
import { ChunkScanner, malformedTotal } from '../../src/replay/chunk-scan.js';
import { fixtureFiles } from '../helpers/fixtures.js';

const ruleSets = [...loadRuleSets().values()];
const time = { now: Date.UTC(2024, 5, 1), bootTime: Date.UTC(2024, 4, 1) };

function parserFor(): LineParser {
  return new LineParser(ruleSets, { kernelPrefixes: 'any', time });
}

/** What the line parser makes of each line: the events with their line index, and the malformed count. */
function lineByLine(text: string): { events: Array<{ line: number; rule: string; attacker: string; time: number }>; malformed: number } {
  const parser = parserFor();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const events: Array<{ line: number; rule: string; attacker: string; time: number }> = [];
  let malformed = 0;
  lines.forEach((raw, line) => {
    const outcome = parser.parse(raw.endsWith('\r') ? raw.slice(0, -1) : raw, 'test', NaN);
    if (outcome.type === 'event') events.push({ line, rule: outcome.event.rule, attacker: outcome.event.attacker, time: outcome.event.time });
    if (outcome.type === 'malformed') malformed++;
  });
  return { events, malformed };
}

function chunked(text: string): { events: Array<{ line: number; rule: string; attacker: string; time: number }>; malformed: number; lines: number } {
  const parser = parserFor();
  const result = new ChunkScanner(parser).scan(Buffer.from(text, 'utf8'), 'test');
  const events = Array.from({ length: result.events }, (_, i) => ({
    line: result.line[i] as number,
    rule: parser.rules[result.rule[i] as number]?.id ?? '?',
    attacker: result.strings[result.attacker[i] as number] ?? '?',
    time: result.time[i] as number,
  }));
  return { events, malformed: malformedTotal(result.malformed) - result.malformed['invalid-utf8'], lines: result.lines };
}

describe('every fixture file, scanned whole, gives the line parser’s events', () => {
  const files = ruleFormats().flatMap((format) => fixtureFiles(format));
  test.each(files.map((f) => [basename(f), f]))('%s', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const expected = lineByLine(text);
    const got = chunked(text);
    expect(got.events.map((e) => ({ ...e, time: Number.isNaN(e.time) ? null : e.time }))).toEqual(
      expected.events.map((e) => ({ ...e, time: Number.isNaN(e.time) ? null : e.time })),
    );
    expect(got.malformed).toBe(expected.malformed);
  });
});

test('line count, a last line without newline, CRLF endings and an over-long line', () => {
  const attack =
    "[2024-01-15 10:23:45] NOTICE[1234] chan_sip.c: Registration from '\"100\" <sip:100@192.0.2.1>' failed for '198.51.100.8:5060' - Wrong password";
  const text = `${attack}\r\nnothing here\n${'x'.repeat(MAX_LINE_LENGTH + 1)}\n${attack}`;
  const got = chunked(text);
  expect(got.lines).toBe(4);
  expect(got.events.map((e) => [e.line, e.attacker])).toEqual([
    [0, '198.51.100.8'],
    [3, '198.51.100.8'],
  ]);
  expect(got.malformed).toBe(1);
});

test('invalid UTF-8 is counted and the line still parsed', () => {
  const parser = parserFor();
  const bytes = Buffer.concat([Buffer.from('junk \xff\xfe here\n', 'latin1'), Buffer.from('more\n')]);
  const result = new ChunkScanner(parser).scan(bytes, 'test');
  expect(result.lines).toBe(2);
  expect(result.malformed['invalid-utf8']).toBe(1);
});

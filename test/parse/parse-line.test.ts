// Every rule file against its fixtures: expectations hold, every rule is exercised, no gaps hide.
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compileRuleFile } from '../../src/parse/rule-file.js';
import { LineParser } from '../../src/parse/parse-line.js';
import { defaultConfig } from '../../src/config/defaults.js';
import type { AttackEvent } from '../../src/model/event.js';
import { fixtureFiles, readFixture, RULES_DIR, type FixtureLine } from '../helpers/fixtures.js';

const ruleFiles = readdirSync(RULES_DIR)
  .filter((n) => n.endsWith('.yml') && !n.startsWith('sipwarden.'))
  .sort();
const TIME = { now: Date.UTC(2024, 11, 31), bootTime: Date.UTC(2024, 0, 1) };

function outcome(parser: LineParser, line: FixtureLine): AttackEvent | null {
  const result = parser.parse(line.text, 'fixture', 0);
  if (result.type === 'malformed') throw new Error(`malformed (${result.reason}) by rule ${result.rule ?? '?'}`);
  return result.type === 'event' ? result.event : null;
}

function check(parser: LineParser, line: FixtureLine): void {
  const event = outcome(parser, line);
  if (line.expect === null) {
    expect(event).toBeNull();
    return;
  }
  expect(event).not.toBeNull();
  const got: Record<string, string> = {};
  for (const key of Object.keys(line.expect)) got[key] = String((event as unknown as Record<string, unknown>)[key]);
  expect(got).toEqual(line.expect);
}

test('there are rule files', () => {
  expect(ruleFiles.length).toBeGreaterThan(0);
});

for (const fileName of ruleFiles)
  describe(fileName, () => {
    const format = fileName.slice(0, -4);
    const compiled = compileRuleFile(readFileSync(join(RULES_DIR, fileName), 'utf8'), `rules/${fileName}`);

    test('compiles', () => {
      expect(compiled.ok ? [] : compiled.errors).toEqual([]);
    });
    if (!compiled.ok) return;
    const ruleSet = compiled.ruleSet;
    const parser = new LineParser([ruleSet], { kernelPrefixes: defaultConfig().kernel.prefixes, time: TIME });
    const files = fixtureFiles(format);
    const read = files.map((f) => readFixture(f));
    const lines = read.flatMap((r) => r.lines);

    test('has a fixture folder with log lines', () => {
      expect(files.length).toBeGreaterThan(0);
      expect(lines.length).toBeGreaterThan(0);
    });

    test('every log line has an expectation', () => {
      expect(read.flatMap((r) => r.problems).map((p) => `${basename(p.file)}:${p.lineNumber}: ${p.problem}`)).toEqual([]);
    });

    test('every rule matches at least one fixture line', () => {
      const used = new Set<string>();
      for (const line of lines) {
        const result = parser.parse(line.text, 'fixture', 0);
        if (result.type === 'event') used.add(result.event.rule);
      }
      expect(ruleSet.rules.map((r) => r.id).filter((id) => !used.has(id))).toEqual([]);
    });

    for (const line of lines) {
      const name = `${basename(line.file)}:${line.lineNumber}${line.gap === null ? '' : ` (gap: ${line.gap})`}`;
      if (line.gap === null) test(name, () => check(parser, line));
      else test.failing(name, () => check(parser, line));
    }
  });

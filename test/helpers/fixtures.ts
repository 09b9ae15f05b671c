// Reads `fixtures/<format>/*.log`: each log line with the expectation written above it.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES_DIR = join(REPO_ROOT, 'fixtures');
export const RULES_DIR = join(REPO_ROOT, 'rules');

export interface FixtureLine {
  file: string;
  lineNumber: number;
  text: string;
  /** null: the line must yield no event. */
  expect: Record<string, string> | null;
  /** Why the line is a known miss; such cases run as test.failing. */
  gap: string | null;
}

export interface FixtureProblem {
  file: string;
  lineNumber: number;
  problem: string;
}

export function fixtureFiles(format: string): string[] {
  const dir = join(FIXTURES_DIR, format);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .sort()
    .map((n) => join(dir, n));
}

/** Every log line of a fixture file with its expectation, plus problems (a line with none, bad YAML). */
export function readFixture(path: string): { lines: FixtureLine[]; problems: FixtureProblem[] } {
  const lines: FixtureLine[] = [];
  const problems: FixtureProblem[] = [];
  let expect: Record<string, string> | null | undefined;
  let gap: string | null = null;
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((text, index) => {
      const lineNumber = index + 1;
      if (text.trim() === '') return;
      const directive = /^# (expect|gap):\s?(.*)$/.exec(text);
      if (directive !== null) {
        if (directive[1] === 'gap') {
          gap = directive[2] ?? '';
          return;
        }
        const body = (directive[2] ?? '').trim();
        if (body === 'none') {
          expect = null;
          return;
        }
        try {
          const parsed: unknown = parseYaml(body);
          if (typeof parsed !== 'object' || parsed === null) throw new Error('not a mapping');
          expect = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
        } catch (error) {
          problems.push({ file: path, lineNumber, problem: `bad expectation: ${(error as Error).message}` });
          expect = undefined;
        }
        return;
      }
      if (text.startsWith('#')) return;
      if (expect === undefined) {
        problems.push({ file: path, lineNumber, problem: 'log line without a "# expect:" comment above it' });
      } else {
        lines.push({ file: path, lineNumber, text, expect, gap });
      }
      expect = undefined;
      gap = null;
    });
  return { lines, problems };
}

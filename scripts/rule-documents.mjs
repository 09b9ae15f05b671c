#!/usr/bin/env node
// Build step (after tsc): the rule files parsed from YAML once, into dist/rule-documents.json, so
// that commands compiling rules need not load the YAML parser (72 modules, a fifth of replay's
// start-up). Each entry keeps the exact text it was parsed from: a rule file edited after the build
// no longer matches, and is parsed from YAML as before (src/config/load.ts).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Whether JSON carries the value unchanged (no .inf/.nan, dates, maps with non-string keys...). */
function plainData(value) {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.every(plainData);
  return Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every(plainData);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const rulesDir = join(root, 'rules');
const documents = {};
for (const name of readdirSync(rulesDir)
  .filter((n) => n.endsWith('.yml'))
  .sort()) {
  const text = readFileSync(join(rulesDir, name), 'utf8');
  let document;
  try {
    document = parse(text);
  } catch {
    continue; // Left out: loading it reports the YAML error with the parser's own message.
  }
  if (plainData(document)) documents[name] = { text, document };
}
writeFileSync(join(root, 'dist', 'rule-documents.json'), `${JSON.stringify(documents)}\n`);

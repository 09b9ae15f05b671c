// The built rule documents (dist/rule-documents.json, scripts/rule-documents.mjs) compile to exactly
// what the YAML does, and a rule file edited after the build is read from its YAML again.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileRuleDocument, compileRuleFile } from '../../src/parse/rule-file.js';
import { REPO_ROOT, RULES_DIR } from '../helpers/fixtures.js';

// npm test builds first; the prebuilt documents are read by the built loader only.
const DOCUMENTS = join(REPO_ROOT, 'dist', 'rule-documents.json');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-rule-documents-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('every built-in rule file has a document that compiles as its YAML does', () => {
  const documents = JSON.parse(readFileSync(DOCUMENTS, 'utf8')) as Record<string, { text: string; document: unknown }>;
  const files = readdirSync(RULES_DIR).filter((n) => n.endsWith('.yml') && !n.startsWith('sipwarden.'));
  expect(Object.keys(documents).sort()).toEqual(files.sort());
  for (const name of files) {
    const text = readFileSync(join(RULES_DIR, name), 'utf8');
    expect(documents[name]?.text).toBe(text);
    expect(compileRuleDocument(documents[name]?.document, name)).toEqual(compileRuleFile(text, name));
  }
});

test('a rule file edited after the build is compiled from its text', async () => {
  const load = (await import(pathToFileURL(join(REPO_ROOT, 'dist', 'config', 'load.js')).href)) as typeof import('../../src/config/load.js');
  cpSync(RULES_DIR, dir, { recursive: true });
  const path = join(dir, 'asterisk.yml');
  writeFileSync(path, readFileSync(path, 'utf8').replace("contains: 'manager.c'", "contains: 'manager.c (edited)'"));
  const edited = load.loadRuleSets(dir, ['asterisk']).get('asterisk');
  expect(edited?.rules.find((r) => r.id === 'asterisk.ami.auth-failed')?.contains).toEqual(['manager.c (edited)']);
  const builtIn = load.loadRuleSets(undefined, ['asterisk']).get('asterisk');
  expect(builtIn?.rules.find((r) => r.id === 'asterisk.ami.auth-failed')?.contains).toEqual(['manager.c']);
});

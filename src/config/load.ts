// Reads the config file and the rule files from disk; all checking is done by the pure validators.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SipwardenError } from '../model/errors.js';
import { compileRuleDocument, compileRuleFile, type RuleSet } from '../parse/rule-file.js';
import { yaml } from '../parse/yaml.js';
import { DEFAULT_CONFIG_PATH } from './defaults.js';
import { validateConfig } from './validate.js';
import type { Config } from './types.js';

/** The rule files shipped with sipwarden (`<package>/rules`). */
export const BUILTIN_RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));

/** The built-in rule files parsed at build time (scripts/rule-documents.mjs), by file name. */
const RULE_DOCUMENTS = fileURLToPath(new URL('../rule-documents.json', import.meta.url));
let prebuilt: Map<string, { text: string; document: unknown }> | null = null;

/** The document of a rule file as parsed at build time, if its text is still exactly that. */
function prebuiltDocument(name: string, text: string): { document: unknown } | undefined {
  if (prebuilt === null) {
    prebuilt = new Map();
    try {
      const raw = JSON.parse(readFileSync(RULE_DOCUMENTS, 'utf8')) as Record<string, { text?: unknown; document?: unknown }>;
      for (const [file, entry] of Object.entries(raw)) {
        if (typeof entry.text === 'string' && 'document' in entry) prebuilt.set(file, { text: entry.text, document: entry.document });
      }
    } catch {
      // Not built (the sources run under a test runner) or unreadable: every file is parsed.
    }
  }
  const entry = prebuilt.get(name);
  return entry !== undefined && entry.text === text ? entry : undefined;
}

/** The formats a rule folder offers: one `<format>.yml` each. */
export function ruleFormats(dir: string = BUILTIN_RULES_DIR): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.yml'))
      .sort()
      .map((n) => n.slice(0, -4));
  } catch (error) {
    throw new SipwardenError('RULES_INVALID', `cannot read rule folder ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The rule files of a folder (or only `formats` of them), compiled; all errors of all files at
 * once. Commands compile only the formats they use, so a start does not pay for the rest.
 */
export function loadRuleSets(dir: string = BUILTIN_RULES_DIR, formats?: readonly string[]): Map<string, RuleSet> {
  const sets = new Map<string, RuleSet>();
  const errors: string[] = [];
  const names = (formats ?? ruleFormats(dir)).map((f) => `${f}.yml`);
  for (const name of names) {
    const text = readFileSync(join(dir, name), 'utf8');
    const built = prebuiltDocument(name, text);
    const result = built === undefined ? compileRuleFile(text, `rules/${name}`) : compileRuleDocument(built.document, `rules/${name}`);
    if (!result.ok) {
      errors.push(...result.errors);
      continue;
    }
    if (`${result.ruleSet.format}.yml` !== name) {
      errors.push(`rules/${name}: format: got "${result.ruleSet.format}"; use the file's own name, "${name.slice(0, -4)}"`);
      continue;
    }
    sets.set(result.ruleSet.format, result.ruleSet);
  }
  if (errors.length > 0) throw new SipwardenError('RULES_INVALID', `${errors.length} error(s) in rule files`, { details: errors });
  return sets;
}

export interface LoadedConfig {
  config: Config;
  /** The file read, or null when the built-in defaults are in force. */
  path: string | null;
}

/**
 * Loads and validates the config. With no explicit path, a missing default file means defaults;
 * an explicit path that does not exist is an error.
 */
export function loadConfig(explicitPath: string | undefined, formats: readonly string[]): LoadedConfig {
  const path = explicitPath ?? DEFAULT_CONFIG_PATH;
  if (!existsSync(path)) {
    if (explicitPath !== undefined) throw new SipwardenError('CONFIG_NOT_FOUND', `${path}: no such config file`);
    return { config: validateConfig({}, { formats }).config, path: null };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SipwardenError('IO', `${path}: cannot read: ${(error as Error).message}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = yaml().parse(text);
  } catch (error) {
    const where = error instanceof yaml().YAMLParseError && error.linePos !== undefined ? ` at line ${error.linePos[0].line}` : '';
    throw new SipwardenError('CONFIG_INVALID', `${path}: not valid YAML${where}`, {
      details: [`${path}: ${(error as Error).message.split('\n')[0] ?? ''}`],
      cause: error,
    });
  }
  const { config, errors } = validateConfig(raw, { formats });
  if (errors.length > 0) {
    throw new SipwardenError('CONFIG_INVALID', `${path}: ${errors.length} error(s)`, { details: errors.map((e) => `${path}: ${e}`) });
  }
  return { config, path };
}

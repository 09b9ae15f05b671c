// Rule text -> compiled rules, or every error in it; pure, so rule files can be checked anywhere.
import { yaml } from './yaml.js';
import { EVENT_KINDS, isEventKind, type EventKind, type EvidenceStream } from '../model/event.js';

export interface CompiledRule {
  id: string;
  kind: EventKind;
  /** Every string must occur in the line before the pattern is tried. */
  contains: readonly string[];
  pattern: RegExp;
  stream: EvidenceStream;
  /** Whether the pattern captures the kernel log prefix (the line then needs a configured prefix). */
  hasPrefix: boolean;
  hasTime: boolean;
}

export interface RuleSet {
  format: string;
  description: string;
  timePatterns: readonly RegExp[];
  rules: readonly CompiledRule[];
}

const BUILTIN_FRAGMENTS: Record<string, string> = {
  ipv4: '(?:\\d{1,3}\\.){3}\\d{1,3}',
  // Every written IPv6 form: compressed, zero-padded (the kernel's), IPv4-mapped.
  ipv6: '(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\\d{1,3}\\.){3}\\d{1,3})?',
};
BUILTIN_FRAGMENTS.ip = `(?:${BUILTIN_FRAGMENTS.ipv6}|${BUILTIN_FRAGMENTS.ipv4})`;

const CAPTURES = new Set(['attacker', 'victim', 'user', 'userAgent', 'time', 'prefix', 'transport']);
const RULE_KEYS = new Set(['id', 'kind', 'contains', 'pattern', 'stream', 'description']);
const FILE_KEYS = new Set(['format', 'description', 'time', 'fragments', 'rules']);

export type RuleFileResult = { ok: true; ruleSet: RuleSet } | { ok: false; errors: string[] };

function expand(pattern: string, fragments: Record<string, string>, depth = 0): string {
  if (depth > 8) throw new Error('fragments nest more than 8 deep');
  return pattern.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const body = fragments[name] ?? BUILTIN_FRAGMENTS[name];
    if (body === undefined) throw new Error(`unknown fragment {{${name}}}`);
    return expand(body, fragments, depth + 1);
  });
}

function captureNames(source: string): string[] {
  return [...source.matchAll(/\(\?<([A-Za-z_]\w*)>/g)].map((m) => m[1] ?? '');
}

/**
 * A greedy wildcard before the attacker capture, with no end anchor, lets caller-controlled
 * text placed later in the line decide which address is captured.
 */
export function greedyBeforeAttacker(source: string): boolean {
  const at = source.indexOf('(?<attacker>');
  if (at < 0) return false;
  const before = source.slice(0, at);
  const greedy = /(?<!\\)\.[*+](?!\?)/.test(before);
  return greedy && !source.endsWith('$');
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '');
}

/** Compiles one rule file's text; `name` is the file name used in error messages. */
export function compileRuleFile(text: string, name: string): RuleFileResult {
  let doc: unknown;
  try {
    doc = yaml().parse(text);
  } catch (error) {
    return { ok: false, errors: [`${name}: not valid YAML: ${(error as Error).message}`] };
  }
  return compileRuleDocument(doc, name);
}

/** Compiles one rule file already parsed from YAML (compileRuleFile, or a prebuilt document). */
export function compileRuleDocument(doc: unknown, name: string): RuleFileResult {
  const errors: string[] = [];
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { ok: false, errors: [`${name}: (top level): got no mapping; use keys format, description, time, fragments, rules`] };
  }
  const file = doc as Record<string, unknown>;
  for (const key of Object.keys(file)) {
    if (!FILE_KEYS.has(key)) errors.push(`${name}: ${key}: unknown key; use one of ${[...FILE_KEYS].join(', ')}`);
  }
  const format = typeof file.format === 'string' ? file.format : '';
  if (!/^[a-z][a-z0-9-]*$/.test(format)) errors.push(`${name}: format: got ${JSON.stringify(file.format)}; use a lower-case name such as asterisk`);
  const fragments: Record<string, string> = {};
  if (file.fragments !== undefined) {
    if (typeof file.fragments !== 'object' || file.fragments === null || Array.isArray(file.fragments)) {
      errors.push(`${name}: fragments: use a mapping of name to pattern text`);
    } else {
      for (const [key, value] of Object.entries(file.fragments)) {
        if (typeof value !== 'string') errors.push(`${name}: fragments.${key}: use pattern text`);
        else fragments[key] = value;
      }
    }
  }
  const timePatterns: RegExp[] = [];
  const timeList = file.time === undefined ? [] : file.time;
  if (!isStringList(timeList)) {
    errors.push(`${name}: time: use a list of patterns, each capturing "time"`);
  } else {
    timeList.forEach((source, i) => {
      try {
        const re = new RegExp(expand(source, fragments));
        if (!captureNames(re.source).includes('time')) errors.push(`${name}: time[${i}]: no capture named "time"`);
        timePatterns.push(re);
      } catch (error) {
        errors.push(`${name}: time[${i}]: ${(error as Error).message}`);
      }
    });
  }
  const rules: CompiledRule[] = [];
  const seen = new Set<string>();
  if (!Array.isArray(file.rules) || file.rules.length === 0) {
    errors.push(`${name}: rules: use a non-empty list of rules`);
  } else {
    file.rules.forEach((raw: unknown, i) => {
      const at = `${name}: rules[${i}]`;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        errors.push(`${at}: use a mapping with id, kind, contains, pattern`);
        return;
      }
      const rule = raw as Record<string, unknown>;
      for (const key of Object.keys(rule)) {
        if (!RULE_KEYS.has(key)) errors.push(`${at}.${key}: unknown key; use one of ${[...RULE_KEYS].join(', ')}`);
      }
      const id = typeof rule.id === 'string' ? rule.id : '';
      if (!id.startsWith(`${format}.`)) errors.push(`${at}.id: got ${JSON.stringify(rule.id)}; use "${format}.<what>"`);
      if (seen.has(id)) errors.push(`${at}.id: "${id}" is used twice; ids are unique`);
      seen.add(id);
      const kind = typeof rule.kind === 'string' ? rule.kind : '';
      if (!isEventKind(kind)) errors.push(`${at}.kind: got ${JSON.stringify(rule.kind)}; use one of ${EVENT_KINDS.join(', ')}`);
      const contains = typeof rule.contains === 'string' ? [rule.contains] : rule.contains;
      if (!isStringList(contains) || contains.length === 0) {
        errors.push(`${at}.contains: use a non-empty string or list of strings (the cheap pre-filter)`);
      }
      const stream = rule.stream ?? 'message';
      if (stream !== 'message' && stream !== 'security') errors.push(`${at}.stream: got ${JSON.stringify(stream)}; use message or security`);
      if (typeof rule.pattern !== 'string' || rule.pattern === '') {
        errors.push(`${at}.pattern: use a regular expression capturing "attacker"`);
        return;
      }
      let source: string;
      let pattern: RegExp;
      try {
        source = expand(rule.pattern, fragments);
        pattern = new RegExp(source);
      } catch (error) {
        errors.push(`${at}.pattern: ${(error as Error).message}`);
        return;
      }
      const names = captureNames(source);
      if (!names.includes('attacker')) errors.push(`${at}.pattern: no capture named "attacker"; it captures ${names.join(', ') || 'nothing'}`);
      for (const n of names) if (!CAPTURES.has(n)) errors.push(`${at}.pattern: unknown capture "${n}"; use ${[...CAPTURES].join(', ')}`);
      if (greedyBeforeAttacker(source)) {
        errors.push(
          `${at}.pattern: a greedy .* comes before the attacker capture and the pattern has no $ anchor; caller-controlled text could inject an address`,
        );
      }
      if (isStringList(contains) && isEventKind(kind) && (stream === 'message' || stream === 'security')) {
        rules.push({ id, kind, contains, pattern, stream, hasPrefix: names.includes('prefix'), hasTime: names.includes('time') });
      }
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    ruleSet: { format, description: typeof file.description === 'string' ? file.description : '', timePatterns, rules },
  };
}

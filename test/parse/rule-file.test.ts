// Rule files are checked like config: every error, naming the file and the key.
import { expect, test } from '@jest/globals';
import { compileRuleFile, greedyBeforeAttacker } from '../../src/parse/rule-file.js';
import { LineParser } from '../../src/parse/parse-line.js';

const TIME = { now: Date.UTC(2024, 11, 31), bootTime: 0 };

const good = `
format: examplepbx
time: ['^(?<time>\\S+) ']
fragments: { peer: '(?<attacker>{{ip}}):\\d+' }
rules:
  - id: examplepbx.register-rejected
    kind: register
    contains: 'REGISTER rejected'
    pattern: 'REGISTER rejected src={{peer}} user="(?<user>.*)"$'
`;

test('a good rule file compiles and parses its lines', () => {
  const result = compileRuleFile(good, 'rules/examplepbx.yml');
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const parser = new LineParser([result.ruleSet], { kernelPrefixes: [], time: TIME });
  const outcome = parser.parse('2024-01-15T10:00:00Z examplepbx[1]: REGISTER rejected src=198.51.100.8:5060 user="x src=203.0.113.9:5060"', 'f', 0);
  expect(outcome).toMatchObject({
    type: 'event',
    event: { kind: 'register', attacker: '198.51.100.8', user: 'x src=203.0.113.9:5060', time: Date.UTC(2024, 0, 15, 10) },
  });
  expect(parser.parse('2024-01-15T10:00:00Z examplepbx[1]: all fine', 'f', 0)).toEqual({ type: 'unmatched' });
});

test('errors name the file, the key and what is allowed, all at once', () => {
  const bad = `
format: examplepbx
colour: blue
rules:
  - id: other.x
    kind: brute
    contains: ''
    pattern: 'rejected (?<user>\\w+)'
  - id: examplepbx.y
    kind: register
    contains: 'x'
    pattern: '(unclosed'
  - id: examplepbx.z
    kind: register
    contains: 'from'
    pattern: 'from .* (?<attacker>{{ip}}) '
  - id: examplepbx.w
    kind: register
    contains: 'from'
    pattern: 'from {{nothing}}'
`;
  const result = compileRuleFile(bad, 'rules/examplepbx.yml');
  expect(result.ok).toBe(false);
  const errors = result.ok ? [] : result.errors;
  expect(errors).toEqual(
    expect.arrayContaining([
      'rules/examplepbx.yml: colour: unknown key; use one of format, description, time, fragments, rules',
      'rules/examplepbx.yml: rules[0].id: got "other.x"; use "examplepbx.<what>"',
      'rules/examplepbx.yml: rules[0].kind: got "brute"; use one of register, invite, auth, scanner, ratelimit',
      'rules/examplepbx.yml: rules[0].contains: use a non-empty string or list of strings (the cheap pre-filter)',
      'rules/examplepbx.yml: rules[0].pattern: no capture named "attacker"; it captures user',
      'rules/examplepbx.yml: rules[2].pattern: a greedy .* comes before the attacker capture and the pattern has no $ anchor; caller-controlled text could inject an address',
      'rules/examplepbx.yml: rules[3].pattern: unknown fragment {{nothing}}',
    ]),
  );
  expect(errors.some((e) => e.startsWith('rules/examplepbx.yml: rules[1].pattern: Invalid regular expression'))).toBe(true);
});

test('the greedy-before-attacker lint', () => {
  expect(greedyBeforeAttacker("failed for '.*' (?<attacker>x)")).toBe(true);
  expect(greedyBeforeAttacker("failed for '.*' (?<attacker>x)$")).toBe(false);
  expect(greedyBeforeAttacker("failed for '.*?' (?<attacker>x)")).toBe(false);
  expect(greedyBeforeAttacker("failed for '[^']*' (?<attacker>x)")).toBe(false);
  expect(greedyBeforeAttacker('(?<attacker>x) .*')).toBe(false);
});

test('kernel lines count only with a configured prefix', () => {
  const result = compileRuleFile(
    `
format: k
rules:
  - id: k.line
    kind: ratelimit
    contains: ' IN='
    pattern: '(?<prefix>[^\\]]*?) ?IN=\\S* OUT=\\S* .*?SRC=(?<attacker>{{ip}}) DST=(?<victim>{{ip}}) '
`,
    'rules/k.yml',
  );
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const line = 'sipwarden-ratelimit: IN=eth0 OUT= MAC=00 SRC=2001:0db8:0000:0000:0000:0000:0000:0005 DST=2001:0db8:0000:0000:0000:0000:0000:0001 LEN=40';
  const only = new LineParser([result.ruleSet], { kernelPrefixes: ['sipwarden-ratelimit:'], time: TIME });
  expect(only.parse(line, 'kernel', 5)).toMatchObject({ type: 'event', event: { attacker: '2001:db8::5', victim: '2001:db8::1', time: 5 } });
  expect(only.parse(line.replace('sipwarden-ratelimit:', 'UFW BLOCK'), 'kernel', 5)).toEqual({ type: 'unmatched' });
  const any = new LineParser([result.ruleSet], { kernelPrefixes: 'any', time: TIME });
  expect(any.parse(line.replace('sipwarden-ratelimit:', 'UFW BLOCK'), 'kernel', 5).type).toBe('event');
});

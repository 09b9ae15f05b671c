// Parse stage: rule files compiled into line parsers.
export { compileRuleFile, greedyBeforeAttacker, type CompiledRule, type RuleSet, type RuleFileResult } from './rule-file.js';
export { LineParser, MAX_LINE_LENGTH, type ParseOutcome, type MalformedReason, type LineParserOptions } from './parse-line.js';
export { parseTimestamp, type TimeReference } from './time.js';

// Config stage: defaults, pure validation, and the loader.
export { defaultConfig, DEFAULT_CONFIG_PATH, KERNEL_PREFIX_RATELIMIT, KERNEL_PREFIX_FALLBACK } from './defaults.js';
export { validateConfig, type ValidationResult, type ValidateOptions } from './validate.js';
export { loadConfig, loadRuleSets, BUILTIN_RULES_DIR, type LoadedConfig } from './load.js';
export { parseDuration, formatDuration } from './duration.js';
export { SECRET_PATHS } from './schema.js';
export type { Config, RateLimitConfig, RateUnit, SetSizesConfig, SmtpConfig, SourceConfig } from './types.js';

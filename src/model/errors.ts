// One error class with a stable code, so the CLI can print it and pick an exit status.

export type ErrorCode = 'CONFIG_INVALID' | 'CONFIG_NOT_FOUND' | 'RULES_INVALID' | 'USAGE' | 'IO' | 'NOT_FOUND' | 'KERNEL' | 'DAEMON' | 'MAIL';

/** A failure the user can act on; `details` lists every individual problem (e.g. all config errors). */
export class SipwardenError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly string[];
  constructor(code: ErrorCode, message: string, options: { details?: readonly string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SipwardenError';
    this.code = code;
    this.details = options.details ?? [];
  }
}

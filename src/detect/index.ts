// Detect stage: pure detectors, each fed events and told the time.
export { FailureWindow } from './failure-window.js';
export { InviteBucket, limiterParameters, UNIT_MS, type LimiterParameters } from './invite-bucket.js';
export { UserAgentMatcher } from './user-agents.js';
export { StrikeLedger, type Strike } from './strike-ledger.js';
export { StreamDedup, PAIR_WINDOW_MS } from './dedup.js';

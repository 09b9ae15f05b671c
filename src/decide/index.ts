// Decide stage: the detection engine that turns events into decisions.
export { DetectionEngine, type EngineOptions, type EngineResult, type Verdict } from './decide.js';

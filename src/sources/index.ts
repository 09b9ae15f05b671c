// Sources stage: where log lines come from (live files that rotate, whole files for replay).
export { FileFollower, type FileFollowerOptions, type RotationKind } from './file-tail.js';
export { readLineBatches, type LineBatch } from './read-lines.js';

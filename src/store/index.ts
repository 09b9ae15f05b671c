// The store: state as data, its root-only file, and its lock.
export * from './state.js';
export { openStateFile, SecureJsonFile, STATE_FILE } from './state-file.js';
export { StateSaver, type StateSaverOptions, type StateTarget } from './state-saver.js';
export { lockStore } from './lock.js';

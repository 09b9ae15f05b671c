// End-to-end suites: real nftables in network namespaces and real processes; need root.
import { common } from './jest.config.js';

export default { ...common, testMatch: ['<rootDir>/test/e2e/**/*.test.ts'], testTimeout: 120_000 };

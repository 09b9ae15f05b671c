// Enforcer settings for the pure nft tests: the defaults with the INVITE limiter on (20/minute, burst 10).
import { defaultConfig } from '../../src/config/defaults.js';
import { enforcerSettings, type EnforcerSettings } from '../../src/act/enforcer/backend.js';
import { parseCidr, type Cidr } from '../../src/model/address.js';

export const NOW = Date.UTC(2025, 0, 1);

export function limiterSettings(change: (c: ReturnType<typeof defaultConfig>) => void = () => {}): EnforcerSettings {
  const c = defaultConfig();
  c.invite.rateLimit = { enabled: true, value: 20, unit: 'minute', burst: 10 };
  change(c);
  return enforcerSettings(c);
}

/** A CIDR the test knows is valid. */
export function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (parsed === null) throw new Error(`not a CIDR: ${text}`);
  return parsed;
}

// The host's own addresses, which are never blocked whatever the evidence says.
import { networkInterfaces } from 'node:os';
import { canonicalAddress } from '../model/address.js';

export function hostAddresses(): string[] {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      const address = canonicalAddress(info.address);
      if (address !== null) out.add(address);
    }
  }
  return [...out];
}

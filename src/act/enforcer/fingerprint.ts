// A ruleset's fingerprint: carried in the ruleset itself (a rule comment), so reconcile can tell that the
// kernel holds an out-of-date ruleset without comparing it rule by rule.

/** FNV-1a, 32 bits, as 8 hex digits: stable across processes and versions, and without node:crypto. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

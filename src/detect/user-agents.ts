// Blocked User-Agent matching: case-insensitive substrings, as administrators list them.

export class UserAgentMatcher {
  private readonly needles: ReadonlyArray<{ original: string; lower: string }>;

  constructor(blocked: readonly string[]) {
    this.needles = blocked.map((original) => ({ original, lower: original.toLowerCase() }));
  }

  /** The listed string a User-Agent contains, or null. */
  match(userAgent: string | null): string | null {
    if (userAgent === null || userAgent === '' || this.needles.length === 0) return null;
    const lower = userAgent.toLowerCase();
    for (const needle of this.needles) if (lower.includes(needle.lower)) return needle.original;
    return null;
  }
}

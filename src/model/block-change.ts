// A change to the blocks or the allowlist, as the store makes it: what every view of the blocks follows.

export type BlockChange =
  /** A dynamic block in force until `until` (never shortened: the latest expiry wins). */
  | { type: 'dynamic'; target: string; until: number }
  /** A permanent block; it replaces any dynamic block of the same target. */
  | { type: 'permanent'; target: string }
  /** Every block on the target lifted by hand (or by an allowlisting); `forget` also clears its strikes. */
  | { type: 'lifted'; target: string; forget: boolean }
  /** A dynamic block that ran out. */
  | { type: 'expired'; target: string; until: number }
  /** The whole allowlist as it now stands (config entries and those added at run time). */
  | { type: 'allowlist'; entries: readonly string[] };

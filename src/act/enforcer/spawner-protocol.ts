// Messages between the daemon and its spawner child (see spawner.ts).
import type { CommandResult } from './run.js';

export interface SpawnRequest {
  id: number;
  file: string;
  args: string[];
  /** Text for the program's stdin, or null for none. */
  input: string | null;
}

export interface SpawnReply {
  id: number;
  result: CommandResult;
}

export function isSpawnRequest(value: unknown): value is SpawnRequest {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'number' &&
    typeof v.file === 'string' &&
    Array.isArray(v.args) &&
    v.args.every((a) => typeof a === 'string') &&
    (v.input === null || typeof v.input === 'string')
  );
}

export function isSpawnReply(value: unknown): value is SpawnReply {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const r = v.result as Record<string, unknown> | null | undefined;
  return typeof v.id === 'number' && typeof r === 'object' && r !== null && typeof r.stdout === 'string' && typeof r.stderr === 'string';
}

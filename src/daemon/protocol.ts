// The control socket's requests and answers: one JSON object per line each way.
import { isEventKind } from '../model/event.js';
import type { JournalQuery } from '../act/journal/query.js';

export type ListName = 'dynamic' | 'deny' | 'allow';

export type Request =
  | { command: 'status' }
  | { command: 'list'; list: ListName | null }
  | { command: 'block'; target: string; duration: number | null; permanent: boolean; note: string | null }
  | { command: 'unblock'; target: string; forget: boolean }
  | { command: 'allow-add'; target: string; note: string | null }
  | { command: 'allow-remove'; target: string }
  | { command: 'logs'; query: JournalQuery }
  | { command: 'report'; from: number; to: number; top: number };

export interface ErrorAnswer {
  ok: false;
  error: { code: string; message: string; details: string[] };
}

export type Answer = { ok: true; result: unknown } | ErrorAnswer;

function optionalString(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : undefined;
}

function optionalNumber(value: unknown): number | undefined | null {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Checks a decoded request; returns it typed, or what is wrong with it. */
export function parseRequest(raw: unknown): Request | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'a request is a JSON object with a "command"';
  const r = raw as Record<string, unknown>;
  switch (r.command) {
    case 'status':
      return { command: 'status' };
    case 'list': {
      const list = r.list ?? null;
      if (list !== null && list !== 'dynamic' && list !== 'deny' && list !== 'allow') return 'list: use dynamic, deny or allow';
      return { command: 'list', list };
    }
    case 'block': {
      const note = optionalString(r.note);
      const duration = r.duration === null || r.duration === undefined ? null : r.duration;
      if (typeof r.target !== 'string') return 'block: "target" must be a string';
      if (note === undefined) return 'block: "note" must be a string';
      if (duration !== null && (typeof duration !== 'number' || !(duration > 0)))
        return 'block: "duration" must be a positive number of ms, or null for the dynamic block time';
      return { command: 'block', target: r.target, duration, permanent: r.permanent === true, note };
    }
    case 'unblock':
      if (typeof r.target !== 'string') return 'unblock: "target" must be a string';
      return { command: 'unblock', target: r.target, forget: r.forget === true };
    case 'allow-add': {
      const note = optionalString(r.note);
      if (typeof r.target !== 'string') return 'allow-add: "target" must be a string';
      if (note === undefined) return 'allow-add: "note" must be a string';
      return { command: 'allow-add', target: r.target, note };
    }
    case 'allow-remove':
      if (typeof r.target !== 'string') return 'allow-remove: "target" must be a string';
      return { command: 'allow-remove', target: r.target };
    case 'logs': {
      const q = (typeof r.query === 'object' && r.query !== null ? r.query : {}) as Record<string, unknown>;
      const query: JournalQuery = {};
      if (q.kind !== undefined) {
        if (typeof q.kind !== 'string' || !isEventKind(q.kind)) return 'logs: "kind" is not an attack kind';
        query.kind = q.kind;
      }
      for (const key of ['since', 'until', 'page', 'perPage'] as const) {
        const value = optionalNumber(q[key]);
        if (value === null) return `logs: "${key}" must be a number`;
        if (value !== undefined) query[key] = value;
      }
      if (q.attacker !== undefined) {
        if (typeof q.attacker !== 'string') return 'logs: "attacker" must be a string';
        query.attacker = q.attacker;
      }
      return { command: 'logs', query };
    }
    case 'report': {
      const from = optionalNumber(r.from);
      const to = optionalNumber(r.to);
      if (typeof from !== 'number' || typeof to !== 'number' || from > to) return 'report: "from" and "to" must be times in ms, from <= to';
      const top = r.top === undefined ? 10 : r.top;
      if (typeof top !== 'number' || !Number.isInteger(top) || top < 1 || top > 1000) return 'report: "top" must be a whole number from 1 to 1000';
      return { command: 'report', from, to, top };
    }
    default:
      return `unknown command ${JSON.stringify(r.command)}; use status, list, block, unblock, allow-add, allow-remove, logs, report`;
  }
}

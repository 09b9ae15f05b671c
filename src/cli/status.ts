// `sipwarden status`: the dashboard — daemon, lists, attacks in the last 24 h, limiter, kernel counters.
import type { Argv } from 'yargs';
import { limiterParameters } from '../config/limiter.js';
import { formatDuration } from '../config/duration.js';
import { attackSummary } from '../daemon/operations.js';
import type { EnforcerBackend } from '../act/enforcer/backend.js';
import { runRequest } from './remote.js';
import { table } from './output.js';

interface StatusArgs {
  config?: string;
  json: boolean;
}

export interface StatusReport {
  daemon: { running: boolean; pid?: number; startedAt?: number; uptimeMs?: number };
  backend: string;
  lists: { allow: number; deny: number; dynamic: number };
  attacks: { since: number; byKind: Record<string, number>; top: Array<{ attacker: string; count: number }> };
  limiter: { enabled: boolean; value: number; unit: string; burst: number; intervalMs: number };
  kernel: { counters?: Record<string, number> | null; sets?: Array<{ name: string; elements: number; size: number }> | null; error?: string };
  sources?: Array<{ path: string; format: string; lines: number; events: number; malformed: number }>;
}

async function kernelView(backend: EnforcerBackend): Promise<StatusReport['kernel']> {
  try {
    return {
      counters: backend.counters === undefined ? null : await backend.counters(),
      sets: backend.fill === undefined ? null : await backend.fill(),
    };
  } catch (error) {
    return { error: (error as Error).message.split('\n')[0] ?? '' };
  }
}

export function statusText(s: StatusReport): string {
  const lines: string[] = [];
  lines.push(
    s.daemon.running
      ? `daemon      running (pid ${s.daemon.pid ?? '?'}, up ${formatDuration(Math.round((s.daemon.uptimeMs ?? 0) / 1000) * 1000)})`
      : 'daemon      not running',
  );
  lines.push(`backend     ${s.backend}`);
  lines.push(`lists       ${s.lists.dynamic} dynamic, ${s.lists.deny} permanent (deny), ${s.lists.allow} allowed`);
  const l = s.limiter;
  lines.push(
    `limiter     ${l.enabled ? `on: ${l.value}/${l.unit}, burst ${l.burst} (one INVITE every ${formatDuration(l.intervalMs)} after the burst)` : 'off'}`,
  );
  const kinds = Object.entries(s.attacks.byKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  lines.push(`attacks     last 24h: ${kinds}`);
  if (s.attacks.top.length > 0) {
    lines.push('', 'Top attackers (24h)');
    lines.push(
      table(
        ['ATTACKER', 'ATTACKS'],
        s.attacks.top.map((t) => [t.attacker, String(t.count)]),
      ),
    );
  }
  if (s.kernel.error !== undefined) lines.push('', `kernel      unavailable: ${s.kernel.error}`);
  if (s.kernel.counters !== undefined && s.kernel.counters !== null) {
    lines.push('', 'Kernel counters (packets)');
    lines.push(
      table(
        ['RULE', 'PACKETS'],
        Object.entries(s.kernel.counters).map(([k, v]) => [k, String(v)]),
      ),
    );
  }
  if (s.kernel.sets !== undefined && s.kernel.sets !== null && s.kernel.sets.length > 0) {
    lines.push('', 'Kernel sets');
    lines.push(
      table(
        ['SET', 'ELEMENTS', 'SIZE', 'FILL'],
        s.kernel.sets.map((f) => [f.name, String(f.elements), String(f.size), f.size > 0 ? `${((100 * f.elements) / f.size).toFixed(1)}%` : '-']),
      ),
    );
  }
  if (s.sources !== undefined && s.sources.length > 0) {
    lines.push('', 'Sources');
    lines.push(
      table(
        ['PATH', 'FORMAT', 'LINES', 'EVENTS', 'MALFORMED'],
        s.sources.map((src) => [src.path, src.format, String(src.lines), String(src.events), String(src.malformed)]),
      ),
    );
  }
  return lines.join('\n');
}

export function statusCommand(yargs: Argv): Argv {
  return yargs.command<StatusArgs>(
    'status',
    'Daemon, lists, attacks in the last 24 h, limiter settings and kernel counters',
    (y) => y.option('json', { type: 'boolean', default: false }) as unknown as Argv<StatusArgs>,
    async (args) => {
      const { result } = await runRequest<StatusReport>({ configPath: args.config, kernel: false }, { command: 'status' }, false, async (ctx) => {
        const rate = ctx.config.invite.rateLimit;
        return {
          daemon: { running: false },
          backend: ctx.config.backend,
          lists: {
            allow: ctx.store.allowlist().length,
            deny: ctx.store.data.deny.length,
            dynamic: ctx.store.data.dynamic.filter((d) => d.until > ctx.now).length,
          },
          attacks: attackSummary(ctx.journal, ctx.now - 86_400_000),
          limiter: { ...rate, intervalMs: limiterParameters(rate).intervalMs },
          kernel:
            process.getuid?.() === 0
              ? await kernelView((await import('../act/enforcer/create.js')).createEnforcer({ config: ctx.config }))
              : { error: 'needs root' },
        };
      });
      process.stdout.write(`${args.json ? JSON.stringify(result) : statusText(result)}\n`);
    },
  );
}

// Journal benchmark: 1,000,000 entries appended, then queries by kind, time range and attacker,
// through the daemon's in-memory index and through a cold read-only open (the CLI without daemon).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../dist/act/journal/journal.js';

const N = Number(process.argv[2] ?? 1_000_000);
const KINDS = ['register', 'invite', 'auth', 'scanner', 'ratelimit'];
const T0 = Date.UTC(2024, 0, 1);
const dir = mkdtempSync(join(tmpdir(), 'sipwarden-bench-journal-'));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

try {
  const journal = Journal.open(join(dir, 'journal'));
  let started = performance.now();
  // Entries every 2.6 s over a month: 30 daily segments.
  for (let b = 0; b < N / 10_000; b++) {
    const batch = [];
    for (let i = 0; i < 10_000; i++) {
      const n = b * 10_000 + i;
      const v6 = n % 5 === 0;
      batch.push({
        time: T0 + n * 2600,
        attacker: v6 ? `2001:db8:${(n >> 12) & 0xfff}::${(n & 0xfff).toString(16)}` : `198.51.${(n >> 8) & 255}.${n & 255}`,
        victim: '192.0.2.10',
        kind: KINDS[n % 5],
        userAgent: n % 7 === 0 ? 'friendly-scanner' : 'Asterisk PBX',
        user: String(100 + (n % 900)),
        source: '/var/log/asterisk/messages',
        rule: 'asterisk.chansip.register-failed',
      });
    }
    journal.append(batch);
  }
  const appendSeconds = (performance.now() - started) / 1000;
  const queries = {
    'newest page': {},
    'kind=invite page 3': { kind: 'invite', page: 3 },
    'one attacker': { attacker: '198.51.3.7' },
    'one day, kind=auth': { since: T0 + 5 * 86_400_000, until: T0 + 6 * 86_400_000, kind: 'auth' },
  };
  const rows = [];
  for (const [name, query] of Object.entries(queries)) {
    const times = [];
    let total = 0;
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      total = journal.query(query).total;
      times.push(performance.now() - t);
    }
    rows.push({ query: name, total, warmMs: median(times) });
  }
  journal.close();
  started = performance.now();
  const cold = Journal.open(join(dir, 'journal'), { readOnly: true });
  const coldTotal = cold.query({ kind: 'invite' }).total;
  const coldMs = performance.now() - started;
  const result = {
    benchmark: 'journal',
    entries: N,
    appendSeconds,
    appendPerSecond: N / appendSeconds,
    queries: rows,
    coldOpenAndQueryMs: coldMs,
    coldTotal,
    targetMs: 300,
  };
  console.log(`journal: ${N} entries appended in ${appendSeconds.toFixed(2)} s (${Math.round(N / appendSeconds)} entries/s)`);
  for (const row of rows) console.log(`  ${row.query.padEnd(22)} total ${String(row.total).padStart(8)}  ${row.warmMs.toFixed(1)} ms (target < 300 ms)`);
  console.log(`  cold open + query       total ${String(coldTotal).padStart(8)}  ${coldMs.toFixed(1)} ms (the CLI with no daemon)`);
  mkdirSync(new URL('./out/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./out/journal.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Replay parsed in worker threads gives exactly what it gives in one thread: same events, same
// line numbers, same decisions in the same order, same summary.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadRuleSets } from '../../src/config/load.js';
import { defaultConfig } from '../../src/config/defaults.js';
import { replayFiles } from '../../src/replay/replay.js';
import type { ReplaySummary } from '../../src/replay/tally.js';
import { ParsePool, parseWorkersFor } from '../../src/replay/parse-pool.js';
import { FIXTURES_DIR, REPO_ROOT } from '../helpers/fixtures.js';

// Jest runs the TypeScript sources; a worker thread needs the built script (npm test builds first).
const WORKER = pathToFileURL(join(REPO_ROOT, 'dist', 'replay', 'parse-worker.js'));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-replay-unit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  records: string[];
  summary: ReplaySummary;
}

async function run(files: string[], formats: string[], pool?: ParsePool): Promise<Run> {
  const ruleSets = [...loadRuleSets(undefined, formats).values()];
  const records: string[] = [];
  const summary = await replayFiles({
    config: defaultConfig(),
    ruleSets,
    files,
    ...(pool === undefined ? {} : { pool }),
    onEvent: (event, file, line) => records.push(JSON.stringify({ file, line, ...event })),
    onDecision: (decision, file, line) => records.push(JSON.stringify({ file, line, ...decision })),
  });
  return { records, summary };
}

async function inWorkers(files: string[], formats: string[], workers: number): Promise<Run> {
  const pool = new ParsePool(workers, WORKER);
  try {
    return await run(files, formats, pool);
  } finally {
    await pool.close();
  }
}

describe('parse workers', () => {
  test('several chunks, several files, lines without a stamp: as in one thread', async () => {
    const notice = readFileSync(join(FIXTURES_DIR, 'replay', 'asterisk-notice-and-security', 'input.log'), 'utf8');
    // Journal-export lines carry no stamp: their time is the previous event's, across chunks too.
    const bare =
      "pbx asterisk[1234]: NOTICE[2417] chan_sip.c: Registration from '\"100\"<sip:100@192.0.2.10>' failed for '203.0.113.77:5060' - Wrong password\n";
    const big = join(dir, 'big.log');
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < 9 * 1024 * 1024; i++) {
      const part = i % 7 === 0 ? bare : notice;
      parts.push(part);
      size += part.length;
    }
    writeFileSync(big, parts.join(''));
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    const unterminated = join(dir, 'unterminated.log');
    writeFileSync(unterminated, bare.trimEnd());
    const files = [big, empty, unterminated, big];
    const one = await run(files, ['asterisk']);
    const two = await inWorkers(files, ['asterisk'], 2);
    expect(one.summary.matched).toBeGreaterThan(10_000);
    expect(one.summary.decisionsByType.block ?? 0).toBeGreaterThan(0);
    expect(two.summary).toEqual(one.summary);
    expect(two.records).toEqual(one.records);
    const three = await inWorkers(files, ['asterisk'], 3);
    expect(three.records).toEqual(one.records);
    const single = await inWorkers(files, ['asterisk'], 1);
    expect(single.records).toEqual(one.records);
  }, 60_000);

  test('malformed lines are counted the same', async () => {
    const file = join(dir, 'junk.log');
    const attack =
      "[2024-01-15 10:23:45] NOTICE[2417] chan_sip.c: Registration from '\"100\"<sip:100@192.0.2.10>' failed for '198.51.100.8:5060' - Wrong password\n";
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(attack.repeat(50_000)),
        Buffer.from(`${'A'.repeat(1024 * 1024)}\n`),
        Buffer.from([0, 1, 2, 0xff, 0xfe, 10]),
        Buffer.from(attack.replace('100@', '\xff@'), 'latin1'),
        Buffer.from(attack.replace('198.51.100.8', '198.51.100.999')),
        Buffer.from(attack.repeat(50_000)),
      ]),
    );
    const one = await run([file], ['asterisk']);
    const two = await inWorkers([file], ['asterisk'], 2);
    expect(one.summary.malformedByReason).toEqual({ 'too-long': 1, 'bad-address': 1, 'bad-time': 0, 'invalid-utf8': 2 });
    expect(one.summary.lines).toBe(100_004);
    expect(two.summary).toEqual(one.summary);
    expect(two.records).toEqual(one.records);
  }, 60_000);

  test('a failing worker fails the replay', async () => {
    const file = join(dir, 'any.log');
    writeFileSync(file, 'x\n');
    const pool = new ParsePool(1, pathToFileURL(join(dir, 'missing-worker.js')));
    try {
      await expect(run([file], ['asterisk'], pool)).rejects.toThrow();
    } finally {
      await pool.close();
    }
  });
});

test("replay waits for afterChunk after each chunk, before the next chunk's events", async () => {
  const file = join(dir, 'two-chunks.log');
  const line =
    "[2024-01-15 10:23:45] NOTICE[2417] chan_sip.c: Registration from '\"100\"<sip:100@192.0.2.10>' failed for '198.51.100.8:5060' - Wrong password\n";
  writeFileSync(file, line.repeat(Math.ceil((6 * 1024 * 1024) / line.length)));
  const seen: string[] = [];
  let events = 0;
  await replayFiles({
    config: defaultConfig(),
    ruleSets: [...loadRuleSets(undefined, ['asterisk']).values()],
    files: [file],
    onEvent: () => {
      events++;
    },
    afterChunk: async () => {
      seen.push(`chunk after ${events} events`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      seen.push('resumed');
    },
  });
  expect(seen).toHaveLength(4);
  expect(seen[1]).toBe('resumed');
  expect(seen[3]).toBe('resumed');
  expect(seen[2]).toBe(`chunk after ${events} events`);
});

test('workers only pay for large inputs on machines with cores to spare', () => {
  expect(parseWorkersFor(1024, 8)).toBe(0);
  expect(parseWorkersFor(200 * 1024 * 1024, 1)).toBe(0);
  expect(parseWorkersFor(200 * 1024 * 1024, 2)).toBe(1);
  expect(parseWorkersFor(200 * 1024 * 1024, 4)).toBe(3);
  expect(parseWorkersFor(200 * 1024 * 1024, 64)).toBe(3);
});

test('the summary lists rules and kinds in the order the log first has them', async () => {
  const log = join(dir, 'order.log');
  writeFileSync(
    log,
    [
      '[2024-01-15 10:00:00] SECURITY[1204] res_security_log.c: SecurityEvent="InvalidPassword",EventTV="2024-01-15T10:00:00.100+0000",Severity="Error",Service="SIP",EventVersion="2",AccountID="100",SessionID="0x1",LocalAddress="IPV4/UDP/192.0.2.10/5060",RemoteAddress="IPV4/UDP/203.0.113.5/5060",Challenge="1",ReceivedChallenge="1",ReceivedHash="2"',
      "[2024-01-15 10:00:01] NOTICE[2417] chan_sip.c: Registration from '\"100\"<sip:100@192.0.2.10>' failed for '203.0.113.6:5060' - Wrong password",
      "[2024-01-15 10:00:02] NOTICE[2417] chan_sip.c: Registration from '\"100\"<sip:100@192.0.2.10>' failed for '203.0.113.6:5060' - Wrong password",
      '',
    ].join('\n'),
  );
  const { summary } = await run([log], ['asterisk']);
  expect(Object.entries(summary.matchedByRule)).toEqual([
    ['asterisk.security.invalid-password', 1],
    ['asterisk.chansip.register-failed', 2],
  ]);
  expect(Object.entries(summary.eventsByKind)).toEqual([
    ['auth', 1],
    ['register', 2],
  ]);
  expect(summary.matched).toBe(3);
});

// The file follower on real files in a temporary folder: appends, partial lines, rotation, restarts, limits.
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { appendFileSync, copyFileSync, mkdtempSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileFollower, type FileFollowerOptions, type RotationKind } from '../../src/sources/file-tail.js';
import type { SourcePosition } from '../../src/model/source-position.js';

let dir: string;
let log: string;
const running: FileFollower[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipwarden-tail-'));
  log = join(dir, 'messages');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** A follower with everything it reports collected. */
interface Followed {
  follower: FileFollower;
  lines: string[];
  batches: string[][];
  positions: SourcePosition[];
  rotations: RotationKind[];
  errors: Error[];
}

async function follow(options: Partial<Omit<FileFollowerOptions, 'onLines' | 'onError' | 'onRotate'>> = {}): Promise<Followed> {
  const f: Omit<Followed, 'follower'> = { lines: [], batches: [], positions: [], rotations: [], errors: [] };
  const follower = new FileFollower(log, {
    start: null,
    pollMs: 50,
    ...options,
    onLines: (lines, position) => {
      f.batches.push(lines);
      f.lines.push(...lines);
      f.positions.push(position);
    },
    onError: (error) => f.errors.push(error),
    onRotate: (kind) => f.rotations.push(kind),
  });
  running.push(follower);
  await follower.start();
  return { follower, ...f };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; fails with the last observed value after `timeoutMs`. */
async function waitFor<T>(observe: () => T, check: (value: T) => boolean, timeoutMs = 3000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const value = observe();
    if (check(value)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms; last seen ${JSON.stringify(value)}`);
    await sleep(5);
  }
}

/** Waits for exactly `expected`, then a few poll periods more to catch duplicates arriving late. */
async function expectLines(f: Followed, expected: string[]): Promise<number> {
  const took = await waitFor(
    () => f.lines.length,
    (n) => n >= expected.length,
  );
  await sleep(150);
  expect(f.lines).toEqual(expected);
  expect(f.errors).toEqual([]);
  return took;
}

test('appended lines arrive through fs.watch within tens of ms, one batch per read', async () => {
  writeFileSync(log, '');
  // A poll far slower than the wait: only the watcher can deliver in time.
  const f = await follow({ pollMs: 60_000 });
  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    const before = f.lines.length;
    appendFileSync(log, `line ${i}a\nline ${i}b\n`);
    latencies.push(
      await waitFor(
        () => f.lines.length,
        (n) => n >= before + 2,
        2000,
      ),
    );
  }
  expect(f.lines).toEqual(Array.from({ length: 5 }, (_, i) => [`line ${i}a`, `line ${i}b`]).flat());
  expect(f.batches.every((b) => b.length === 2)).toBe(true);
  expect(f.positions.at(-1)).toEqual({ dev: statSync(log).dev, ino: statSync(log).ino, offset: statSync(log).size });
  // Recorded for the reader; the hard bound is the 2 s wait above.
  expect(Math.max(...latencies)).toBeLessThan(2000);
});

test('a partial line waits for its newline; CRLF loses its \\r; the position stays at the line start', async () => {
  writeFileSync(log, '');
  const f = await follow();
  appendFileSync(log, 'first\nhal');
  await waitFor(
    () => f.lines,
    (l) => l.length === 1,
  );
  await sleep(150);
  expect(f.lines).toEqual(['first']);
  expect(f.follower.position().offset).toBe(6);
  appendFileSync(log, 'f\r\nnext\n');
  await expectLines(f, ['first', 'half', 'next']);
  expect(f.follower.position().offset).toBe(statSync(log).size);
});

test('rename rotation: lines written to the old file after the rename come first, then the new file, each once', async () => {
  writeFileSync(log, '');
  const f = await follow();
  appendFileSync(log, 'a1\na2\n');
  await waitFor(
    () => f.lines.length,
    (n) => n === 2,
  );
  renameSync(log, `${log}.1`);
  appendFileSync(`${log}.1`, 'old after rename\n');
  writeFileSync(log, 'new1\n');
  appendFileSync(log, 'new2\n');
  await expectLines(f, ['a1', 'a2', 'old after rename', 'new1', 'new2']);
  expect(f.rotations).toEqual(['rename']);
  appendFileSync(log, 'new3\n');
  await expectLines(f, ['a1', 'a2', 'old after rename', 'new1', 'new2', 'new3']);
  const now = statSync(log);
  expect(f.follower.position()).toEqual({ dev: now.dev, ino: now.ino, offset: now.size });
});

test('rename rotation: while the new file is empty the old one is still read (writer not yet reopened)', async () => {
  writeFileSync(log, 'x\n');
  const f = await follow();
  renameSync(log, `${log}.1`);
  writeFileSync(log, '');
  await sleep(200); // the follower has seen the empty new file by now
  appendFileSync(`${log}.1`, 'late to old\n');
  await waitFor(
    () => f.lines.length,
    (n) => n === 1,
  );
  appendFileSync(`${log}.1`, 'later to old\n');
  appendFileSync(log, 'first in new\n');
  await expectLines(f, ['late to old', 'later to old', 'first in new']);
  expect(f.rotations).toEqual(['rename']);
});

test('copytruncate: lines written right after the truncation are not lost', async () => {
  writeFileSync(log, '');
  const f = await follow();
  appendFileSync(log, 'before 1\nbefore 2\n');
  await waitFor(
    () => f.lines.length,
    (n) => n === 2,
  );
  copyFileSync(log, `${log}.1`);
  truncateSync(log, 0);
  appendFileSync(log, 'after 1\n');
  await expectLines(f, ['before 1', 'before 2', 'after 1']);
  appendFileSync(log, 'after 2\n');
  await expectLines(f, ['before 1', 'before 2', 'after 1', 'after 2']);
  expect(f.rotations).toEqual(['truncate']);
});

test('copytruncate: a file truncated and regrown past the offset before we look is read from its start', async () => {
  writeFileSync(log, '');
  const f = await follow();
  appendFileSync(log, 'short\n');
  await waitFor(
    () => f.lines.length,
    (n) => n === 1,
  );
  // Same tick: the follower only sees the end state, bigger than its offset of 6.
  truncateSync(log, 0);
  appendFileSync(log, 'a longer line after truncation\nand another\n');
  await expectLines(f, ['short', 'a longer line after truncation', 'and another']);
  expect(f.rotations).toEqual(['truncate']);
});

test('a file that does not exist yet is waited for, then read from its start', async () => {
  const f = await follow({ start: null });
  await sleep(120);
  expect(f.errors).toEqual([]);
  writeFileSync(log, 'hello\nworld\n');
  await expectLines(f, ['hello', 'world']);
  expect(f.rotations).toEqual(['appeared']);
});

test('first run starts at the end; a partial last line is delivered whole once it ends', async () => {
  writeFileSync(log, 'old 1\nold 2\nhalf of a li');
  const f = await follow({ start: null });
  appendFileSync(log, 'ne\nnew\n');
  await expectLines(f, ['half of a line', 'new']);
});

test('resume after stop: lines written while stopped arrive once, none twice', async () => {
  writeFileSync(log, 'old\n');
  const first = await follow();
  appendFileSync(log, 'a\nb\npart');
  await waitFor(
    () => first.lines.length,
    (n) => n === 2,
  );
  await first.follower.stop();
  const saved = first.follower.position();
  expect(saved.offset).toBe('old\na\nb\n'.length);
  appendFileSync(log, 'ial\nc\n');
  await sleep(100);
  expect(first.lines).toEqual(['a', 'b']); // nothing after stop()

  const second = await follow({ start: saved });
  await expectLines(second, ['partial', 'c']);
  appendFileSync(log, 'd\n');
  await expectLines(second, ['partial', 'c', 'd']);
});

test('resume exactly at a saved position whose file has not changed: nothing arrives', async () => {
  writeFileSync(log, 'a\nb\n');
  const s = statSync(log);
  const f = await follow({ start: { dev: s.dev, ino: s.ino, offset: s.size } });
  await sleep(150);
  expect(f.lines).toEqual([]);
  appendFileSync(log, 'c\n');
  await expectLines(f, ['c']);
});

test('a saved position for another inode: the file was rotated while down, read the new one from its start', async () => {
  writeFileSync(log, 'a\nb\n');
  const old = statSync(log);
  renameSync(log, `${log}.1`); // kept, so the new file cannot reuse the inode
  writeFileSync(log, 'n1\nn2\n');
  const f = await follow({ start: { dev: old.dev, ino: old.ino, offset: old.size } });
  await expectLines(f, ['n1', 'n2']);
});

test('a saved position past the end of the same file: truncated while down, read from 0', async () => {
  writeFileSync(log, 'a long first line\nsecond\n');
  const s = statSync(log);
  truncateSync(log, 0);
  appendFileSync(log, 'x\n');
  const f = await follow({ start: { dev: s.dev, ino: s.ino, offset: s.size } });
  await expectLines(f, ['x']);
});

test('a 1 MB line is cut to maxLineBytes and the following lines still arrive', async () => {
  writeFileSync(log, '');
  const f = await follow();
  appendFileSync(log, 'x'.repeat(600_000));
  await sleep(100); // half of it read already: the skip carries across reads
  appendFileSync(log, `${'x'.repeat(448_576)}\nafter 1\nafter 2\n`);
  await waitFor(
    () => f.lines.length,
    (n) => n >= 3,
  );
  await sleep(100);
  expect(f.lines.map((l) => l.length)).toEqual([65536, 7, 7]);
  expect(f.lines.slice(1)).toEqual(['after 1', 'after 2']);
  expect(f.follower.position().offset).toBe(statSync(log).size);
});

test('cutting a long line never splits a UTF-8 character', async () => {
  writeFileSync(log, '');
  const f = await follow({ maxLineBytes: 5 });
  appendFileSync(log, 'abcd€€€\nabcde\n');
  await expectLines(f, ['abcd', 'abcde']);
});

test('a UTF-8 character split across two writes arrives intact; invalid bytes become U+FFFD', async () => {
  writeFileSync(log, '');
  const f = await follow();
  const euro = Buffer.from('€');
  appendFileSync(log, Buffer.concat([Buffer.from('price 5'), euro.subarray(0, 1)]));
  await sleep(120);
  appendFileSync(log, Buffer.concat([euro.subarray(1), Buffer.from('\nbad \xff byte\n', 'latin1')]));
  await expectLines(f, ['price 5€', 'bad \uFFFD byte']);
});

test('the file removed and recreated later: the new one is read from its start', async () => {
  writeFileSync(log, 'a\n');
  const f = await follow();
  unlinkSync(log);
  await sleep(120);
  writeFileSync(log, 'b\n');
  await expectLines(f, ['b']);
  expect(f.rotations).toEqual(['rename']);
});

test('bad options name the option and the value', () => {
  expect(() => new FileFollower(log, { start: null, pollMs: 0, onLines: () => undefined })).toThrow(
    'FileFollower: pollMs: got 0 (number); use a positive integer',
  );
});

// The state file: atomic root-only writes, corruption moved aside with a clear error, the lock.
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockStore } from '../../src/store/lock.js';
import { openStateFile } from '../../src/store/state-file.js';
import { recordDecisions, expireBlocks, blockByHand, unblockTarget, allowTarget } from '../../src/store/state.js';

let dir: string;
beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'sipwarden-state-')), 'state');
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

test('state is written atomically, mode 0600 in a 0700 folder, and read back', () => {
  const db = openStateFile(dir);
  recordDecisions(db.data, [
    { type: 'block', time: 1000, target: '198.51.100.8', attacker: '198.51.100.8', kind: 'register', until: 5000, reason: 'r', strikes: 1 },
  ]);
  db.write();
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  expect(statSync(join(dir, 'state.json')).mode & 0o777).toBe(0o600);
  expect(readdirSync(dir)).toEqual(['state.json']);
  const again = openStateFile(dir);
  expect(again.data.dynamic).toEqual([{ target: '198.51.100.8', since: 1000, until: 5000, reason: 'r', by: 'system', strikes: 1 }]);
});

test('a corrupt state file is moved aside with a clear error, never silently replaced', () => {
  openStateFile(dir);
  writeFileSync(join(dir, 'state.json'), '{"version":1,"allow":[');
  expect(() => openStateFile(dir)).toThrow(/state\.json: corrupt state file .*moved aside to .*state\.json\.corrupt-/);
  expect(existsSync(join(dir, 'state.json'))).toBe(false);
  expect(readdirSync(dir).some((n) => n.startsWith('state.json.corrupt-'))).toBe(true);
  expect(openStateFile(dir).data.deny).toEqual([]);
});

test('decisions, expiry and hand edits', () => {
  const db = openStateFile(dir);
  const s = db.data;
  recordDecisions(s, [
    { type: 'block', time: 0, target: 'a', attacker: 'a', kind: 'register', until: 100, reason: 'x', strikes: 1 },
    { type: 'block', time: 10, target: 'a', attacker: 'a', kind: 'register', until: 50, reason: 'y', strikes: 2 },
  ]);
  expect(s.dynamic).toHaveLength(1);
  expect(s.dynamic[0]?.until).toBe(100);
  recordDecisions(s, [{ type: 'permanent', time: 20, target: 'a', attacker: 'a', kind: 'register', reason: 'x', strikes: 3, note: 'n' }]);
  expect(s.dynamic).toEqual([]);
  expect(s.deny).toEqual([{ target: 'a', note: 'n', since: 20, by: 'system', strikes: 3 }]);
  blockByHand(s, { target: 'b', now: 0, duration: 60, note: null });
  expect(expireBlocks(s, 59)).toEqual([]);
  expect(expireBlocks(s, 60).map((e) => e.target)).toEqual(['b']);
  s.strikes.a = [{ time: 1, reason: 'r' }];
  expect(unblockTarget(s, 'a', false)).toBe(true);
  expect(s.strikes.a).toHaveLength(1);
  expect(unblockTarget(s, 'a', true)).toBe(true);
  expect(s.strikes.a).toBeUndefined();
  expect(unblockTarget(s, 'zzz', false)).toBe(false);
  allowTarget(s, '192.0.2.0/24', 'office', 5);
  allowTarget(s, '192.0.2.0/24', 'office again', 6);
  expect(s.allow).toEqual([{ target: '192.0.2.0/24', note: 'office again', since: 6 }]);
});

test('recording blocks finds existing entries through pushes made elsewhere and replaced lists', () => {
  const s = openStateFile(dir).data;
  const block = (target: string, until: number) => ({
    type: 'block' as const,
    time: 0,
    target,
    attacker: target,
    kind: 'register' as const,
    until,
    reason: 'r',
    strikes: 1,
  });
  recordDecisions(s, [block('a', 100), block('b', 100)]);
  // A push that is not recordDecisions' own (as blockByHand does after replacing the list).
  s.dynamic.push({ target: 'c', since: 0, until: 100, reason: 'hand', by: 'admin', strikes: 0 });
  recordDecisions(s, [block('c', 200), block('a', 300)]);
  expect(s.dynamic.map((e) => [e.target, e.until])).toEqual([
    ['a', 300],
    ['b', 100],
    ['c', 200],
  ]);
  expireBlocks(s, 150);
  recordDecisions(s, [block('b', 400), block('c', 250)]);
  expect(s.dynamic.map((e) => [e.target, e.until])).toEqual([
    ['a', 300],
    ['c', 250],
    ['b', 400],
  ]);
});

test('the lock is exclusive', async () => {
  openStateFile(dir);
  const release = await lockStore(dir, { wait: false });
  await expect(lockStore(dir, { wait: false })).rejects.toThrow(/is locked by another sipwarden process/);
  await release();
  const again = await lockStore(dir, { wait: false });
  await again();
});

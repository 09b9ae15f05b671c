// The management operations on the store: validation, refusals, and what each changes.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/validate.js';
import { Journal } from '../../src/act/journal/journal.js';
import { BlockStore } from '../../src/store/block-store.js';
import { emptyState } from '../../src/store/state.js';
import {
  allowAddOperation,
  allowRemoveOperation,
  blockOperation,
  desiredState,
  listEntries,
  parseTarget,
  unblockOperation,
  type StoreContext,
} from '../../src/daemon/operations.js';
import { T0 } from '../helpers/events.js';

const dir = mkdtempSync(join(tmpdir(), 'sipwarden-ops-'));
const journal = Journal.open(join(dir, 'journal'));
afterAll(() => {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
});

function context(allowlist: string[] = []): StoreContext {
  const { config, errors } = validateConfig({ allowlist, blocking: { dynamicBlockTime: '1h' } });
  expect(errors).toEqual([]);
  return {
    config,
    store: new BlockStore(emptyState(), () => config.allowlist),
    journal,
    enforcer: null,
    hostAddresses: ['192.0.2.1', '2001:db8:ff::1'],
    now: T0,
  };
}

describe('targets', () => {
  test('addresses and ranges are canonical; too wide or not an address is refused', () => {
    expect(parseTarget('2001:DB8::0:5').network).toBe('2001:db8::5');
    expect(() => parseTarget('10.0.0.0/7')).toThrow('covers too much of the internet (/7)');
    expect(() => parseTarget('2001:db8::/15')).toThrow('/15');
    expect(() => parseTarget('example.com')).toThrow('is not an IPv4 or IPv6 address or CIDR');
  });
});

describe('block', () => {
  test('dynamic for the configured time, or for a duration, or permanent; the row says which', async () => {
    const ctx = context();
    const dynamic = await blockOperation(ctx, { target: '198.51.100.7', duration: null, permanent: false, note: null });
    expect(dynamic).toMatchObject({ list: 'dynamic', target: '198.51.100.7', until: T0 + 3_600_000, by: 'admin' });
    const timed = await blockOperation(ctx, { target: '203.0.113.0/24', duration: 90_000, permanent: false, note: 'scanner' });
    expect(timed).toMatchObject({ until: T0 + 90_000, note: 'scanner' });
    const permanent = await blockOperation(ctx, { target: '198.51.100.7', duration: null, permanent: true, note: null });
    expect(permanent).toMatchObject({ list: 'deny', until: null, note: 'Blocked by hand.' });
    expect(desiredState(ctx.store)).toEqual({ allow: [], deny: ['198.51.100.7'], dynamic: [{ target: '203.0.113.0/24', until: T0 + 90_000 }] });
  });

  test('loopback, the host’s own addresses and allowlisted ranges are refused', async () => {
    const ctx = context(['198.51.100.0/28']);
    const block = (target: string) => blockOperation(ctx, { target, duration: null, permanent: true, note: null });
    await expect(block('127.0.0.1')).rejects.toThrow('loopback');
    await expect(block('::1')).rejects.toThrow('loopback');
    await expect(block('192.0.2.0/24')).rejects.toThrow("this host's own addresses");
    await expect(block('2001:db8:ff::/64')).rejects.toThrow("this host's own addresses");
    await expect(block('198.51.100.5')).rejects.toThrow('allowlisted');
    expect(listEntries(ctx, 'deny')).toEqual([]);
  });
});

describe('unblock', () => {
  test('lifts both lists; an address that is not blocked is NOT_FOUND', async () => {
    const ctx = context();
    await blockOperation(ctx, { target: '198.51.100.7', duration: null, permanent: true, note: null });
    expect(await unblockOperation(ctx, '198.51.100.7', false)).toEqual({ target: '198.51.100.7' });
    await expect(unblockOperation(ctx, '198.51.100.7', false)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('allowlist', () => {
  test('allowing a range lifts the blocks inside it and keeps wider ones', async () => {
    const ctx = context();
    await blockOperation(ctx, { target: '198.51.100.7', duration: null, permanent: true, note: null });
    await blockOperation(ctx, { target: '198.51.100.0/24', duration: 60_000, permanent: false, note: null });
    const result = await allowAddOperation(ctx, '198.51.100.0/28', 'office');
    expect(result).toEqual({ target: '198.51.100.0/28', lifted: ['198.51.100.7'] });
    expect(listEntries(ctx, null).map((r) => `${r.list} ${r.target}`)).toEqual(['dynamic 198.51.100.0/24', 'allow 198.51.100.0/28']);
  });

  test('a config entry cannot be removed at run time; an absent one is NOT_FOUND', async () => {
    const ctx = context(['192.0.2.10']);
    await expect(allowRemoveOperation(ctx, '192.0.2.10')).rejects.toThrow('allowlisted in the config file');
    await expect(allowRemoveOperation(ctx, '203.0.113.1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await allowAddOperation(ctx, '203.0.113.1', null);
    expect(await allowRemoveOperation(ctx, '203.0.113.1')).toEqual({ target: '203.0.113.1' });
  });
});

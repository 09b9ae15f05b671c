// Quick reconciles trust what the backend applied, except after a failure: then they compare with the store.
// A fake nft keeps elements in memory; the real kernel is covered by test/e2e/nftables.test.ts.
import { expect, test } from '@jest/globals';
import { defaultConfig } from '../../../src/config/defaults.js';
import { enforcerSettings, EMPTY_STATE, type DesiredState } from '../../../src/act/enforcer/backend.js';
import { NftablesBackend } from '../../../src/act/enforcer/nftables.js';
import { nftStructure } from '../../../src/act/enforcer/nft-structure.js';
import type { CommandResult, CommandRunner } from '../../../src/act/enforcer/run.js';
import type { BlockDecision } from '../../../src/model/decision.js';

const settings = enforcerSettings(defaultConfig());
const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '', spawnError: null });
const failure = (stderr: string): CommandResult => ({ exitCode: 1, stdout: '', stderr, spawnError: null });

/** A table that always has the expected structure, and the elements added to it. */
function fakeNft(tableSettings = settings): { runner: CommandRunner; kernel: Map<string, Set<string>>; failNext: (stderr: string) => void; scripts: string[] } {
  const structure = nftStructure(tableSettings);
  const scripts: string[] = [];
  const items: unknown[] = [{ table: { family: 'inet', name: 'sipwarden' } }];
  for (const [chain, rules] of Object.entries(structure.chains)) {
    items.push({ chain: { family: 'inet', table: 'sipwarden', name: chain } });
    for (let i = 0; i < rules; i++) {
      const comment = i === 0 && chain === 'prerouting' ? { comment: `sipwarden ruleset ${structure.fingerprint}` } : {};
      items.push({ rule: { family: 'inet', table: 'sipwarden', chain, ...comment } });
    }
  }
  for (const name of structure.sets) items.push({ set: { family: 'inet', table: 'sipwarden', name, size: 1000 } });
  const kernel = new Map<string, Set<string>>();
  let failing: string | null = null;
  const runner: CommandRunner = async (_file, args, input) => {
    if (input !== undefined) {
      scripts.push(input);
      if (failing !== null) {
        const stderr = failing;
        failing = null;
        return failure(stderr);
      }
      for (const m of input.matchAll(/^add element inet sipwarden (\S+) \{ (.*) \}$/gm)) {
        const set = kernel.get(m[1] ?? '') ?? new Set<string>();
        for (const value of (m[2] ?? '').split(', ')) set.add(value.split(' ')[0] ?? '');
        kernel.set(m[1] ?? '', set);
      }
      return ok();
    }
    if (args.includes('ruleset')) return ok(JSON.stringify({ nftables: items }));
    const name = args[args.length - 1] ?? '';
    return ok(JSON.stringify({ nftables: [{ set: { family: 'inet', table: 'sipwarden', name, elem: [...(kernel.get(name) ?? [])] } }] }));
  };
  return { runner, kernel, failNext: (stderr) => (failing = stderr), scripts };
}

const NOW = Date.now();
const block = (target: string): BlockDecision => ({
  type: 'block',
  time: NOW,
  target,
  attacker: target,
  kind: 'register',
  until: NOW + 600_000,
  reason: 'test',
  strikes: 1,
});
const store = (...targets: string[]): DesiredState => ({ allow: [], deny: [], dynamic: targets.map((target) => ({ target, until: NOW + 600_000 })) });

test('after a failed apply, even one followed by a repaired one, the quick reconcile puts the store in the kernel', async () => {
  const nft = fakeNft();
  const backend = new NftablesBackend({ settings, runner: nft.runner });
  await backend.reconcile(EMPTY_STATE, NOW);
  nft.failNext('Error: Could not process rule: Cannot allocate memory');
  await expect(backend.apply([block('198.51.100.1')], NOW)).rejects.toThrow(/Cannot allocate memory/);
  // The next apply meets a stale kernel and repairs itself towards its own view, which lacks the first block.
  nft.failNext('Error: Could not process rule: No such file or directory');
  await backend.apply([block('198.51.100.2')], NOW);
  expect(await backend.reconcile(store('198.51.100.1', '198.51.100.2'), NOW + 1000, { quick: true })).toMatchObject({ added: 1 });
  expect([...(nft.kernel.get('block4') ?? [])].sort()).toEqual(['198.51.100.1', '198.51.100.2']);
  // Compared once: from now on the quick reconcile trusts what was applied.
  expect(await backend.reconcile(store('198.51.100.1', '198.51.100.2', '198.51.100.3'), NOW + 2000, { quick: true })).toMatchObject({ transactions: 0 });
});

test('a batch the kernel refused is not taken for held: the quick reconcile adds it', async () => {
  const nft = fakeNft();
  const backend = new NftablesBackend({ settings, runner: nft.runner });
  await backend.reconcile(EMPTY_STATE, NOW);
  await backend.apply([block('198.51.100.1')], NOW);
  nft.failNext('Error: Could not process rule: Cannot allocate memory');
  await expect(backend.apply([block('198.51.100.2'), block('2001:db8:0:7::/64')], NOW)).rejects.toThrow(/Cannot allocate memory/);
  expect(await backend.reconcile(store('198.51.100.1', '198.51.100.2', '2001:db8:0:7::/64'), NOW + 1000, { quick: true })).toMatchObject({
    added: 2,
    removed: 0,
  });
  expect([...(nft.kernel.get('blockprefix6') ?? [])]).toEqual(['2001:db8:0:7::']);
});

test('a reconcile that fails leaves the next quick one to compare', async () => {
  const nft = fakeNft();
  const backend = new NftablesBackend({ settings, runner: nft.runner });
  await backend.reconcile(EMPTY_STATE, NOW);
  nft.failNext('Error: Could not process rule: Cannot allocate memory');
  await expect(backend.reconcile(store('203.0.113.9'), NOW)).rejects.toThrow();
  expect(await backend.reconcile(store('203.0.113.9'), NOW + 1000, { quick: true })).toMatchObject({ added: 1 });
});

test('a process meeting a table grouped by another IPv6 prefix never reads its prefix sets with the wrong length', async () => {
  const nft = fakeNft();
  nft.kernel.set('denyprefix6', new Set(['2001:db8:1:2::']));
  nft.kernel.set('deny4', new Set(['198.51.100.7']));
  const by48 = enforcerSettings({ ...defaultConfig(), blocking: { ...defaultConfig().blocking, ipv6Prefix: 48 } });
  await new NftablesBackend({ settings: by48, runner: nft.runner }).apply([block('203.0.113.9')], NOW);
  const load = nft.scripts.at(-1) ?? '';
  expect(load).toContain('198.51.100.7');
  expect(load).not.toContain('2001:db8:1:');
});

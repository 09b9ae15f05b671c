// The kernel queue: one transaction at a time, in order; a failure does not stop what follows.
import { expect, test } from '@jest/globals';
import { KernelQueue } from '../../src/daemon/kernel-queue.js';

test('work runs in order, one at a time; the first starts at once', async () => {
  const queue = new KernelQueue();
  const log: string[] = [];
  let release: () => void = () => {};
  const first = queue.run(async () => {
    log.push('first starts');
    await new Promise<void>((resolve) => (release = resolve));
    log.push('first ends');
    return 1;
  });
  // Started synchronously: nothing was queued before it.
  expect(log).toEqual(['first starts']);
  const second = queue.run(async () => {
    log.push('second');
    return 2;
  });
  expect(queue.size).toBe(2);
  release();
  expect(await Promise.all([first, second])).toEqual([1, 2]);
  expect(log).toEqual(['first starts', 'first ends', 'second']);
  await queue.drained();
  expect(queue.size).toBe(0);
});

test('a failed transaction rejects its caller only; the next one still runs', async () => {
  const queue = new KernelQueue();
  const failed = queue.run(async () => {
    throw new Error('nft: exit 1');
  });
  const next = queue.run(async () => 'ran');
  await expect(failed).rejects.toThrow('nft: exit 1');
  expect(await next).toBe('ran');
  await queue.drained();
});

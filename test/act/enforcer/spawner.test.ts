// The spawner runs commands from a small child process: same results as running them directly.
import { afterEach, expect, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { Spawner } from '../../../src/act/enforcer/spawner.js';

// The compiled child (`npm test` builds first): the child runs under plain node, not Jest.
const CHILD = fileURLToPath(new URL('../../../dist/act/enforcer/spawner-child.js', import.meta.url));
let spawner: Spawner | null = null;

afterEach(() => {
  spawner?.stop();
  spawner = null;
});

test('arguments are passed as given (no shell), stdin is fed, output and exit code come back', async () => {
  spawner = new Spawner(CHILD);
  expect(await spawner.runner('printf', ['%s|', 'a b', '$(id)', ';'])).toEqual({ exitCode: 0, stdout: 'a b|$(id)|;|', stderr: '', spawnError: null });
  expect(await spawner.runner('cat', [], 'line one\nline two\n')).toMatchObject({ exitCode: 0, stdout: 'line one\nline two' });
  expect(await spawner.runner('sh', ['-c', 'echo oops >&2; exit 3'])).toMatchObject({ exitCode: 3, stderr: 'oops', spawnError: null });
  expect(await spawner.runner('/nonexistent/nft', [])).toMatchObject({ exitCode: null, spawnError: 'ENOENT' });
});

test('many commands at once each get their own result', async () => {
  spawner = new Spawner(CHILD);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => spawner!.runner('echo', [String(i)])));
  expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
});

test('a child that dies fails what it had in flight, and the next command starts a new one', async () => {
  spawner = new Spawner(CHILD);
  const inFlight = spawner.runner('sleep', ['5']);
  await new Promise((r) => setTimeout(r, 200));
  const pid = Number((await spawner.runner('sh', ['-c', 'echo $PPID'])).stdout);
  process.kill(pid, 'SIGKILL');
  expect(await inFlight).toMatchObject({ exitCode: null, spawnError: expect.stringMatching(/spawner exited/) });
  expect(await spawner.runner('echo', ['again'])).toMatchObject({ exitCode: 0, stdout: 'again' });
});

test('after stop, commands fail at once', async () => {
  spawner = new Spawner(CHILD);
  spawner.stop();
  expect(await spawner.runner('echo', ['x'])).toMatchObject({ exitCode: null, spawnError: 'the spawner is stopped' });
});

// The walls of shared/design.md: each folder of src/ imports only from folders below it, never up or sideways.
import { expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(process.cwd(), 'src');

/** Lower floors first; a folder may import only from folders on a lower floor (and model/ is the lowest). */
const FLOORS: Record<string, number> = {
  model: 0,
  parse: 1,
  config: 2,
  sources: 3,
  detect: 3,
  store: 3,
  decide: 4,
  'act/journal': 4,
  'act/enforcer': 4,
  'act/notify': 5,
  replay: 6,
  daemon: 7,
  cli: 8,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function area(path: string): string {
  const parts = relative(SRC, path).split('/');
  return parts[0] === 'act' ? `act/${parts[1]}` : (parts[0] as string);
}

/** Every relative import of a file, static or dynamic, as the file it names. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from |import\()'(\.[^']+)'/g)].map((m) => resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts')));
}

test('every folder of src/ has a floor', () => {
  const areas = new Set(files(SRC).map(area));
  expect([...areas].filter((a) => !(a in FLOORS))).toEqual([]);
});

test('imports run downward only: no folder imports from its own floor or above', () => {
  const upward: string[] = [];
  for (const file of files(SRC)) {
    const from = area(file);
    for (const target of imports(file)) {
      const to = area(target);
      if (to !== from && (FLOORS[to] ?? Infinity) >= (FLOORS[from] ?? -Infinity)) upward.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
    }
  }
  expect(upward).toEqual([]);
});

test('no file imports a folder index (one way everywhere: the module itself)', () => {
  const viaIndex = files(SRC).flatMap((file) =>
    imports(file)
      .filter((t) => t.endsWith('/index.ts'))
      .map((t) => `${relative(SRC, file)} -> ${relative(SRC, t)}`),
  );
  expect(viaIndex).toEqual([]);
});

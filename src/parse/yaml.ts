// The YAML parser, loaded on first use: it is 72 CommonJS modules, and commands that compile only
// the built-in rules from their prebuilt documents (config/load.ts) never need it.
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');

const require = createRequire(import.meta.url);
let loaded: Yaml | null = null;

export function yaml(): Yaml {
  loaded ??= require('yaml') as Yaml;
  return loaded;
}

#!/usr/bin/env node
// Bundles the CLI into dist/hvkit.mjs (run by `npm install` through "prepare").
// bin/hvkit.mjs uses the bundle while it is newer than every file in lib/,
// and otherwise runs the TypeScript through tsx, so a stale bundle never runs.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'lib', 'cli', 'main.ts')],
  outfile: join(root, 'dist', 'hvkit.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});

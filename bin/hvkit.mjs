#!/usr/bin/env node
// The hvkit command. It runs the bundle `npm install` builds (dist/hvkit.mjs)
// while that is newer than every source file, and the TypeScript through tsx
// otherwise, so an edit is live at once and a stale bundle never runs.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'hvkit.mjs');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

let bundled = false;
try {
  bundled = statSync(bundle).mtimeMs > newest(join(root, 'lib'));
} catch {
  bundled = false;
}
let main;
if (bundled) {
  ({ main } = await import(pathToFileURL(bundle).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  globalThis[Symbol.for('hvkit.tsxRegistered')] = true;
  ({ main } = await import(pathToFileURL(join(root, 'lib', 'cli', 'main.ts')).href));
}
const code = await main(process.argv);
// The one place hvkit exits: flush what was written, then leave with the command's code.
process.stdout.write('', () => process.exit(code));

#!/usr/bin/env node
// Bundles the CLI into dist/hvkit.mjs and generates the schema validators
// (dist/schema-validators.cjs); run by `npm install` through "prepare".
// bin/hvkit.mjs uses the bundle while it is newer than every file in lib/,
// and otherwise runs the TypeScript through tsx, so a stale bundle never runs.
import { spawnSync } from 'node:child_process';
import { tsImport } from 'tsx/esm/api';
import { existsSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Split at dynamic imports: what only some commands need (the pg state backend and
// node-postgres, the markdown renderer) loads from dist/chunks/ when used, not at every start.
rmSync(join(root, 'dist', 'chunks'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'lib', 'cli', 'main.ts')],
  outdir: join(root, 'dist'),
  entryNames: 'hvkit',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});

// The schema validators as code (ajv standalone): compiling the manifest schema
// costs ~200 ms at every start. lib/manifest/schema.ts uses this file only
// while the schemas it was made from are unchanged (their sha256 is in it).
// Without it hvkit still works (ajv compiles the schemas), so a failure only warns.
try {
  const { writeValidatorModule } = await tsImport(join(root, 'lib', 'build', 'schema-codegen.ts'), import.meta.url);
  const { GENERATED_VALIDATORS } = await tsImport(join(root, 'lib', 'manifest', 'schema.ts'), import.meta.url);
  writeValidatorModule(join(root, GENERATED_VALIDATORS));
} catch (e) {
  console.warn(`hvkit: could not generate the schema validators (${String(e?.message ?? e).split('\n')[0]}); ajv compiles the schemas at each start instead`);
}

// The spawn helper (lib/apply/private/spawn-helper.c): optional. Without a C
// compiler hvkit starts provider scripts with Node's own spawn, a little slower.
const helper = join(root, 'dist', 'hvkit-spawn');
const source = join(root, 'lib', 'apply', 'private', 'spawn-helper.c');
rmSync(helper, { force: true });
const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
if (cc) {
  const r = spawnSync(cc, ['-O2', '-o', helper, source], { encoding: 'utf8' });
  if (r.status !== 0) console.warn(`hvkit: could not build the spawn helper (${r.stderr.trim().split('\n')[0]}); using Node's spawn`);
} else if (!existsSync(helper)) {
  console.warn("hvkit: no C compiler; provider scripts start with Node's spawn (slower for many small steps)");
}

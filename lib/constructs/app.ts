import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App as CdktfApp, type AppConfig } from 'cdktf';
import { ValidationError, type Problem } from '../errors';
import { canonicalJson } from '../manifest/canonical';
import type { Manifest } from '../manifest/types';
import { Fleet } from './fleet';
import { Guest, Host } from './host';
import { ENV_ERRORS_FILE, ENV_MANIFEST_DIR, ENV_MODE, MANIFEST_FILE, MANIFEST_SINK, type ManifestSink } from '../synth/app-protocol';

export { MANIFEST_FILE };

function sink(): ManifestSink | undefined {
  return (globalThis as Record<symbol, ManifestSink | undefined>)[MANIFEST_SINK];
}

/**
 * The cdktf App, taught to write each fleet's manifest next to its
 * `cdk.tf.json`. When the hvkit CLI asks for the manifest only (`hvkit plan`),
 * it skips Terraform JSON synthesis entirely: the planner never waits on it.
 */
export class App extends CdktfApp {
  constructor(config: AppConfig = {}) {
    super(config);
  }

  /** Validates every fleet (all problems at once) and writes manifests, then Terraform JSON. */
  synth(): void {
    const manifests = collectManifests(this);
    if (!manifests) return;
    const inProcess = sink();
    if (inProcess) {
      inProcess.manifests.push(...manifests);
      return;
    }
    const mode = process.env[ENV_MODE] ?? 'full';
    const dir = process.env[ENV_MANIFEST_DIR] ?? this.outdir;
    for (const m of manifests) {
      const out = join(dir, 'stacks', m.fleet);
      mkdirSync(out, { recursive: true });
      // The manifest-only run feeds `hvkit plan` through a temp folder: compact is faster to write and read.
      writeFileSync(join(out, MANIFEST_FILE), canonicalJson(m, mode === 'manifest' ? 0 : 2));
    }
    if (mode !== 'manifest') super.synth();
  }
}

/**
 * Every fleet's manifest, or undefined after reporting the problems to the
 * CLI through its errors file; without the CLI the problems are thrown.
 */
function collectManifests(app: CdktfApp): Manifest[] | undefined {
  const problems: Problem[] = [];
  const manifests: Manifest[] = [];
  const all = app.node.findAll();
  for (const c of all) {
    if (Host.isHost(c) && !Fleet.isFleet(c.node.scope)) {
      problems.push({ path: c.node.path, message: 'a Host must be created inside a Fleet' });
    }
    if (Guest.isGuest(c) && !Host.isHost(c.node.scope) && !Fleet.isFleet(c.node.scope)) {
      problems.push({ path: c.node.path, message: 'a Guest must be created inside the Host it runs on' });
    }
  }
  for (const f of all.filter(Fleet.isFleet)) {
    try {
      manifests.push(f.manifest());
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length === 0) return manifests;
  const inProcess = sink();
  if (inProcess) {
    inProcess.problems.push(...problems);
    return undefined;
  }
  const errorsFile = process.env[ENV_ERRORS_FILE];
  if (!errorsFile) throw new ValidationError(problems);
  writeFileSync(errorsFile, JSON.stringify({ problems }));
  process.exitCode = 3;
  return undefined;
}

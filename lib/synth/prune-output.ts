import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE } from './app-protocol';

/** Files a synthesis writes into a stack's folder; anything else there (Terraform's own state) is the user's. */
const SYNTHESIZED = ['cdk.tf.json', 'cdk.tf', 'metadata.json', MANIFEST_FILE];

/**
 * Removes the output of fleets an earlier run left in `outdir` that this run
 * did not make: their synthesized files, and their folder when nothing else
 * is left in it (a `terraform.tfstate` there is kept). Stacks without a
 * manifest are not hvkit's and are never touched; a stack this run wrote as a
 * non-hvkit stack (listed in cdktf's manifest.json) only loses the stale manifest.
 * Returns the fleets removed, sorted, with the files left in their folder.
 */
export function pruneStaleFleets(outdir: string, made: ReadonlySet<string>): { fleet: string; kept: string[] }[] {
  const stacksDir = join(outdir, 'stacks');
  if (!existsSync(stacksDir)) return [];
  const current = cdktfStacks(outdir);
  const removed: { fleet: string; kept: string[] }[] = [];
  for (const name of readdirSync(stacksDir).sort()) {
    const dir = join(stacksDir, name);
    if (made.has(name) || !existsSync(join(dir, MANIFEST_FILE))) continue;
    if (current.has(name)) {
      rmSync(join(dir, MANIFEST_FILE));
      removed.push({ fleet: name, kept: [] });
      continue;
    }
    for (const f of SYNTHESIZED) rmSync(join(dir, f), { force: true });
    const kept = readdirSync(dir).sort();
    if (kept.length === 0) rmdirSync(dir);
    removed.push({ fleet: name, kept });
  }
  return removed;
}

/** The stacks cdktf's manifest.json says the last synthesis wrote. */
function cdktfStacks(outdir: string): Set<string> {
  try {
    const m = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { stacks?: Record<string, unknown> };
    return new Set(Object.keys(m.stacks ?? {}));
  } catch {
    return new Set();
  }
}

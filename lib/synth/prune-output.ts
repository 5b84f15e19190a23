import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNever } from '../errors';
import { MANIFEST_FILE } from './app-protocol';

/**
 * The file beside a fleet's manifest naming the app that wrote it (its
 * `appIdentity`), so a synth of one app never prunes another app's fleets.
 */
export const APP_MARKER_FILE = 'hvkit.app';

/** Files a synthesis writes into a stack's folder; anything else there (Terraform's own state) is the user's. */
const SYNTHESIZED = ['cdk.tf.json', 'cdk.tf', 'metadata.json', MANIFEST_FILE, APP_MARKER_FILE];

/** Files Terraform leaves once it has worked in a folder: with them, the fleet may still be deployed by Terraform. */
function isTerraformFile(name: string): boolean {
  return name === '.terraform' || name === '.terraform.lock.hcl' || name.startsWith('terraform.tfstate') || name.endsWith('.tfplan') || name === 'tf.plan';
}

/** What pruning did with one fleet's output folder. */
export type PruneOutcome =
  /** Its synthesized files are gone; `kept` are other files left in the folder (the folder is gone when empty). */
  | { readonly kind: 'removed'; readonly fleet: string; readonly kept: string[] }
  /**
   * Terraform has worked in the folder: only the manifest went, the Terraform
   * JSON stays so that `terraform destroy` there still runs its destroy steps.
   */
  | { readonly kind: 'terraform-left'; readonly fleet: string; readonly terraform: string[] }
  /** Written by an hvkit that did not record its app: left alone, as it may be another app's. */
  | { readonly kind: 'unmarked'; readonly fleet: string };

/** Records, deterministically, that `app` wrote the fleet output in each of `dirs`. */
export function markFleetOutputs(dirs: Iterable<string>, app: string): void {
  for (const dir of dirs) if (existsSync(join(dir, MANIFEST_FILE))) writeFileSync(join(dir, APP_MARKER_FILE), `${app}\n`);
}

/** The app recorded beside a fleet's manifest, if any. */
function writer(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, APP_MARKER_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Removes the output of fleets that an earlier run of the same `app` left in
 * `outdir` and this run did not make. Output another app wrote is not
 * touched; output without a record of its app is reported and left. Stacks
 * without a manifest are not hvkit's and are never touched; a stack this run
 * wrote as a non-hvkit stack (listed in cdktf's manifest.json) only loses the
 * stale manifest. Sorted by fleet.
 */
export function pruneStaleFleets(outdir: string, made: ReadonlySet<string>, app: string): PruneOutcome[] {
  const stacksDir = join(outdir, 'stacks');
  if (!existsSync(stacksDir)) return [];
  const current = cdktfStacks(outdir);
  const outcomes: PruneOutcome[] = [];
  for (const name of readdirSync(stacksDir).sort()) {
    const dir = join(stacksDir, name);
    if (made.has(name) || !existsSync(join(dir, MANIFEST_FILE))) continue;
    if (current.has(name)) {
      for (const f of [MANIFEST_FILE, APP_MARKER_FILE]) rmSync(join(dir, f), { force: true });
      outcomes.push({ kind: 'removed', fleet: name, kept: [] });
      continue;
    }
    const by = writer(dir);
    if (by === undefined) {
      outcomes.push({ kind: 'unmarked', fleet: name });
      continue;
    }
    if (by !== app) continue;
    const terraform = readdirSync(dir).filter(isTerraformFile).sort();
    if (terraform.length) {
      for (const f of [MANIFEST_FILE, APP_MARKER_FILE]) rmSync(join(dir, f));
      outcomes.push({ kind: 'terraform-left', fleet: name, terraform });
      continue;
    }
    for (const f of SYNTHESIZED) rmSync(join(dir, f), { force: true });
    const kept = readdirSync(dir).sort();
    if (kept.length === 0) rmdirSync(dir);
    outcomes.push({ kind: 'removed', fleet: name, kept });
  }
  return outcomes;
}

/** One line per outcome for the user; `where` shows a fleet's folder. Unmarked fleets share one line. */
export function describePrune(outcomes: readonly PruneOutcome[], where: (fleet: string) => string): string[] {
  const lines: string[] = [];
  const unmarked: string[] = [];
  for (const o of outcomes) {
    switch (o.kind) {
      case 'removed':
        lines.push(`${o.fleet}: no longer in the app, its output removed from ${where(o.fleet)}${o.kept.length ? ` (kept ${o.kept.join(', ')})` : ''}`);
        break;
      case 'terraform-left':
        lines.push(`${o.fleet}: no longer in the app; Terraform has worked in ${where(o.fleet)} (${o.terraform.join(', ')}), so its Terraform JSON is kept: if it was applied with Terraform run \`cd ${where(o.fleet)} && terraform destroy\`, then delete the folder; otherwise just delete the folder`);
        break;
      case 'unmarked':
        unmarked.push(o.fleet);
        break;
      default:
        assertNever(o);
    }
  }
  if (unmarked.length) {
    lines.push(`left ${unmarked.join(', ')} alone: written by an older hvkit that did not record which app made it (it may be another app's); delete its folder if no app has it any more, or synth its app once to record it`);
  }
  return lines;
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

import type { Diagnostic } from '../diagnostics';
import { assertNever } from '../errors';
import type { Manifest } from '../manifest/types';
import type { PlanScope } from '../plan/plan-file';
import { checkReplace, normalizeAddresses, resolveAddresses, targetedManifest, targetingWarning } from '../plan/targets';
import type { State } from '../state/types';
import { destroyedWorld, destroyState } from './destroy';

/** What the planner is given for a `--target`, `--replace` or destroy plan. */
export interface ScopedInput {
  /** The world the plan leaves (targets.ts, destroy.ts); the plan stays bound to the code's manifest. */
  manifest: Manifest;
  state: State | undefined;
  keep: string[];
  replace: string[];
  diagnostics: Diagnostic[];
  /** The normalized `--target` addresses, when the plan is partial. */
  targets?: string[];
  /** The guests a partial plan covers; the drift of the others is left out (drift.ts). */
  covered?: string[];
}

/**
 * Turns a plan's scope into planner input. `drifted` is state as refresh saw
 * the hypervisors, `recorded` as stored (in-flight steps settled).
 */
export function scopedInput(code: Manifest, drifted: State | undefined, recorded: State | undefined, scope: PlanScope | undefined): ScopedInput {
  const plain: ScopedInput = { manifest: code, state: drifted, keep: [], replace: [], diagnostics: [] };
  if (!scope) return plain;
  const targets = normalizeAddresses(scope.targets);
  switch (scope.kind) {
    case 'plan': {
      const named = resolveAddresses('--target', targets, code, drifted);
      const replaced = resolveAddresses('--replace', normalizeAddresses(scope.replace), code, drifted);
      checkReplace(replaced.guests, replaced.hosts, code, drifted);
      const replace = [...replaced.guests].sort();
      if (!targets.length) return { ...plain, replace };
      // A replaced guest is targeted too: the operator named it.
      const t = targetedManifest(code, drifted, { guests: new Set([...named.guests, ...replace]), hosts: named.hosts });
      return { ...plain, manifest: t.manifest, keep: t.keep, replace, diagnostics: [targetingWarning(code, targets, t, false)], targets, covered: t.guests };
    }
    case 'destroy': {
      const state = destroyState(drifted, recorded);
      const w = destroyedWorld(code, state, targets.length ? resolveAddresses('--target', targets, code, state) : undefined);
      if (!targets.length) return { ...plain, manifest: w.manifest, state, keep: w.keep };
      return { ...plain, manifest: w.manifest, state, keep: w.keep, diagnostics: [targetingWarning(code, targets, w, true)], targets, covered: w.guests };
    }
    default:
      return assertNever(scope, 'plan scope');
  }
}

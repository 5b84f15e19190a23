import { readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import { HvkitError } from '../errors';
import { sha256 } from '../manifest/canonical';
import type { Manifest } from '../manifest/types';
import type { State } from '../state/types';
import { PLAN_FORMAT_VERSION, type Plan } from './types';

/** A plan saved for `hvkit apply FILE`, bound to the state and code it was made from. */
export interface SavedPlan {
  kind: 'hvkit-plan';
  formatVersion: number;
  /** sha256 of the JSON of `plan`, so a cut-short or edited file is refused. */
  checksum: string;
  plan: Plan;
  resourceType: Manifest['resourceType'];
}

export function serializePlan(plan: Plan, resourceType: Manifest['resourceType']): string {
  const body = JSON.stringify(plan);
  return JSON.stringify({ kind: 'hvkit-plan', formatVersion: PLAN_FORMAT_VERSION, checksum: sha256(body), resourceType, plan }) + '\n';
}

export async function savePlan(file: string, plan: Plan, resourceType: Manifest['resourceType']): Promise<void> {
  try {
    await writeFileAtomic(file, serializePlan(plan, resourceType));
  } catch (e) {
    throw new HvkitError(`cannot write the plan to ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function loadPlan(file: string): SavedPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new HvkitError(`${file}: cannot read the plan (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let saved: SavedPlan;
  try {
    saved = JSON.parse(text);
  } catch {
    throw new HvkitError(`${file}: is not an hvkit plan (not JSON, or cut short): make it again with \`hvkit plan --out ${file}\``);
  }
  if (saved?.kind !== 'hvkit-plan' || typeof saved.plan !== 'object') throw new HvkitError(`${file}: is not an hvkit plan: make it with \`hvkit plan --out ${file}\``);
  if (saved.formatVersion !== PLAN_FORMAT_VERSION) throw new HvkitError(`${file}: plan format ${saved.formatVersion} is not ${PLAN_FORMAT_VERSION}: make it again with this hvkit`);
  if (sha256(JSON.stringify(saved.plan)) !== saved.checksum) throw new HvkitError(`${file}: the plan was changed after it was saved (checksum mismatch): make it again with \`hvkit plan --out ${file}\``);
  return saved;
}

/** Why a saved plan no longer applies, or undefined when it still does. */
export function staleReason(plan: Plan, state: State | undefined, manifestDigest: string): string | undefined {
  const lineage = state?.lineage ?? null;
  const serial = state?.serial ?? 0;
  if (plan.stateLineage !== lineage) return `the state's lineage is ${lineage ?? '(no state)'}, the plan was made for ${plan.stateLineage ?? '(no state)'}`;
  if (plan.stateSerial !== serial) return `the state changed since the plan was made (serial ${plan.stateSerial} → ${serial})`;
  if (plan.manifestDigest !== manifestDigest) return 'the code changed since the plan was made (manifest digest differs)';
  return undefined;
}

import { readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import { assertNever, HvkitError } from '../errors';
import { canonicalize, sha256 } from '../manifest/canonical';
import { describeSchemaError, schemaValidator } from '../manifest/schema';
import type { Manifest } from '../manifest/types';
import { printable } from '../manifest/names';
import type { State } from '../state/types';
import planFileSchema from './plan-file.schema.json' with { type: 'json' };
import { PLAN_FORMAT_VERSION, type Plan, type Step } from './types';

/**
 * How a saved plan was made, so `hvkit apply FILE` can make it again from
 * the code and state and execute that: `hvkit plan [--target …] [--replace …]`,
 * `hvkit plan --destroy [--target …]`, or `hvkit rebuild HOST [--to TARGET]`.
 * Addresses are normalized (normalizeAddresses); empty lists are left out.
 * @default { kind: 'plan' } for files saved before this field existed
 */
export type PlanDerivation =
  /** `rebalance`: `plan --rebalance [--max-moves N]`; migrations only, so the file may carry it (apply needs no flag). */
  | { kind: 'plan'; targets?: string[]; replace?: string[]; rebalance?: { maxMoves?: number } }
  | { kind: 'destroy'; targets?: string[] }
  | { kind: 'rebuild'; host: string; to?: string; forceWhileUp?: boolean };

/** The derivations `hvkit plan` and `hvkit destroy` make (a rebuild is planned by planRebuild). */
export type PlanScope = Exclude<PlanDerivation, { kind: 'rebuild' }>;

/**
 * The command-line flags with which the operator must ask `hvkit apply FILE`
 * for a derivation: those that destroy guests (a rebuild, a replace, a
 * destroy), never taken from a file that anyone can edit. The targets of a
 * destroy or a replace are among them, or a file swapped for the untargeted
 * plan would destroy the fleet under the command that was reviewed for one
 * guest. The targets of an ordinary plan are not: it does a part of what the
 * full plan does, so the file may carry them (as Terraform applies a
 * targeted saved plan).
 */
export function derivationFlags(d: PlanDerivation): string[] {
  const targets = (d.kind === 'rebuild' ? [] : (d.targets ?? [])).flatMap((t) => ['--target', t]);
  switch (d.kind) {
    case 'plan': return d.replace?.length ? [...d.replace.flatMap((r) => ['--replace', r]), ...targets] : [];
    case 'destroy': return ['--destroy', ...targets];
    case 'rebuild': return ['--rebuild', d.host, ...(d.to ? ['--to', d.to] : []), ...(d.forceWhileUp ? ['--force-while-up'] : [])];
    default: return assertNever(d, 'plan derivation');
  }
}

/** Whether the operator asked for what the file's derivation needs them to say (an ordinary plan's targets aside). */
export function sameDerivation(a: PlanDerivation, b: PlanDerivation): boolean {
  return derivationFlags(a).join(' ') === derivationFlags(b).join(' ') && a.kind === b.kind;
}

/** The `--target` addresses of a derivation, or none. */
export function targetsOf(d: PlanDerivation): string[] {
  return d.kind === 'rebuild' ? [] : (d.targets ?? []);
}

/**
 * A plan saved for `hvkit apply FILE`, bound to the state and code it was
 * made from. The file is what a reviewer read, not a list of instructions:
 * apply re-derives the plan and refuses unless it is the same (see planDigest).
 */
export interface SavedPlan {
  kind: 'hvkit-plan';
  formatVersion: number;
  /** sha256 of the JSON of `plan`, so a cut-short file is refused. Anyone can recompute it: it is no signature. */
  checksum: string;
  plan: Plan;
  resourceType: Manifest['resourceType'];
  derivation?: PlanDerivation;
  /** The state backend the plan was made against: its kind and, for pg, the schema (never a connection string). @default absent in files saved before hvkit recorded it: not checked */
  backend?: PlanBackend;
  /**
   * The end of the measured-load window the plan weighed (when `hvkit plan` ran), so apply re-derives the plan
   * over the same samples: samples taken since would change p95 and so placement and findings.
   * @default absent in files saved before hvkit recorded it, and for rebuilds: the window ends when apply runs
   */
  measuredUntil?: string;
}

/** Which state a plan was made against, as a saved plan records it. */
export type PlanBackend = { kind: 'file' } | { kind: 'pg'; schema: string };

/**
 * Why a plan made against one state backend cannot be applied with another,
 * in one line that says how to choose the plan's; undefined when they are the
 * same, or the file is older than the record. Without it, a job that forgot
 * HVKIT_STATE_BACKEND=pg would read the empty file state and call the plan stale.
 */
export function backendMismatch(filed: PlanBackend | undefined, current: PlanBackend): string | undefined {
  if (!filed) return undefined;
  switch (filed.kind) {
    case 'file':
      return current.kind === 'file' ? undefined : `this plan was made against the state file, not state in PostgreSQL (schema ${current.schema}): choose the file with --state-backend file or HVKIT_STATE_BACKEND=file`;
    case 'pg':
      if (current.kind === 'file') return `this plan was made against state in PostgreSQL (schema ${printable(filed.schema)}): choose it with --state-backend pg or HVKIT_STATE_BACKEND=pg`;
      return current.schema === filed.schema ? undefined : `this plan was made against state in PostgreSQL schema ${printable(filed.schema)}, not schema ${current.schema}: choose it with HVKIT_PG_SCHEMA=${printable(filed.schema)} (or the Fleet's state prop)`;
    default:
      return assertNever(filed, 'plan backend');
  }
}

/** @param measuredUntil the end of the measured-load window the plan weighed (SavedPlan.measuredUntil) @default absent */
export function serializePlan(plan: Plan, resourceType: Manifest['resourceType'], derivation: PlanDerivation = { kind: 'plan' }, backend?: PlanBackend, measuredUntil?: string): string {
  const body = JSON.stringify(plan);
  return JSON.stringify({ kind: 'hvkit-plan', formatVersion: PLAN_FORMAT_VERSION, checksum: sha256(body), resourceType, derivation, ...(backend ? { backend } : {}), ...(measuredUntil ? { measuredUntil } : {}), plan }) + '\n';
}

export async function savePlan(file: string, plan: Plan, resourceType: Manifest['resourceType'], derivation?: PlanDerivation, backend?: PlanBackend, measuredUntil?: string): Promise<void> {
  try {
    await writeFileAtomic(file, serializePlan(plan, resourceType, derivation, backend, measuredUntil));
  } catch (e) {
    throw new HvkitError(`cannot write the plan to ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * What to do with a file that is no saved plan at all. Not `plan --out` that
 * file: it may be the app's source (`hvkit show main.ts`), which that would overwrite.
 */
const NOT_A_PLAN = 'a saved plan is the file `hvkit plan --out plan.bin` writes: save one and pass that file';

/** Why a plan file of another format is refused, and what to do: one line. */
function formatMismatch(file: string, version: unknown): string {
  const again = `make it again with \`hvkit plan --out ${file}\``;
  if (typeof version === 'number' && Number.isInteger(version) && version >= 1 && version < PLAN_FORMAT_VERSION) {
    return `${file}: was saved by an older hvkit (plan format ${version}; this one reads format ${PLAN_FORMAT_VERSION}): ${again}`;
  }
  return `${file}: plan format ${JSON.stringify(version)} is not ${PLAN_FORMAT_VERSION}, the one this hvkit reads: ${again}`;
}

/** Reads a saved plan and checks its shape against plan-file.schema.json and its checksum; one clear line when either fails. */
export function loadPlan(file: string): SavedPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new HvkitError(`${file}: no such file; save a plan to show or apply with \`hvkit plan --out FILE\``);
    throw new HvkitError(`${file}: cannot read the plan (${code ?? (e as Error).message})`);
  }
  let saved: unknown;
  try {
    saved = JSON.parse(text);
  } catch {
    throw new HvkitError(`${file}: is not an hvkit plan (not JSON, or cut short): ${NOT_A_PLAN}`);
  }
  const envelope = saved as Partial<SavedPlan> | null;
  if (!envelope || typeof envelope !== 'object' || envelope.kind !== 'hvkit-plan') throw new HvkitError(`${file}: is not an hvkit plan: ${NOT_A_PLAN}`);
  if (!Object.hasOwn(envelope, 'formatVersion')) throw new HvkitError(`${file}: has no plan formatVersion, so it was edited or cut short: make it again with \`hvkit plan --out ${file}\``);
  if (envelope.formatVersion !== PLAN_FORMAT_VERSION) throw new HvkitError(formatMismatch(file, envelope.formatVersion));
  const validate = schemaValidator(planFileSchema);
  if (!validate(saved)) {
    throw new HvkitError(`${describeSchemaError(file, validate.errors?.[0])}; the plan was edited or cut short: make it again with \`hvkit plan --out ${file}\``);
  }
  const ok = saved as SavedPlan;
  if (sha256(JSON.stringify(ok.plan)) !== ok.checksum) throw new HvkitError(`${file}: the plan was changed after it was saved (checksum mismatch): make it again with \`hvkit plan --out ${file}\``);
  return ok;
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

/** What a plan does: its changes, steps and the in-flight steps it settles, in canonical form. */
function executable(plan: Plan): unknown {
  return canonicalize({ changes: plan.changes, steps: plan.steps, recovered: plan.recovered.map((r) => ({ step: r.step, done: r.done })) });
}

/** Canonical digest of what a plan would do; two plans with the same digest execute the same steps. */
export function planDigest(plan: Plan): string {
  return sha256(JSON.stringify(executable(plan)));
}

const stepLabel = (s: Step | undefined): string => (s ? `'${s.id}' (${s.description})` : '(none)');

/**
 * Why the saved plan is not the plan the code and state give now, naming the
 * first step that differs; undefined when they are the same plan.
 */
export function planMismatch(saved: Plan, derived: Plan): string | undefined {
  if (planDigest(saved) === planDigest(derived)) return undefined;
  const same = (a: unknown, b: unknown) => JSON.stringify(canonicalize(a)) === JSON.stringify(canonicalize(b));
  const n = Math.max(saved.steps.length, derived.steps.length);
  for (let i = 0; i < n; i++) {
    const a = saved.steps[i];
    const b = derived.steps[i];
    if (!same(a, b)) {
      if (!a) return `the code and state give a step ${i + 1} ${stepLabel(b)} that the file does not have`;
      if (!b) return `the file has a step ${i + 1} ${stepLabel(a)} that the code and state do not give`;
      if (a.id !== b.id) return `step ${i + 1} is ${stepLabel(a)} in the file but ${stepLabel(b)} from the code and state`;
      const field = Object.keys({ ...a, ...b }).sort().find((k) => !same((a as unknown as Record<string, unknown>)[k], (b as unknown as Record<string, unknown>)[k]));
      return `step ${i + 1} ${stepLabel(b)} differs in '${field}'`;
    }
  }
  if (!same(saved.recovered.map((r) => [r.step, r.done]), derived.recovered.map((r) => [r.step, r.done]))) {
    return 'the hypervisors changed since the plan settled the steps a dead apply left in flight';
  }
  const i = Math.max(saved.changes.length, derived.changes.length);
  const at = Array.from({ length: i }, (_, k) => k).find((k) => !same(saved.changes[k], derived.changes[k])) ?? 0;
  const c = saved.changes[at] ?? derived.changes[at];
  return `change ${at + 1} (${c?.kind} ${c?.name}) differs`;
}

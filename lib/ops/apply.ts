import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { assertNever, HvkitError } from '../errors';
import { printable } from '../render/printable';
import { manifestDigest } from '../manifest/canonical';
import type { Manifest } from '../manifest/types';
import { derivationFlags, planMismatch, sameDerivation, staleReason, targetsOf, type PlanDerivation, type SavedPlan } from '../plan/plan-file';
import { normalizeAddresses } from '../plan/targets';
import type { ApplyListener } from '../plan/apply-events';
import type { Plan } from '../plan/types';
import { emptyState, type LockInfo, type State, type StateStore } from '../state/types';
import { execute, type ApplyResult } from '../apply/executor';
import { preparePlan, runnerFor, type PrepareOptions } from './prepare';
import type { Verb } from '../apply/provider';
import { callsOf } from '../apply/effects';
import { planRebuild } from './rebuild';
import { StateWriter } from '../apply/state-writer';
import { withStateLock, type LockRelease } from '../state/with-lock';
import { keepObservedPower } from './drift';

export interface ApplyOptions {
  manifest: Manifest;
  store: StateStore;
  projectDir: string;
  env: NodeJS.ProcessEnv;
  /** A reviewed plan; without it apply plans first and asks `confirm`. */
  saved?: SavedPlan;
  /** The fleet's measured load, weighed by placement as `hvkit plan` weighs it. @default declared load only */
  samples?: PrepareOptions['samples'];
  /**
   * What the operator asked to apply (`hvkit apply --rebuild HOST …`,
   * `--replace`, `--destroy`, `--target`). A saved plan must have been made
   * that way: a file cannot ask for what destroys guests by itself, nor for
   * the targets of a destroy or replace; an ordinary plan's targets it may
   * carry (derivationFlags). Without a saved plan, the plan
   * made and asked about (a rebuild needs a saved plan).
   * @default { kind: 'plan' }
   */
  asked?: PlanDerivation;
  /** Shown the fresh plan; resolves true to go on. */
  confirm?: (plan: Plan) => Promise<boolean>;
  /** The view told of every step as it runs; made once the number of steps is known. */
  listener: (total: number) => ApplyListener | Promise<ApplyListener>;
  /** Steps running at once. @default 4 */
  parallelism?: number;
  /** Steps running at once that touch one host. @default 2 */
  perHost?: number;
  /** How long one step may run before it is killed. @default 600000 (10 minutes) */
  timeoutMs?: number;
  /** Stop gracefully on SIGINT/SIGTERM while steps run (lib/apply/interrupt.ts); the CLI asks for it. @default false */
  handleSignals?: boolean;
}

export type ApplyOutcome = (
  | { kind: 'no-changes'; plan: Plan }
  | { kind: 'cancelled'; plan: Plan }
  | { kind: 'applied'; plan: Plan; result: ApplyResult; runId: string; logDir: string }
) & LockRelease;

export function newRunId(): string {
  return `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(2).toString('hex')}`;
}

/**
 * Holds the state lock for the whole run: checks a saved plan is still
 * current (or plans afresh), settles steps a dead apply left in flight, then
 * executes the steps and records each one.
 */
export async function apply(opts: ApplyOptions): Promise<ApplyOutcome> {
  const { value, unlockWarning } = await withStateLock(opts.store, 'apply', async (lock): Promise<ApplyOutcome> => {
    const stored = await opts.store.read();
    let plan: Plan;
    let state: State | undefined;
    // The code with every guest on a host, as the plan placed them.
    let placed: Manifest;
    if (opts.saved) {
      ({ plan, state, placed } = await rederive(opts, opts.saved, stored, lock));
    } else {
      const asked = opts.asked ?? { kind: 'plan' as const };
      if (asked.kind === 'rebuild') throw new HvkitError('--rebuild applies a saved rebuild plan: make it with `hvkit rebuild HOST --out FILE` and pass FILE');
      const prepared = await preparePlan({ manifest: opts.manifest, store: opts.store, projectDir: opts.projectDir, env: opts.env, state: stored, heldLock: lock, scope: asked, samples: opts.samples });
      plan = prepared.plan;
      state = prepared.state;
      placed = prepared.placed;
    }
    if (!plan.applyable) {
      const errors = plan.diagnostics.filter((d) => d.severity === 'error').map((d) => `\n  ${d.path}: ${d.message}`);
      throw new HvkitError(`the plan has errors, so nothing was applied:${errors.join('')}`);
    }
    if (plan.steps.length === 0 && !(stored && Object.keys(stored.inflight).length)) return { kind: 'no-changes', plan };
    if (!opts.saved && opts.confirm && !(await opts.confirm(plan))) return { kind: 'cancelled', plan };

    const needed: [Manifest['hosts'][number]['provider'], Verb][] = [];
    for (const s of plan.steps) for (const c of callsOf(s, plan.fleet)) needed.push([c.provider ?? s.provider, c.verb]);
    runnerFor(opts.projectDir, opts.env).checkScripts(needed);

    const runId = newRunId();
    const crashAt = opts.env.HVKIT_TEST_CRASH_AT;
    const crashWrite = crashAt?.startsWith('during-write:') ? Number(crashAt.slice('during-write:'.length)) : undefined;
    const writer = new StateWriter(opts.store, structuredClone(state ?? { ...emptyState(opts.manifest.fleet, randomUUID()) }), crashWrite);
    // The first write settles recovered steps and drops refresh observations this run makes obsolete.
    await writer.commit((s) => {
      keepObservedPower(s, placed);
      delete s.observed;
      s.lastApply = { run: runId, failed: [] };
    });
    const logDir = join(opts.projectDir, '.hvkit', 'logs', runId);
    const listener = await opts.listener(plan.steps.length);
    const runner = runnerFor(opts.projectDir, opts.env, { fastSpawn: true });
    try {
      const result = await execute({
        runId, fleet: plan.fleet, steps: plan.steps, runner, writer, logDir, listener,
        parallelism: opts.parallelism, perHost: opts.perHost, timeoutMs: opts.timeoutMs, crashAt, handleSignals: opts.handleSignals,
      });
      return { kind: 'applied', plan, result, runId, logDir };
    } finally {
      listener.close();
      runner.close();
    }
  });
  return unlockWarning ? { ...value, unlockWarning } : value;
}

/**
 * A saved plan is what a reviewer read, not instructions: anyone can edit the
 * file and recompute its checksum. So the plan is made again from the code
 * and the state it is bound to, exactly as `hvkit plan` (or `hvkit rebuild`)
 * made it, and apply goes on only if it is the same plan; it then executes
 * the re-derived steps, never the file's.
 */
async function rederive(opts: ApplyOptions, saved: SavedPlan, stored: State | undefined, lock: LockInfo): Promise<{ plan: Plan; state: State | undefined; placed: Manifest }> {
  const filed = saved.plan;
  if (filed.fleet !== opts.manifest.fleet) throw new HvkitError(`the plan is for fleet '${printable(filed.fleet)}', the code is fleet '${opts.manifest.fleet}'`);
  const stale = staleReason(filed, stored, manifestDigest(opts.manifest));
  if (stale) throw new HvkitError(`the saved plan is stale: ${printable(stale)}. Nothing was applied; make a new plan with \`hvkit plan --out FILE\`, review it, and apply that`);
  const derivation = saved.derivation ?? { kind: 'plan' as const };
  // The file says how it was made, but anyone can edit that: a rebuild replaces or destroys every
  // guest of a host, so the operator must ask for it on the command line, as they did to make it.
  const asked = opts.asked ?? { kind: 'plan' as const };
  if (!sameDerivation(derivation, asked)) {
    const flags = derivationFlags(derivation).map((f) => printable(f)).join(' ');
    throw new HvkitError(`the saved plan is ${madeAs(derivation)}, which is not what this command asks to apply. Nothing was applied; if that is the plan you reviewed, apply it with \`hvkit apply ${flags ? `${flags} ` : ''}FILE\``);
  }
  // An ordinary plan's targets may come from the file (a part of what the full plan does); named on the command line, they must be the file's.
  const [filedTargets, askedTargets] = [normalizeAddresses(targetsOf(derivation)), normalizeAddresses(targetsOf(asked))];
  if (askedTargets.length && askedTargets.join(',') !== filedTargets.join(',')) {
    throw new HvkitError(`the saved plan was made with ${filedTargets.length ? `--target ${printable(filedTargets.join(','))}` : 'no --target'}, not --target ${printable(askedTargets.join(','))}. Nothing was applied; apply the file without --target (it carries its own), or make a new plan with the targets you mean`);
  }
  let plan: Plan;
  let state: State | undefined;
  let placed: Manifest;
  switch (derivation.kind) {
    case 'plan':
    case 'destroy':
      // Over the samples the plan weighed: a plan that weighed none (no measuredUntil) is re-derived without any,
      // so samples taken since its making cannot move its guests.
      ({ plan, state, placed } = await preparePlan({ manifest: opts.manifest, store: opts.store, projectDir: opts.projectDir, env: opts.env, state: stored, heldLock: lock, scope: derivation, samples: saved.measuredUntil ? opts.samples : undefined, now: saved.measuredUntil }));
      break;
    case 'rebuild': {
      // The state the rebuild was planned against, in-flight steps settled once: the same answer the plan was checked on.
      ({ plan, state, placed } = await planRebuild({ manifest: opts.manifest, store: opts.store, projectDir: opts.projectDir, env: opts.env, host: derivation.host, to: derivation.to, forceWhileUp: derivation.forceWhileUp, heldLock: lock }));
      break;
    }
    default:
      assertNever(derivation, 'plan derivation');
  }
  const mismatch = planMismatch(filed, plan);
  if (mismatch) {
    throw new HvkitError(`the saved plan is not the plan its code and state give: ${printable(mismatch)}. Nothing was applied; the file was edited, or made by another hvkit: make a new plan with \`hvkit plan --out FILE\`, review it, and apply that`);
  }
  return { plan, state, placed };
}

/** How a saved plan was made, in words, for the error that refuses to apply it as something else. */
function madeAs(d: PlanDerivation): string {
  switch (d.kind) {
    case 'plan': return d.replace?.length ? `a plan that replaces ${printable(d.replace.join(', '))} (hvkit plan --replace … --out)` : 'an ordinary plan (hvkit plan --out)';
    case 'destroy': return d.targets?.length ? `a destroy of ${printable(d.targets.join(', '))} (hvkit plan --destroy --target … --out)` : 'a destroy plan (hvkit plan --destroy --out)';
    case 'rebuild': return `a rebuild of ${printable(d.host)}${d.to ? ` onto ${printable(d.to)}` : ''}${d.forceWhileUp ? ' while it is up' : ''} (hvkit rebuild --out)`;
    default: return assertNever(d, 'plan derivation');
  }
}

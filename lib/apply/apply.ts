import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { HvkitError } from '../errors';
import { manifestDigest } from '../manifest/canonical';
import type { Manifest } from '../manifest/types';
import { staleReason, type SavedPlan } from '../plan/plan-file';
import type { Plan } from '../plan/types';
import { emptyState, type State, type StateStore } from '../state/types';
import { execute, type ApplyResult } from './executor';
import type { Progress } from './progress';
import { preparePlan, runnerFor } from './prepare';
import type { Verb } from './provider';
import { callsOf } from './effects';
import { providerLister, recoverInflight } from './recover';
import { StateWriter } from './state-writer';

export interface ApplyOptions {
  manifest: Manifest;
  store: StateStore;
  projectDir: string;
  env: NodeJS.ProcessEnv;
  /** A reviewed plan; without it apply plans first and asks `confirm`. */
  saved?: SavedPlan;
  /** Shown the fresh plan; resolves true to go on. */
  confirm?: (plan: Plan) => Promise<boolean>;
  progress: (total: number) => Progress | Promise<Progress>;
  parallelism?: number;
  perHost?: number;
  timeoutMs?: number;
}

export type ApplyOutcome =
  | { kind: 'no-changes'; plan: Plan }
  | { kind: 'cancelled'; plan: Plan }
  | { kind: 'applied'; plan: Plan; result: ApplyResult; runId: string; logDir: string };

export function newRunId(): string {
  return `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(2).toString('hex')}`;
}

/**
 * Holds the state lock for the whole run: checks a saved plan is still
 * current (or plans afresh), settles steps a dead apply left in flight, then
 * executes the steps and records each one.
 */
export async function apply(opts: ApplyOptions): Promise<ApplyOutcome> {
  const lock = await opts.store.lock('apply');
  try {
    const stored = await opts.store.read();
    let plan: Plan;
    let state: State | undefined;
    if (opts.saved) {
      plan = opts.saved.plan;
      if (plan.fleet !== opts.manifest.fleet) throw new HvkitError(`the plan is for fleet '${plan.fleet}', the code is fleet '${opts.manifest.fleet}'`);
      const stale = staleReason(plan, stored, manifestDigest(opts.manifest));
      if (stale) throw new HvkitError(`the saved plan is stale: ${stale}. Nothing was applied; make a new plan with \`hvkit plan --out FILE\`, review it, and apply that`);
      state = stored;
      if (stored && Object.keys(stored.inflight).length) {
        const r = await recoverInflight(stored, providerLister(runnerFor(opts.projectDir, opts.env), opts.manifest.fleet));
        if (JSON.stringify(r.recovered.map((x) => [x.step, x.done])) !== JSON.stringify(plan.recovered.map((x) => [x.step, x.done]))) {
          throw new HvkitError('the saved plan is stale: the hypervisors changed since the plan settled the steps a dead apply left in flight; make a new plan');
        }
        state = r.state;
      }
    } else {
      const prepared = await preparePlan({ manifest: opts.manifest, store: opts.store, projectDir: opts.projectDir, env: opts.env, state: stored, heldLock: lock });
      plan = prepared.plan;
      state = prepared.state;
    }
    if (!plan.applyable) {
      const errors = plan.diagnostics.filter((d) => d.severity === 'error').map((d) => `\n  ${d.path}: ${d.message}`);
      throw new HvkitError(`the plan has errors, so nothing was applied:${errors.join('')}`);
    }
    if (plan.steps.length === 0 && !(stored && Object.keys(stored.inflight).length)) return { kind: 'no-changes', plan };
    if (!opts.saved && opts.confirm && !(await opts.confirm(plan))) return { kind: 'cancelled', plan };

    const needed: [Manifest['hosts'][number]['provider'], Verb][] = [];
    for (const s of plan.steps) for (const c of callsOf(s, plan.fleet)) needed.push([s.provider, c.verb]);
    runnerFor(opts.projectDir, opts.env).checkScripts(needed);

    const runId = newRunId();
    const crashAt = opts.env.HVKIT_TEST_CRASH_AT;
    const crashWrite = crashAt?.startsWith('during-write:') ? Number(crashAt.slice('during-write:'.length)) : undefined;
    const writer = new StateWriter(opts.store, structuredClone(state ?? { ...emptyState(opts.manifest.fleet, randomUUID()) }), crashWrite);
    // The first write settles recovered steps and drops refresh observations this run makes obsolete.
    await writer.commit((s) => {
      delete s.observed;
      s.lastApply = { run: runId, failed: [] };
    });
    const logDir = join(opts.projectDir, '.hvkit', 'logs', runId);
    const progress = await opts.progress(plan.steps.length);
    const runner = runnerFor(opts.projectDir, opts.env, { fastSpawn: true });
    try {
      const result = await execute({
        runId, fleet: plan.fleet, steps: plan.steps, runner, writer, logDir, progress,
        parallelism: opts.parallelism, perHost: opts.perHost, timeoutMs: opts.timeoutMs, crashAt,
      });
      return { kind: 'applied', plan, result, runId, logDir };
    } finally {
      progress.close();
      runner.close();
    }
  } finally {
    await opts.store.unlock(lock.id).catch(() => undefined);
  }
}

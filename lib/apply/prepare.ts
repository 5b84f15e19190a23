import { join } from 'node:path';
import type { Manifest } from '../manifest/types';
import { createPlan, type PlanInput } from '../plan/planner';
import type { Plan } from '../plan/types';
import type { State, StateStore } from '../state/types';
import { driftOf } from './drift';
import { ProviderRunner } from './provider';
import { providerLister, recoverInflight } from './recover';

export interface PrepareOptions {
  manifest: Manifest;
  store: StateStore;
  projectDir: string;
  env: NodeJS.ProcessEnv;
  /** Extra planner input (rebuild). */
  extra?: Pick<PlanInput, 'rebuild'>;
  /** Use this state instead of reading the store (apply passes what it read under lock). */
  state?: State;
}

export function providersDir(projectDir: string, env: NodeJS.ProcessEnv): string {
  return env.HVKIT_PROVIDERS_DIR ? join(projectDir, env.HVKIT_PROVIDERS_DIR) : join(projectDir, 'providers');
}

export function runnerFor(projectDir: string, env: NodeJS.ProcessEnv, opts: { fastSpawn?: boolean } = {}): ProviderRunner {
  return new ProviderRunner(providersDir(projectDir, env), projectDir, env, opts);
}

/**
 * Reads state, settles steps a dead apply left in flight (asking the
 * providers), folds in drift from the last refresh, and plans.
 */
export async function preparePlan(opts: PrepareOptions): Promise<{ plan: Plan; state: State | undefined; original: State | undefined }> {
  const original = opts.state ?? (await opts.store.read());
  let state = original;
  let recovered: Plan['recovered'] = [];
  if (state && Object.keys(state.inflight).length) {
    const r = await recoverInflight(state, providerLister(runnerFor(opts.projectDir, opts.env), opts.manifest.fleet));
    state = r.state;
    recovered = r.recovered;
  }
  const drift = driftOf(opts.manifest, state);
  const plan = createPlan({ manifest: opts.manifest, state: drift.state, recovered, drift: drift.items, diagnostics: drift.diagnostics, ...opts.extra });
  // Bind the plan to the state as stored, so apply can tell whether it changed since.
  plan.stateLineage = original?.lineage ?? null;
  plan.stateSerial = original?.serial ?? 0;
  return { plan, state, original };
}

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { weighedLoads } from '../capacity/measured';
import type { SampleStore } from '../load/sample-store';
import { measuredLoad, type LoadSummary } from '../load/summary';
import { manifestDigest } from '../manifest/canonical';
import { PROVIDERS, type Manifest } from '../manifest/types';
import type { PlanScope } from '../plan/plan-file';
import { createPlan, type PlanInput } from '../plan/planner';
import { installedInForce, placementPolicy, placeUnplaced, type PlaceOptions } from '../plan/placement';
import type { Capabilities } from '../plan/renames';
import type { Plan } from '../plan/types';
import type { Diagnostic } from '../diagnostics';
import { storeHolderLiveness } from '../state/lock-wait';
import type { LockInfo, State, StateStore } from '../state/types';
import { driftOf } from './drift';
import { ProviderRunner } from '../apply/provider';
import { providerLister, recoverInflight } from './recover';
import { scopedInput } from './scope';
import { rebalancePlaced } from '../plan/rebalance';

export interface PrepareOptions {
  manifest: Manifest;
  store: StateStore;
  projectDir: string;
  env: NodeJS.ProcessEnv;
  /** Extra planner input (rebuild). */
  extra?: Pick<PlanInput, 'rebuild'>;
  /** `--target` / `--replace`, or a destroy (scope.ts). @default a plan of everything code asks for */
  scope?: PlanScope;
  /** Use this state instead of reading the store (apply passes what it read under lock). */
  state?: State;
  /** The lock the caller holds (apply): in-flight steps are then a dead run's, and settled. */
  heldLock?: LockInfo;
  /** How guests without a host are placed (N+1 `require`, `--rebalance`). @default sticky placement only */
  placement?: PlaceOptions;
  /**
   * The fleet's measured load (cli/fleet.ts `sampleStoreBeside`): shown beside
   * declared load, warned about, and weighed by placement and N+1.
   * @default none: declared load only
   */
  samples?: SampleStore;
  /** The end of the window of samples read. @default the current time */
  now?: string;
}

/**
 * Where provider scripts come from: HVKIT_PROVIDERS_DIR (relative to the
 * project) when set; else the project's own `providers/` folder when it has
 * one; else the scripts shipped in the hvkit package, so a project outside
 * the repository needs no copy of them.
 */
export function providersDir(projectDir: string, env: NodeJS.ProcessEnv): string {
  if (env.HVKIT_PROVIDERS_DIR) return join(projectDir, env.HVKIT_PROVIDERS_DIR);
  const own = join(projectDir, 'providers');
  return existsSync(own) ? own : shippedProvidersDir();
}

/** The `providers/` folder of the hvkit package itself. */
export function shippedProvidersDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('hvkit/package.json')), 'providers');
}

export function runnerFor(projectDir: string, env: NodeJS.ProcessEnv, opts: { fastSpawn?: boolean } = {}): ProviderRunner {
  return new ProviderRunner(providersDir(projectDir, env), projectDir, env, opts);
}

/** What each provider's folder can do: the planner stays pure, so it is told (a saved plan re-derived by apply asks again). */
export function capabilitiesOf(projectDir: string, env: NodeJS.ProcessEnv): Capabilities {
  const runner = runnerFor(projectDir, env);
  return { rename: new Set(PROVIDERS.filter((p) => runner.hasVerb(p, 'rename'))) };
}

/**
 * Reads state, settles steps a dead apply left in flight (asking the
 * providers), folds in drift from the last refresh, and plans.
 */
export async function preparePlan(opts: PrepareOptions): Promise<{ plan: Plan; state: State | undefined; original: State | undefined; placed: Manifest }> {
  const original = opts.state ?? (await opts.store.read());
  let state = original;
  let recovered: Plan['recovered'] = [];
  const running = await runningApply(opts.store, opts.heldLock);
  const notes: Diagnostic[] = [];
  if (running) {
    // Its in-flight steps are not a dead run's: settling them would report a live apply as stopped.
    const inflight = Object.keys(state?.inflight ?? {}).length;
    notes.push({
      severity: 'warning', code: 'apply-running', path: opts.manifest.path,
      message: `${running.operation === 'apply' ? 'an apply' : `hvkit ${running.operation}`} (pid ${running.pid}, ${running.who}, since ${running.created}) is running; this plan shows the state as of serial ${original?.serial ?? 0}${inflight ? `, with ${inflight} step${inflight === 1 ? '' : 's'} of it in flight` : ''}: plan again when it has finished`,
    });
  } else if (state && Object.keys(state.inflight).length) {
    const r = await recoverInflight(state, providerLister(runnerFor(opts.projectDir, opts.env), opts.manifest.fleet), opts.store.location);
    state = r.state;
    recovered = r.recovered;
    notes.push(...r.diagnostics);
  }
  const load = opts.samples ? await readLoad(opts.samples, opts.now, opts.manifest.path, notes) : undefined;
  const measured = load ? weighedLoads(load) : undefined;
  // Guests code leaves without a host get one first: from here on the manifest is an ordinary one.
  // Sticky to where a guest really runs (a move outside hvkit that refresh saw), not only to where state recorded it.
  const placed = placeUnplaced(opts.manifest, opts.manifest.unplaced && state?.observed ? driftOf(opts.manifest, state).state : state, placementOptions(opts, measured));
  // `plan --rebalance`: guests hvkit placed may then move; a rebalanced fleet is planned like any other.
  const rebalance = opts.scope?.kind === 'plan' ? opts.scope.rebalance : undefined;
  const rebalanced = rebalance ? rebalancePlaced(placed.manifest, opts.manifest.unplaced ?? [], { ...rebalance, ...(measured ? { measured } : {}), installed: installedInForce(placed.manifest.hosts, state) }) : undefined;
  const code = rebalanced?.manifest ?? placed.manifest;
  const drift = driftOf(code, state);
  const scoped = scopedInput(code, drift.state, state, opts.scope);
  // The same drift, told as a partial plan leaves it: the guests it does not cover keep theirs.
  const told = scoped.covered ? driftOf(code, state, new Set(scoped.covered)) : drift;
  const plan = createPlan({
    manifest: scoped.manifest, state: scoped.state, recovered, drift: told.items, diagnostics: [...told.diagnostics, ...notes, ...scoped.diagnostics, ...placed.diagnostics],
    // `code` keeps the unplaced guests' specs beside their placed selves: N+1 reads their provider and selector.
    keep: scoped.keep, replace: scoped.replace, capabilities: capabilitiesOf(opts.projectDir, opts.env), code: opts.manifest.unplaced ? { ...code, unplaced: opts.manifest.unplaced } : code, ...opts.extra,
    ...(rebalanced ? { rebalance: rebalanced } : {}),
    ...(load ? { load } : {}),
    // Bound to the code as written (guests unplaced), whatever part of it the scope planned.
    ...(scoped.manifest !== opts.manifest ? { manifestDigest: manifestDigest(opts.manifest) } : {}),
  });
  // A guest the rebalance moved is told by its migration's reason, not as kept where it was.
  const placements = rebalanced ? placed.placements.filter((d) => !rebalanced.moved.has(d.guest)) : placed.placements;
  if (placements.length) plan.placements = placements;
  if (scoped.targets) plan.targets = scoped.targets;
  // Bind the plan to the state as stored, so apply can tell whether it changed since.
  plan.stateLineage = original?.lineage ?? null;
  plan.stateSerial = original?.serial ?? 0;
  return { plan, state, original, placed: code };
}

/**
 * How guests without a host are placed: as the caller says, weighed by
 * measured load where there is some, and under the Fleet's
 * `nPlusOne: 'require'` only where the fleet stays N+1.
 */
function placementOptions(opts: PrepareOptions, measured: PlaceOptions['measured']): PlaceOptions | undefined {
  return placementPolicy(opts.manifest, measured ? { ...opts.placement, measured } : opts.placement);
}

/** The measured load over the store's window; unreadable samples are a warning, not a failed plan. */
async function readLoad(samples: SampleStore, now: string | undefined, path: string, notes: Diagnostic[]): Promise<LoadSummary | undefined> {
  try {
    return await measuredLoad(samples, now);
  } catch (e) {
    notes.push({ severity: 'warning', code: 'measured-load', path, message: `could not read the measured load at ${samples.location}: ${(e as Error).message}; this plan weighs declared load only` });
    return undefined;
  }
}

/** The lock of another process that may still be running, if the state is locked by one. */
async function runningApply(store: StateStore, own: LockInfo | undefined): Promise<LockInfo | undefined> {
  const lock = await store.lockInfo();
  if (!lock || lock.id === own?.id) return undefined;
  return (await storeHolderLiveness(store, lock)) === 'dead' ? undefined : lock;
}

import { breachesOf, hostUsage } from '../capacity/admit';
import { HvkitError } from '../errors';
import { sortDiagnostics } from '../diagnostics';
import { placementPolicy, placeUnplaced } from '../plan/placement';
import { manifestDigest } from '../manifest/canonical';
import type { HostSpec, Manifest } from '../manifest/types';
import type { Plan } from '../plan/types';
import { own, type LockInfo, type State, type StateStore } from '../state/types';
import { preparePlan, runnerFor } from './prepare';
import type { CallResult } from '../apply/provider';

export interface RebuildOptions {
  manifest: Manifest;
  store: StateStore;
  projectDir: string;
  env: NodeJS.ProcessEnv;
  host: string;
  /** Recreate the guests on this host instead (their own host is down). */
  to?: string;
  /** The state lock the caller holds (`hvkit apply FILE` re-deriving a saved rebuild plan), passed on to preparePlan. */
  heldLock?: LockInfo;
  /**
   * With `to`: recreate even though the host answers and still has the guests;
   * their copies there are destroyed once the new ones run.
   * @default false
   */
  forceWhileUp?: boolean;
  /** How long to wait for the host's provider to answer whether it is up. @default 30000 */
  probeTimeoutMs?: number;
}

/**
 * The exit status with which a provider's `facts` says it cannot reach the
 * host (ssh's own status for a failed connection; providers/README.md).
 */
export const UNREACHABLE_EXIT = 255;

/** One line on why a provider call failed, for an error message. */
function whyFailed(r: CallResult, timeoutMs: number): string {
  if (r.startError) return `could not be started: ${r.startError}`;
  if (r.timedOut) return `timed out after ${Math.round(timeoutMs / 1000)}s`;
  const last = r.stderrTail.split('\n').map((l) => l.trim()).filter(Boolean).pop();
  return `exit ${r.exitCode ?? r.signal}${last ? `: ${last}` : ''}`;
}

/**
 * Which of `guests` the host really has, asked through its provider; undefined
 * when the provider says it cannot reach the host (it is down, which is what
 * `--to` is for). Any other failure is not taken as "down": a host that is up
 * behind a broken provider would end up running its guests twice.
 */
async function guestsStillOn(opts: RebuildOptions, host: HostSpec, guests: string[]): Promise<string[] | undefined> {
  const runner = runnerFor(opts.projectDir, opts.env);
  const call = { fleet: opts.manifest.fleet, host };
  const timeoutMs = opts.probeTimeoutMs ?? 30_000;
  const facts = await runner.call(host.provider, 'facts', call, { timeoutMs });
  if (!facts.ok) {
    if (facts.timedOut || facts.exitCode === UNREACHABLE_EXIT) return undefined;
    // Forced: whether it is up no longer gates the rebuild, but which copies to destroy still needs `list`.
    if (!opts.forceWhileUp) throw new HvkitError(`cannot tell whether ${host.name} is down: facts failed (${whyFailed(facts, timeoutMs)}); fix the provider or pass --force-while-up`);
  }
  const list = await runner.call(host.provider, 'list', call, { timeoutMs });
  if (!list.ok || !Array.isArray(list.result?.domains)) {
    const asked = facts.ok ? `${host.name} answers \`facts\` but not \`list\`` : `neither \`facts\` nor \`list\` answers for ${host.name}`;
    throw new HvkitError(`${asked}, so hvkit cannot tell whether it still runs ${guests.join(', ')}: fix the host's provider, or stop the host, and run \`hvkit rebuild\` again`);
  }
  const there = new Set((list.result.domains as { name?: unknown }[]).map((d) => d.name));
  return guests.filter((g) => there.has(g));
}

/**
 * Plans the re-creation from code of every guest recorded on a host — after
 * a disk or mainboard replacement, or to prove the code still describes what
 * runs. With `to`, the guests are planned onto another host where they fit.
 * Returns the plan, the guests rebuilt, and the state it was planned against
 * (steps a dead apply left in flight settled), so a caller need not ask the
 * hypervisors again.
 */
export async function planRebuild(opts: RebuildOptions): Promise<{ plan: Plan; guests: string[]; state: State | undefined; placed: Manifest }> {
  const state = await opts.store.read();
  if (!state || !own(state.hosts, opts.host)) {
    const known = Object.keys(state?.hosts ?? {}).sort();
    throw new HvkitError(`host '${opts.host}' is not in state${known.length ? ` (it has ${known.join(', ')})` : ''}: there is nothing deployed there to rebuild`);
  }
  // Guests hvkit places are on the host state records (sticky) for as long as it takes them.
  const placed = placeUnplaced(opts.manifest, state, placementPolicy(opts.manifest));
  const inCode = new Map(placed.manifest.guests.map((g) => [g.name, g]));
  const guests = Object.values(state.guests)
    .filter((g) => g.spec.host === opts.host && inCode.get(g.spec.name)?.host === opts.host)
    .map((g) => g.spec.name)
    .sort();
  if (guests.length === 0) throw new HvkitError(`no guest that code places on ${opts.host} is recorded there: nothing to rebuild`);
  let manifest = placed.manifest;
  let copies: string[] = [];
  if (opts.to) {
    const target = manifest.hosts.find((h) => h.name === opts.to);
    if (!target) throw new HvkitError(`--to ${opts.to}: no such host in code`);
    if (opts.to === opts.host) throw new HvkitError('--to names the host being rebuilt; leave it out to rebuild in place');
    // The admission check says which disks the target lacks; the message names the guests placed on them.
    const movedSpecs = guests.map((n) => inCode.get(n)!);
    const lacking = new Set(breachesOf(hostUsage(target, movedSpecs)).flatMap((b) => (b.mode === 'disk' && b.missing ? [b.disk] : [])));
    const problems = movedSpecs.flatMap((g) => g.disks.filter((d) => lacking.has(d.on)).map((d) => `${g.name} has a disk on ${d.on}, which ${opts.to} does not have`));
    if (problems.length) throw new HvkitError(`cannot plan onto ${opts.to}: ${problems.join('; ')}`);
    const source = opts.manifest.hosts.find((h) => h.name === opts.host) ?? own(state.hosts, opts.host)!.spec;
    copies = (await guestsStillOn(opts, source, guests)) ?? [];
    if (copies.length && !opts.forceWhileUp) {
      throw new HvkitError(
        `${opts.host} is up and runs ${copies.join(', ')}: recreating ${copies.length === 1 ? 'it' : 'them'} on ${opts.to} would run ${copies.length === 1 ? 'it' : 'each'} on two hosts. ` +
        `To move ${copies.length === 1 ? 'it' : 'them'}, place ${copies.length === 1 ? 'it' : 'them'} on ${opts.to} in code and \`hvkit apply\` (a migration), or stop ${opts.host} first; ` +
        `pass --force-while-up to recreate anyway (the copies on ${opts.host} are destroyed once the new ones run)`,
      );
    }
    const moved = new Set(guests);
    manifest = { ...manifest, guests: manifest.guests.map((g) => (moved.has(g.name) ? { ...g, host: opts.to! } : g)) };
  }
  const { plan, state: planned } = await preparePlan({ manifest, store: opts.store, projectDir: opts.projectDir, env: opts.env, state, heldLock: opts.heldLock, extra: { rebuild: { guests, host: opts.host, to: opts.to, forced: copies } } });
  // Bound to the code as written, so `hvkit apply FILE` accepts it.
  plan.manifestDigest = manifestDigest(opts.manifest);
  if (placed.placements.length) plan.placements = placed.placements;
  if (placed.diagnostics.length) {
    plan.diagnostics = sortDiagnostics([...plan.diagnostics, ...placed.diagnostics]);
    plan.applyable = false;
  }
  if (copies.length) destroyCopiesAfter(plan, opts.host, copies);
  return { plan, guests, state: planned, placed: placed.manifest };
}

/**
 * A forced rebuild of a host that is up (the planner already gave those
 * guests the reason `rebuild-forced`): each guest's copy on the source is
 * destroyed only after its recreate on the target is done, as steps of their
 * own, so the plan shows it and a failed recreate leaves the original running.
 * Each first lists the target: a recreate whose provider claimed success
 * without creating anything must not cost the only copy.
 */
function destroyCopiesAfter(plan: Plan, host: string, copies: string[]): void {
  for (const name of copies) {
    const recreate = plan.steps.find((s) => s.kind === 'recreate' && s.guest === name);
    if (!recreate) continue;
    plan.steps.push({
      // The target too: the step first checks there that the recreate's guest really runs.
      id: `destroy-copy:${name}`, kind: 'destroy-copy', provider: recreate.hostSpec!.provider, host, target: recreate.target, guest: name,
      dependsOn: [recreate.id], hostSpec: recreate.hostSpec, targetSpec: recreate.targetSpec, before: recreate.before,
      description: `destroy the copy of ${name} left on ${host} (after it runs on ${recreate.target})`,
    });
  }
}

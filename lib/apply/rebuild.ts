import { HvkitError } from '../errors';
import { manifestDigest } from '../manifest/canonical';
import type { Manifest } from '../manifest/types';
import type { Plan } from '../plan/types';
import type { LockInfo, StateStore } from '../state/types';
import { preparePlan } from './prepare';

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
}

/**
 * Plans the re-creation from code of every guest recorded on a host — after
 * a disk or mainboard replacement, or to prove the code still describes what
 * runs. With `to`, the guests are planned onto another host where they fit.
 */
export async function planRebuild(opts: RebuildOptions): Promise<{ plan: Plan; guests: string[] }> {
  const state = await opts.store.read();
  if (!state?.hosts[opts.host]) {
    const known = Object.keys(state?.hosts ?? {}).sort();
    throw new HvkitError(`host '${opts.host}' is not in state${known.length ? ` (it has ${known.join(', ')})` : ''}: there is nothing deployed there to rebuild`);
  }
  const inCode = new Map(opts.manifest.guests.map((g) => [g.name, g]));
  const guests = Object.values(state.guests)
    .filter((g) => g.spec.host === opts.host && inCode.get(g.spec.name)?.host === opts.host)
    .map((g) => g.spec.name)
    .sort();
  if (guests.length === 0) throw new HvkitError(`no guest that code places on ${opts.host} is recorded there: nothing to rebuild`);
  let manifest = opts.manifest;
  if (opts.to) {
    const target = opts.manifest.hosts.find((h) => h.name === opts.to);
    if (!target) throw new HvkitError(`--to ${opts.to}: no such host in code`);
    if (opts.to === opts.host) throw new HvkitError('--to names the host being rebuilt; leave it out to rebuild in place');
    const disks = new Set(target.disks.map((d) => d.name));
    const problems = guests.flatMap((n) => inCode.get(n)!.disks.filter((d) => !disks.has(d.on)).map((d) => `${n} has a disk on ${d.on}, which ${opts.to} does not have`));
    if (problems.length) throw new HvkitError(`cannot plan onto ${opts.to}: ${problems.join('; ')}`);
    const moved = new Set(guests);
    manifest = { ...opts.manifest, guests: opts.manifest.guests.map((g) => (moved.has(g.name) ? { ...g, host: opts.to! } : g)) };
  }
  const { plan } = await preparePlan({ manifest, store: opts.store, projectDir: opts.projectDir, env: opts.env, state, heldLock: opts.heldLock, extra: { rebuild: { guests, host: opts.host, to: opts.to } } });
  // Bound to the code as written, so `hvkit apply FILE` accepts it.
  plan.manifestDigest = manifestDigest(opts.manifest);
  return { plan, guests };
}

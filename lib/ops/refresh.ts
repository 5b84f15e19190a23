import { randomUUID } from 'node:crypto';
import { HvkitError } from '../errors';
import { formatSize } from '../manifest/size';
import type { HostSpec, Manifest } from '../manifest/types';
import { emptyState, type ObservedDomain, type ObservedHost, type State, type StateStore } from '../state/types';
import { withStateLock, type LockRelease } from '../state/with-lock';
import { driftOf } from './drift';
import { runnerFor } from './prepare';
import type { ProviderRunner } from '../apply/provider';
import type { SampleStore } from '../load/sample-store';
import { sampleLoad, type FleetLoad } from './sample-load';

export interface OpsOptions {
  manifest: Manifest;
  store: StateStore;
  projectDir: string;
  env: NodeJS.ProcessEnv;
  /** @default 60000 */
  timeoutMs?: number;
}

/** Asks one host what it runs, through its provider's `facts` and `list`: refresh and import both ask this way. */
export async function observe(runner: ProviderRunner, fleet: string, host: HostSpec, timeoutMs: number): Promise<ObservedHost> {
  const facts = await runner.call(host.provider, 'facts', { fleet, host }, { timeoutMs });
  if (!facts.ok) return { reachable: false, error: `facts exited with ${facts.exitCode ?? facts.signal}: ${facts.stderrTail.split('\n').pop() ?? ''}`.trim(), domains: [] };
  const list = await runner.call(host.provider, 'list', { fleet, host }, { timeoutMs });
  if (!list.ok || !Array.isArray(list.result?.domains)) return { reachable: false, error: `list exited with ${list.exitCode ?? list.signal}: ${list.stderrTail.split('\n').pop() ?? ''}`.trim(), domains: [] };
  return {
    reachable: true,
    memoryMiB: typeof facts.result?.memoryMiB === 'number' ? facts.result.memoryMiB : undefined,
    cpus: typeof facts.result?.cpus === 'number' ? facts.result.cpus : undefined,
    domains: (list.result!.domains as ObservedDomain[]).map((d) => ({ name: d.name, memoryMiB: d.memoryMiB, maxMemoryMiB: d.maxMemoryMiB, vcpus: d.vcpus, maxVcpus: d.maxVcpus, running: d.running })),
  };
}

/** Every host refresh asks: those state records and those code declares (code's spec wins), by name. */
export function hostsOf(state: State | undefined, manifest: Manifest): Map<string, HostSpec> {
  const hosts = new Map<string, HostSpec>();
  for (const [n, r] of Object.entries(state?.hosts ?? {})) hosts.set(n, r.spec);
  for (const h of manifest.hosts) hosts.set(h.name, h);
  return new Map([...hosts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface RefreshOptions extends OpsOptions {
  /**
   * Also measure load: read every host's `stats` twice, `intervalMs` apart,
   * and keep the rates in `samples` (the store beside the state). The reads
   * happen before the state lock is taken, so an apply is not held up by them.
   * @default no measuring
   */
  load?: {
    intervalMs: number;
    samples?: SampleStore;
    sleep?: (ms: number) => Promise<void>;
    /** See SampleLoadOptions.onWait. @default nothing */
    onWait?: (hosts: number, intervalMs: number) => void;
    /** hvkit's clock, for refusing samples from a host's clock far ahead. @default the current time */
    now?: string;
  };
}

/** What each host runs, in the order given, asked a few at a time: each answer is a round trip to a real machine. */
export async function observeAll(runner: ProviderRunner, fleet: string, hosts: readonly HostSpec[], timeoutMs = 60_000): Promise<ObservedHost[]> {
  const out: ObservedHost[] = [];
  for (let i = 0; i < hosts.length; i += 4) out.push(...(await Promise.all(hosts.slice(i, i + 4).map((h) => observe(runner, fleet, h, timeoutMs)))));
  return out;
}

/**
 * Asks every host (in state or in code) what really runs, through its
 * provider's `facts` and `list`, and records it; `hvkit plan` then shows the
 * drift and plans to converge. With `load`, also measures what the guests use
 * and keeps it with the state.
 */
export async function refresh(opts: RefreshOptions): Promise<{ state: State; drift: ReturnType<typeof driftOf>; load?: FleetLoad; samplesWarning?: string } & LockRelease> {
  const runner = runnerFor(opts.projectDir, opts.env);
  const load = opts.load
    ? await sampleLoad({ runner, fleet: opts.manifest.fleet, hosts: [...hostsOf(await opts.store.read(), opts.manifest).values()], intervalMs: opts.load.intervalMs, timeoutMs: opts.timeoutMs, sleep: opts.load.sleep, onWait: opts.load.onWait })
    : undefined;
  const { value, unlockWarning } = await withStateLock(opts.store, 'refresh', async () => {
    const stored = await opts.store.read();
    const state = stored ? structuredClone(stored) : emptyState(opts.manifest.fleet, randomUUID());
    const hosts = hostsOf(state, opts.manifest);
    const names = [...hosts.keys()].sort();
    const observed: Record<string, ObservedHost> = {};
    const got = await observeAll(runner, opts.manifest.fleet, names.map((n) => hosts.get(n)!), opts.timeoutMs);
    names.forEach((n, k) => (observed[n] = got[k]));
    state.observed = { at: new Date().toISOString(), hosts: observed };
    state.serial = await opts.store.write(state);
    // Under the lock: two refreshes at once would each rewrite the samples file from what they read.
    let samplesWarning: string | undefined;
    try {
      const kept = load && opts.load?.samples ? await opts.load.samples.append(load.hosts, opts.load.now) : undefined;
      if (kept?.refused.length) {
        const clock = opts.load?.now ?? new Date().toISOString();
        samplesWarning = kept.refused.map((r) => `the load of ${r.host} at ${r.at} was not kept: it is more than 5 minutes ahead of hvkit's clock (${clock}); set that host's clock right (NTP)`).join('\n');
      }
    } catch (e) {
      // The state is written by now: measured load that could not be kept is a warning, not a failed refresh.
      if (!(e instanceof HvkitError)) throw e;
      samplesWarning = `the measured load was not kept: ${e.message}`;
    }
    return { state, drift: driftOf(opts.manifest, state), ...(load ? { load } : {}), ...(samplesWarning ? { samplesWarning } : {}) };
  });
  return { ...value, ...(unlockWarning ? { unlockWarning } : {}) };
}

export function describeDomain(d: ObservedDomain): string {
  return `${formatSize(d.memoryMiB)} of ${formatSize(d.maxMemoryMiB)}, ${d.vcpus} of ${d.maxVcpus} vCPUs, ${d.running ? 'running' : 'shut off'}`;
}

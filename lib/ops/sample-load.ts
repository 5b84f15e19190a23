import { HvkitError } from '../errors';
import { parseStats, type HostCounters } from '../load/counters';
import { hostLoadBetween, sumRates, type FleetLoad } from '../load/rates';

export type { FleetLoad } from '../load/rates';
import type { HostSpec } from '../manifest/types';
import type { ProviderRunner } from '../apply/provider';

export interface SampleLoadOptions {
  runner: ProviderRunner;
  fleet: string;
  hosts: readonly HostSpec[];
  /** Time between the two reads of each host. @default 5000 */
  intervalMs?: number;
  /** Per `stats` call. @default 60000 */
  timeoutMs?: number;
  /** Waits between the two rounds; tests pass one that returns at once. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Told, before the wait, how many hosts answered the first read and how long the wait is (for a progress line). @default nothing */
  onWait?: (hosts: number, intervalMs: number) => void;
}

/**
 * Hosts asked at once. Every host's read of a round must happen at nearly the
 * same moment, or the interval between a host's two reads grows with the
 * fleet (in sequential batches of 4, 16 hosts read 1 s apart were really ~4 s
 * apart); so a round asks them all together, bounded only so that a big
 * fleet does not start hundreds of ssh sessions at once.
 */
export const STATS_CONCURRENCY = 16;

/** One read of every host's counters: what answered, and why the others did not. */
export interface StatsRound {
  counters: Map<string, HostCounters>;
  failed: Map<string, string>;
}

/** Reads every host's `stats` once, up to STATS_CONCURRENCY hosts at a time. */
export async function readRound(opts: Pick<SampleLoadOptions, 'runner' | 'fleet' | 'hosts' | 'timeoutMs'>): Promise<StatsRound> {
  const hosts = [...opts.hosts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const answers: Awaited<ReturnType<typeof readStats>>[] = new Array(hosts.length);
  let next = 0;
  // Each worker takes the next host as soon as it is free: a slow host holds up one slot, not a batch.
  const worker = async () => {
    while (next < hosts.length) {
      const i = next++;
      answers[i] = await readStats(opts, hosts[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(STATS_CONCURRENCY, hosts.length) }, worker));
  const round: StatsRound = { counters: new Map(), failed: new Map() };
  hosts.forEach((h, k) => {
    const a = answers[k];
    if ('error' in a) round.failed.set(h.name, a.error);
    else round.counters.set(h.name, a.counters);
  });
  return round;
}

/** The load between two rounds: rates for each host read both times; a host that failed either time is named once. */
export function loadBetween(first: StatsRound, second: StatsRound): FleetLoad {
  const names = [...new Set([...first.counters.keys(), ...second.counters.keys(), ...first.failed.keys(), ...second.failed.keys()])].sort();
  const hosts = names.flatMap((n) => (first.counters.has(n) && second.counters.has(n) ? [hostLoadBetween(first.counters.get(n)!, second.counters.get(n)!)] : []));
  const failed = names.flatMap((n) => {
    const why = second.failed.get(n) ?? first.failed.get(n);
    return why === undefined ? [] : [{ host: n, error: why }];
  });
  const ends = hosts.map((m) => Date.parse(m.at));
  return { at: new Date(ends.length ? Math.max(...ends) : Date.now()).toISOString(), hosts, total: sumRates(hosts.map((m) => m.load)), failed };
}

/**
 * Reads every host's `stats` twice, `intervalMs` apart, and turns the
 * counters into rates (lib/load/rates.ts). A host whose provider fails or
 * breaks the contract is listed in `failed`; the others are measured.
 */
export async function sampleLoad(opts: SampleLoadOptions): Promise<FleetLoad> {
  const first = await readRound(opts);
  // Nothing answered: a second read after a wait would not change that.
  if (first.counters.size === 0) return loadBetween(first, first);
  opts.onWait?.(first.counters.size, opts.intervalMs ?? 5000);
  await (opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(opts.intervalMs ?? 5000);
  return loadBetween(first, await readRound({ ...opts, hosts: opts.hosts.filter((h) => !first.failed.has(h.name)) }));
}

async function readStats(opts: Pick<SampleLoadOptions, 'runner' | 'fleet' | 'timeoutMs'>, host: HostSpec): Promise<{ counters: HostCounters } | { error: string }> {
  if (!opts.runner.hasVerb(host.provider, 'stats')) return { error: `the ${host.provider} provider has no stats verb (${opts.runner.scriptPath(host.provider, 'stats')})` };
  const r = await opts.runner.call(host.provider, 'stats', { fleet: opts.fleet, host }, { timeoutMs: opts.timeoutMs ?? 60_000 });
  if (!r.ok) {
    const why = r.startError ?? (r.timedOut ? `timed out after ${opts.timeoutMs ?? 60_000} ms` : `exited with ${r.exitCode ?? r.signal}: ${r.stderrTail.trim().split('\n').pop() ?? ''}`);
    return { error: `stats ${why}`.trim() };
  }
  try {
    return { counters: parseStats(host.name, r.result) };
  } catch (e) {
    if (e instanceof HvkitError) return { error: e.message };
    throw e;
  }
}

/**
 * Measures again and again until `signal` aborts (`hvkit top` on a terminal):
 * each read ends one interval and starts the next, so no time goes
 * unmeasured; `onLoad` gets each interval's load.
 */
export async function watchLoad(opts: SampleLoadOptions & { signal: AbortSignal }, onLoad: (load: FleetLoad) => void): Promise<void> {
  const sleep = opts.sleep ?? ((ms: number) => abortableSleep(ms, opts.signal));
  let prev = await readRound(opts);
  while (!opts.signal.aborted) {
    await sleep(opts.intervalMs ?? 5000);
    if (opts.signal.aborted) break;
    const cur = await readRound(opts);
    onLoad(loadBetween(prev, cur));
    prev = cur;
  }
}

/** setTimeout that ends early when `signal` aborts. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

import { performance } from 'node:perf_hooks';
import { HvkitError } from '../errors';
import { DEFAULT_CAPACITY, DEFAULT_RESERVE_OVERHEAD_MIB } from '../manifest/defaults';
import type { GuestSpec, HostSpec } from '../manifest/types';
import { hostUsage, type HostUsage } from './admit';
import { admits } from './fits';
import { HostIndex } from './host-index';
import { Packing, type Choice, type WeighPolicy } from './placement';
import { evacuateInPlace, type MovableAsk } from './rebalance';
import type { TraceRow } from './trace';
import { fillUtilization, MEMORY, VCPUS } from './weigh';

/**
 * The what-if simulator: a VM request trace replayed through the placement
 * engine (`Packing.choose`, so `admit` decides every fit) on identical hosts,
 * with hvkit's scoring and, for reference, First-Fit and Best-Fit on the
 * same hosts. docs/placement.md says how to read its figures.
 */

/** The hosts a simulation buys: all of one shape. */
export interface HostShape {
  /** Hardware threads. */
  cpus: number;
  memoryMiB: number;
}

export interface SimulateOptions {
  host: HostShape;
  /** Σ vCPUs may reach cpus × this. @default 1 (SIMULATION_DEFAULTS: a trace's vCPUs against physical CPUs) */
  overcommit?: number;
  /**
   * Memory each host keeps for the hypervisor, MiB. 0 also drops hvkit's
   * per-guest memory overhead, so figures compare with textbook bin packing;
   * above 0, the capacity model's per-guest overhead counts as on real hosts.
   * @default 0 (SIMULATION_DEFAULTS)
   */
  reserveMiB?: number;
  /** A fixed fleet of this many hosts: arrivals that fit nowhere are counted as failed. @default unlimited: a host is opened when no host in use admits the guest */
  hosts?: number;
  /** Let hvkit migrate guests to empty hosts as guests leave (Ganeti's hbal in the loop). @default false */
  rebalance?: boolean;
  /** The trace's name in messages. @default 'trace' */
  file?: string;
  /**
   * Find each arrival's host through the host index (host-index.ts), which
   * hands `Packing.chooseAmong` only the hosts that can win; false runs
   * `Packing.choose` over every host instead. Both give the same figures
   * (test/capacity/host-index.test.ts); the index scales with the fleet.
   * @default true
   */
  index?: boolean;
  /** Milliseconds, for `decisionsPerSecond` only (the one figure that is not deterministic). @default performance.now */
  clock?: () => number;
}

/** What one placement rule did on the trace. */
export interface RunFigures {
  /** Most hosts holding at least one guest at once. */
  peakHosts: number;
  /** Hosts in use over the lower bound, sampled at every arrival, averaged; 1 is perfect packing. */
  meanHostsOverLowerBound: number;
  /** Guests moved (with `rebalance`, hvkit's run only). */
  migrations?: number;
  /** Arrivals no host admitted (with a fixed fleet). */
  failedPlacements?: number;
  /** Arrivals placed before the first failure (with a fixed fleet; all of them when none failed). */
  placedBeforeFirstFailure?: number;
  /** Arrivals placed per second of wall time. */
  decisionsPerSecond: number;
}

export interface Simulation extends RunFigures {
  /** Max over time of max over resources of ⌈Σ demand / host capacity⌉: no packing can use fewer hosts. */
  peakLowerBound: number;
  reference: { firstFit: RunFigures; bestFit: RunFigures };
  /**
   * Requests larger than an empty host of the shape (after reserve and
   * overcommit), left out of every figure but `failedPlacements` and
   * `placedBeforeFirstFailure` (a fixed fleet does fail them, in arrival
   * order); absent when there are none.
   */
  oversized?: { count: number; first: string; vmid: string };
}

/**
 * What a simulation assumes unless told: nothing taken for the hypervisor and
 * no vCPU overcommit, so a trace's answer compares with textbook bin packing
 * and with published results on the same trace. `--overcommit 4 --reserve
 * 512MiB` models hosts as hvkit's capacity model sees them.
 */
export const SIMULATION_DEFAULTS = Object.freeze({ overcommit: 1, reserveMiB: 0 });

/** A simulated host, named so that name order is the order hosts are bought in. */
export function simHost(i: number, opts: SimulateOptions): HostSpec {
  const reserve = opts.reserveMiB ?? SIMULATION_DEFAULTS.reserveMiB;
  const noOverhead = reserve === 0 ? { overheadPerVcpuMiB: 0, overheadMemoryDivisor: Infinity, overheadHvmMiB: 0 } : {};
  const name = `sim-${String(i).padStart(6, '0')}`;
  return {
    name, path: `simulate/${name}`, provider: 'local', address: '', storageDir: '', tags: {},
    cpu: { sockets: 1, cores: opts.host.cpus, threads: opts.host.cpus },
    memory: { slots: 1, maxDimmMiB: opts.host.memoryMiB, dimmsMiB: [opts.host.memoryMiB], totalMiB: opts.host.memoryMiB },
    disks: [], nics: [],
    reserve: { memoryMiB: reserve, overheadMiB: Math.min(DEFAULT_RESERVE_OVERHEAD_MIB, reserve), vcpus: 0 },
    capacity: { ...DEFAULT_CAPACITY, cpuOvercommit: opts.overcommit ?? SIMULATION_DEFAULTS.overcommit, ...noOverhead },
  };
}

/** The guest a trace row asks for. */
export function simGuest(r: TraceRow): GuestSpec {
  return {
    name: r.vmid, path: `simulate/${r.vmid}`, host: '', role: 'vm', uuid: '', mode: 'pv',
    vcpus: r.vcpus, maxVcpus: r.vcpus, memoryMiB: r.memoryMiB, maxMemoryMiB: r.memoryMiB,
    disks: [], nics: [], load: { cpu: 0, iops: 0, netMbps: 0 }, antiAffinity: null,
    kernel: null, bootloader: null, cpuWeight: null, cpuCap: null, power: 'running', tags: {},
    lifecycle: { ignoreChanges: [], preventDestroy: false }, movedFrom: null,
  };
}

/** Replays the trace with hvkit's scoring, First-Fit and Best-Fit; pure but for `decisionsPerSecond`. */
export function simulate(all: readonly TraceRow[], opts: SimulateOptions): Simulation {
  const file = opts.file ?? 'trace';
  if (opts.hosts !== undefined && (!Number.isInteger(opts.hosts) || opts.hosts < 1)) throw new HvkitError(`--hosts ${opts.hosts} must be a whole number of hosts, 1 or more`);
  const empty = hostUsage(simHost(0, opts), []);
  // A request no empty host could take is left out, not fatal: real traces carry a few VMs larger than the host shape asked about.
  const rows: TraceRow[] = [];
  const oversized: TraceRow[] = [];
  // Requests that fit before the first oversized one: on a fixed fleet, that one is a failed placement.
  let beforeOversized: number | undefined;
  for (const r of all) {
    if (admits(empty, simGuest(r))) rows.push(r);
    else {
      beforeOversized ??= rows.length;
      oversized.push(r);
    }
  }
  const guests = rows.map(simGuest);
  const departures = departureOrder(rows);
  const bound = lowerBounds(rows, departures, empty.capacities.vcpus, empty.capacities.memory - empty.host.reserve.memoryMiB);
  // A fixed fleet did fail the oversized requests, in arrival order; an unlimited one could not have bought a host for them.
  const failing = (run: RunFigures): RunFigures => {
    if (run.failedPlacements === undefined || beforeOversized === undefined) return run;
    return { ...run, failedPlacements: run.failedPlacements + oversized.length, placedBeforeFirstFailure: Math.min(run.placedBeforeFirstFailure!, beforeOversized) };
  };
  const caps = { vcpus: empty.capacities.vcpus, memory: empty.capacities.memory - empty.host.reserve.memoryMiB };
  const { peakBound, ...hvkitRun } = replay(rows, guests, departures, bound.at, caps, opts, 'hvkit', opts.rebalance ?? false);
  const hvkit = failing(hvkitRun);
  const firstFit = failing(withoutBound(replay(rows, guests, departures, bound.at, caps, opts, 'first-fit', false)));
  const bestFit = failing(withoutBound(replay(rows, guests, departures, bound.at, caps, opts, 'best-fit', false)));
  // Keys in the order the docs list them.
  return {
    peakHosts: hvkit.peakHosts,
    // A fixed fleet's bound counts the demand hvkit placed: what failed was never on a host.
    peakLowerBound: opts.hosts === undefined ? bound.peak : peakBound,
    meanHostsOverLowerBound: hvkit.meanHostsOverLowerBound,
    ...(hvkit.migrations !== undefined ? { migrations: hvkit.migrations } : {}),
    ...(hvkit.failedPlacements !== undefined ? { failedPlacements: hvkit.failedPlacements, placedBeforeFirstFailure: hvkit.placedBeforeFirstFailure } : {}),
    decisionsPerSecond: hvkit.decisionsPerSecond,
    reference: { firstFit, bestFit },
    ...(oversized.length ? { oversized: { count: oversized.length, first: `${file}:${oversized[0].line}`, vmid: oversized[0].vmid } } : {}),
  };
}

/** Rows that leave, by departure second then row (departures before arrivals at the same second). */
function departureOrder(rows: readonly TraceRow[]): Int32Array {
  const idx: number[] = [];
  for (let i = 0; i < rows.length; i++) if (Number.isFinite(rows[i].lt)) idx.push(i);
  idx.sort((a, b) => rows[a].at + rows[a].lt - (rows[b].at + rows[b].lt) || a - b);
  return Int32Array.from(idx);
}

/**
 * Visits the trace in time order: every departure due at or before an
 * arrival's second runs before it (only of rows already arrived: a VM of
 * lifetime 0 leaves just after it came).
 */
function walk(rows: readonly TraceRow[], departures: Int32Array, depart: (row: number) => void, settle: () => void, arrive: (row: number) => void): void {
  let d = 0;
  for (let i = 0; i < rows.length; i++) {
    const t = rows[i].at;
    let any = false;
    while (d < departures.length) {
      const j = departures[d];
      if (j >= i || rows[j].at + rows[j].lt > t) break;
      depart(j);
      any = true;
      d++;
    }
    if (any) settle();
    arrive(i);
  }
}

/** ⌈Σ demand / host capacity⌉ over vCPUs and memory at every arrival (after it), and the peak. */
function lowerBounds(rows: readonly TraceRow[], departures: Int32Array, vcpuCap: number, memCap: number): { at: Int32Array; peak: number } {
  const at = new Int32Array(rows.length);
  let vcpus = 0;
  let memory = 0;
  let peak = 0;
  // Whole units (vCPUs, MiB) sum exactly, so the bound is exact.
  walk(rows, departures, (j) => {
    vcpus -= rows[j].vcpus;
    memory -= rows[j].memoryMiB;
  }, () => {}, (i) => {
    vcpus += rows[i].vcpus;
    memory += rows[i].memoryMiB;
    at[i] = Math.max(Math.ceil(vcpus / vcpuCap), Math.ceil(memory / memCap));
    peak = Math.max(peak, at[i]);
  });
  return { at, peak };
}

function chosen(c: Choice): { host: string; guest: GuestSpec; usage: HostUsage } | undefined {
  return c.ok ? { host: c.host, guest: c.guest, usage: c.usage } : undefined;
}

/** A host emptied by migration is worth trying when it is at most this full (the fuller of memory and vCPUs). */
const EVACUATE_BELOW = 0.5;

function withoutBound({ peakBound: _, ...run }: RunFigures & { peakBound: number }): RunFigures {
  return run;
}

/**
 * One placement rule over the trace. `bound` is the lower bound of the whole
 * demand at each arrival; on a fixed fleet the run's own bound is used
 * instead, of the demand it placed (VMs that failed hold no host, so
 * counting them would put the bound above the fleet).
 */
function replay(rows: readonly TraceRow[], guests: readonly GuestSpec[], departures: Int32Array, bound: Int32Array, caps: { vcpus: number; memory: number }, opts: SimulateOptions, policy: WeighPolicy, rebalance: boolean): RunFigures & { peakBound: number } {
  const clock = opts.clock ?? (() => performance.now());
  const fixed = opts.hosts !== undefined;
  const p = new Packing(Array.from({ length: fixed ? opts.hosts! : 1 }, (_, i) => ({ spec: simHost(i, opts), guests: [] })));
  let opened = p.hosts.length;
  const hostIndex = opts.index === false ? undefined : new HostIndex(p, policy);
  const where: (string | undefined)[] = new Array(rows.length);
  const index = rebalance ? new Map<string, number>(rows.map((r, i) => [r.vmid, i])) : undefined;
  const movable = new Map<string, MovableAsk>();
  const ASK: MovableAsk = { provider: 'local' };
  let inUse = 0;
  let peak = 0;
  let ratio = 0;
  let failed = 0;
  let placed = 0;
  let beforeFirstFailure: number | undefined;
  let migrations = 0;
  let peakBound = 0;
  const left = new Set<string>();
  const util = new Float64Array(6);
  // What hosts offer guests and what placed guests take, for the cheap "is there room elsewhere" test.
  const cap = { vcpus: hostUsage(simHost(0, opts), []).capacities.vcpus, memory: opts.host.memoryMiB - (opts.reserveMiB ?? SIMULATION_DEFAULTS.reserveMiB) };
  let vcpusPlaced = 0;
  let memoryPlaced = 0;
  const start = clock();

  walk(rows, departures, (j) => {
    const h = where[j];
    if (h === undefined) return;
    p.remove(h, rows[j].vmid);
    hostIndex?.update(h);
    where[j] = undefined;
    vcpusPlaced -= rows[j].vcpus;
    memoryPlaced -= rows[j].memoryMiB;
    if (p.guestCount(h) === 0) inUse--;
    else if (rebalance) left.add(h);
    if (rebalance) movable.delete(rows[j].vmid);
  }, () => {
    if (!rebalance || left.size === 0) return;
    // Hosts guests just left, emptiest first: moving their few guests frees a whole host.
    const hosts = [...left].filter((h) => p.inUse(h)).map((h) => {
      fillUtilization(p.usage(h), null, util);
      return { h, full: Math.max(util[MEMORY], util[VCPUS]) };
    }).filter((x) => x.full <= EVACUATE_BELOW).sort((a, b) => a.full - b.full || (a.h < b.h ? -1 : 1));
    left.clear();
    for (const { h } of hosts) {
      if (!p.inUse(h)) continue;
      // The other hosts in use together must have the room, or trying is wasted work.
      const u = p.usage(h);
      if ((inUse - 1) * cap.vcpus - (vcpusPlaced - u.sums.vcpus) < u.sums.vcpus || (inUse - 1) * cap.memory - (memoryPlaced - u.sums.memory) < u.sums.memory) continue;
      const ev = evacuateInPlace(p, h, movable);
      if (!ev.ok) continue;
      migrations += ev.moves.length;
      inUse--;
      hostIndex?.update(h);
      for (const m of ev.moves) {
        where[index!.get(m.guest)!] = m.to;
        hostIndex?.update(m.to);
      }
    }
  }, (i) => {
    const r = hostIndex ? hostIndex.choose(guests[i]) : chosen(p.choose({ guest: guests[i], provider: 'local' }, { weigh: policy, explain: false }));
    if (r) {
      if (p.guestCount(r.host) === 0) inUse++;
      p.add(r.host, r.guest, r.usage);
      hostIndex?.update(r.host);
      where[i] = r.host;
      placed++;
      vcpusPlaced += rows[i].vcpus;
      memoryPlaced += rows[i].memoryMiB;
      if (rebalance) movable.set(rows[i].vmid, ASK);
      // Unlimited fleet: one empty host always stands ready, so "open a new host" is just another candidate.
      if (!fixed && inUse === opened) {
        const spec = simHost(opened++, opts);
        p.appendHost({ spec, guests: [] });
        hostIndex?.addHost(spec.name);
      }
    } else {
      failed++;
      beforeFirstFailure ??= placed;
    }
    peak = Math.max(peak, inUse);
    const b = fixed ? Math.max(Math.ceil(vcpusPlaced / caps.vcpus), Math.ceil(memoryPlaced / caps.memory)) : bound[i];
    peakBound = Math.max(peakBound, b);
    // Nothing placed and no host in use is perfect packing too.
    ratio += b === 0 ? 1 : inUse / b;
  });

  const seconds = (clock() - start) / 1000;
  return {
    peakHosts: peak,
    meanHostsOverLowerBound: rows.length ? Math.round((ratio / rows.length) * 10000) / 10000 : 0,
    ...(rebalance ? { migrations } : {}),
    ...(fixed ? { failedPlacements: failed, placedBeforeFirstFailure: beforeFirstFailure ?? placed } : {}),
    decisionsPerSecond: Math.round(rows.length / Math.max(seconds, 1e-6)),
    peakBound,
  };
}

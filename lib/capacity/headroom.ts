import type { GuestMode, GuestSpec, ProviderName } from '../manifest/types';
import { blocks, type FailMode, type HostUsage } from './admit';
import { hostsBeyondNPlusOne, type AskOf } from './n-plus-one';
import type { Packing } from './placement';

/**
 * "How many more fit" (Ganeti's hspace): guests of one shape added to the
 * fleet until it takes no more, through the same `Packing` as placement.
 */

/** The guest size asked about. */
export interface Shape {
  vcpus: number;
  memoryMiB: number;
  /** One disk of this size, on the host disk placement picks; 0: no disk. @default 0 */
  diskMiB: number;
}

export interface HostHeadroom {
  host: string;
  /** Guests of the shape the host takes on its own, with the guests it runs. */
  fits: number;
  /** The limit the next one would break first (memory, vcpus, disk, …). */
  limitedBy: FailMode;
  /** Of the `totalNPlusOne` guests, those placement puts on this host. */
  fitsNPlusOne: number;
}

export interface Headroom {
  /** Σ fits: every host filled on its own. */
  total: number;
  /**
   * The longest run of guests of the shape, placed one after another as placement places them
   * (N+1 not weighed), after which the fleet can still lose any one host; 0 when it cannot already.
   */
  totalNPlusOne: number;
  /** Hosts whose loss the fleet cannot absorb as it is: no guest can be added keeping N+1 there. */
  beyondNPlusOne: string[];
  hosts: HostHeadroom[];
}

/** Enough for any real host; a bound, so a shape of next to nothing cannot loop for long. */
const MAX_PER_HOST = 100_000;

/** The i-th guest of a shape, as placement sees a new guest (no host yet, its disk on the host disk placement picks). */
export function shapeGuest(shape: Shape, i: number, mode: GuestMode = 'pv'): GuestSpec {
  return {
    name: `shape-${i}`, path: `shape-${i}`, host: '', role: 'shape', uuid: '', mode,
    vcpus: shape.vcpus, maxVcpus: shape.vcpus, memoryMiB: shape.memoryMiB, maxMemoryMiB: shape.memoryMiB,
    disks: shape.diskMiB > 0 ? [{ sizeMiB: shape.diskMiB, on: '' }] : [],
    nics: [], load: { cpu: 0, iops: 0, netMbps: 0 }, antiAffinity: null, kernel: null, bootloader: null,
    cpuWeight: null, cpuCap: null, power: 'running', tags: {}, lifecycle: { ignoreChanges: [], preventDestroy: false }, movedFrom: null,
  };
}

/**
 * How many more guests of `shape` the fleet takes: per host, each filled on
 * its own until `admit` refuses (and which limit refused); in total; and,
 * keeping N+1, the longest run of them placement would add one after another
 * (`Packing.choose`, as `hvkit plan` places a guest without a host) that
 * leaves the fleet able to lose any one host (`hostsBeyondNPlusOne`, `askOf` saying
 * where the fleet's own guests may be recreated).
 *
 * The run is placed once; the longest prefix that keeps N+1 is found by
 * binary search with one N+1 check per step. That is exact because a longer
 * prefix only adds guests to hosts: a loss's recreation has more to re-place
 * and less room to do it, so a prefix that breaks N+1 is never followed by
 * one that keeps it (the property test in test/capacity/headroom.test.ts
 * checks this against the linear walk).
 */
export function headroom(packing: Packing, shape: Shape, askOf: AskOf): Headroom {
  const alone = packing.clone();
  let n = 0;
  const hosts: HostHeadroom[] = packing.hosts.map((host) => {
    let fits = 0;
    for (;;) {
      const r = alone.tryPlace(host, shapeGuest(shape, n++));
      if (!r.ok) {
        const spec = alone.spec(host);
        return { host, fits, limitedBy: r.breaches.find((b) => blocks(b, spec))!.mode, fitsNPlusOne: 0 };
      }
      alone.add(host, r.guest, r.usage);
      if (++fits >= MAX_PER_HOST) return { host, fits, limitedBy: 'vcpus' as FailMode, fitsNPlusOne: 0 };
    }
  });
  const beyond = hostsBeyondNPlusOne(packing.clone(), askOf);
  const byHost = new Map(hosts.map((h) => [h.host, h]));
  let totalNPlusOne = 0;
  if (beyond.length === 0) {
    const run = placementRun(packing, shape, n);
    totalNPlusOne = longestKeeping(run.length, (k) => hostsBeyondNPlusOne(prefix(packing, run, k), askOf, true).length === 0);
    for (const p of run.slice(0, totalNPlusOne)) byHost.get(p.host)!.fitsNPlusOne++;
  }
  return { total: hosts.reduce((a, h) => a + h.fits, 0), totalNPlusOne, beyondNPlusOne: beyond, hosts };
}

interface Placed {
  host: string;
  guest: GuestSpec;
  usage: HostUsage;
}

/** Guests of the shape placed one after another as placement places them, provider by provider, until none fits. */
function placementRun(packing: Packing, shape: Shape, firstIndex: number): Placed[] {
  const work = packing.clone();
  const run: Placed[] = [];
  let n = firstIndex;
  for (const provider of providers(packing)) {
    while (run.length < MAX_PER_HOST * packing.hosts.length) {
      const c = work.choose({ guest: shapeGuest(shape, n++), provider }, { explain: false });
      if (!c.ok) break;
      work.add(c.host, c.guest, c.usage);
      run.push({ host: c.host, guest: c.guest, usage: c.usage });
    }
  }
  return run;
}

/** The fleet with the first `k` guests of the run added. */
function prefix(packing: Packing, run: readonly Placed[], k: number): Packing {
  const p = packing.clone();
  for (let i = 0; i < k; i++) p.add(run[i].host, run[i].guest, run[i].usage);
  return p;
}

/** The largest k in [0, n] with `keeps(k)`, given `keeps(0)` and that once it fails it fails for every larger k. */
export function longestKeeping(n: number, keeps: (k: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (keeps(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function providers(packing: Packing): ProviderName[] {
  return [...new Set(packing.hosts.map((h) => packing.spec(h).provider))].sort();
}

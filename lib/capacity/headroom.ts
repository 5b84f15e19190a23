import type { GuestMode, GuestSpec, ProviderName } from '../manifest/types';
import { blocks, type FailMode } from './admit';
import { NPlusOneWatch, type AskOf } from './n-plus-one';
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
  /** Of the guests the fleet takes while staying N+1, those placed here. */
  fitsNPlusOne: number;
}

export interface Headroom {
  /** Σ fits: every host filled on its own. */
  total: number;
  /** Guests placed one by one (as placement does) while the fleet can still lose any host; 0 when it cannot already. */
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
 * its own until `admit` refuses (and which limit refused); in total; and
 * placed one by one as placement would, each only where the fleet stays N+1
 * (`askOf` says where the fleet's own guests may be recreated).
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
  const watch = new NPlusOneWatch(packing, askOf);
  const byHost = new Map(hosts.map((h) => [h.host, h]));
  let totalNPlusOne = 0;
  if (watch.beyond.length === 0) {
    for (const provider of providers(packing)) {
      for (;;) {
        const c = watch.packing.choose({ guest: shapeGuest(shape, n++), provider }, { accept: (h, g) => watch.keeps(h, g) });
        if (!c.ok) break;
        watch.add(c.host, c.guest);
        byHost.get(c.host)!.fitsNPlusOne++;
        if (++totalNPlusOne >= MAX_PER_HOST * packing.hosts.length) break;
      }
    }
  }
  return { total: hosts.reduce((a, h) => a + h.fits, 0), totalNPlusOne, beyondNPlusOne: [...watch.beyond], hosts };
}

function providers(packing: Packing): ProviderName[] {
  return [...new Set(packing.hosts.map((h) => packing.spec(h).provider))].sort();
}

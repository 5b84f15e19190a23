import type { GuestSpec } from '../manifest/types';
import type { WeighPolicy } from './weigh';

/**
 * What `choose` worked out for each host and one guest shape: whether the
 * host admits it and how it ranks. Both depend only on the host's usage and
 * the guest's shape, and placing a guest changes one host's usage, so the
 * next guest of the same shape is re-checked on that host alone: a plan that
 * places 10,000 guests of a few shapes onto 1,000 hosts checks each host
 * about once per shape rather than 10,000 times. A host's entry is trusted
 * only while the host's change stamp is the one it was worked out at.
 */
export interface ShapeVerdicts {
  /** The host's change stamp the entry was worked out at; 0: never. */
  stamp: Float64Array;
  ok: Uint8Array;
  soft: Uint8Array;
  empty: Uint8Array;
  score: Float64Array;
  /** Hosts whose entry says they admit the shape. */
  okCount: number;
  /**
   * The admitting hosts best first (a binary heap; entries whose stamp is no
   * longer the host's are stale and dropped when they reach the top), so a
   * placement looks at the hosts that changed, not at every host.
   */
  heap: HeapEntry[];
  /** Whether every host has an entry and the heap holds them. */
  primed: boolean;
  /** How much of the packing's change log the entries have taken in. */
  logPos: number;
}

export interface HeapEntry {
  i: number;
  stamp: number;
  soft: number;
  empty: number;
  score: number;
}

/** The placement order: no soft limit crossed, in use, lower score, then earlier name (position). */
export function ranksBefore(a: HeapEntry, b: HeapEntry): boolean {
  if (a.soft !== b.soft) return a.soft < b.soft;
  if (a.empty !== b.empty) return a.empty < b.empty;
  if (a.score !== b.score) return a.score < b.score;
  return a.i < b.i;
}

export function heapPush(h: HeapEntry[], e: HeapEntry): void {
  let k = h.length;
  h.push(e);
  while (k > 0) {
    const parent = (k - 1) >> 1;
    if (!ranksBefore(e, h[parent])) break;
    h[k] = h[parent];
    k = parent;
  }
  h[k] = e;
}

export function heapPop(h: HeapEntry[]): void {
  const last = h.pop()!;
  if (h.length === 0) return;
  let k = 0;
  const n = h.length;
  for (;;) {
    const l = 2 * k + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && ranksBefore(h[r], h[l]) ? r : l;
    if (!ranksBefore(h[c], last)) break;
    h[k] = h[c];
    k = c;
  }
  h[k] = last;
}

/** Shapes kept at once; a plan's guests come in few shapes, a trace's in a few dozen. */
const MAX_SHAPES = 64;

/** Shapes seen once remembered at most; past it they are forgotten and each counts as new again. */
const MAX_SEEN = 16384;

export class Verdicts {
  private readonly byShape = new Map<string, ShapeVerdicts>();
  /** Shapes asked for once: the second ask builds their verdicts, so a shape of its own costs one scan and no arrays. */
  private readonly seen = new Set<string>();
  /** The shape asked for last and its verdicts. */
  private last: { shape: Shape; policy: WeighPolicy; hostsKey: string; v: ShapeVerdicts } | undefined;

  /**
   * The verdicts for the guest's shape under a policy, over `hosts` host
   * positions, for the hosts a filter (`hostsKey`) lets through; undefined
   * the first time a shape is asked for (the caller scans instead).
   */
  of(g: GuestSpec, policy: WeighPolicy, hosts: number, hostsKey: string): ShapeVerdicts | undefined {
    // Guests come in runs of one shape (placement sorts them by size): the last shape is recognised field by field, without building its key.
    const last = this.last;
    if (last !== undefined && last.policy === policy && last.hostsKey === hostsKey && last.v.stamp.length === hosts && sameShape(last.shape, g)) return last.v;
    const key = `${hostsKey}|${shapeKey(g, policy)}`;
    let v = this.byShape.get(key);
    if (!v || v.stamp.length !== hosts) {
      if (!v && !this.seen.has(key)) {
        if (this.seen.size >= MAX_SEEN) this.seen.clear();
        this.seen.add(key);
        return undefined;
      }
      this.seen.delete(key);
      if (!v && this.byShape.size >= MAX_SHAPES) {
        this.byShape.delete(this.byShape.keys().next().value!);
        // The shape remembered last may be the one just forgotten.
        this.last = undefined;
      }
      v = { stamp: new Float64Array(hosts), ok: new Uint8Array(hosts), soft: new Uint8Array(hosts), empty: new Uint8Array(hosts), score: new Float64Array(hosts), okCount: 0, heap: [], primed: false, logPos: 0 };
      this.byShape.set(key, v);
    }
    // A copy: a caller may change its guest object after asking.
    this.last = { shape: shapeOf(g), policy, hostsKey, v };
    return v;
  }

  /** Forgets everything: host positions moved (a host was added). */
  clear(): void {
    this.byShape.clear();
    this.seen.clear();
    this.last = undefined;
  }
}

/** What `shapeKey` reads of a guest. */
type Shape = Pick<GuestSpec, 'memoryMiB' | 'maxMemoryMiB' | 'vcpus' | 'maxVcpus' | 'mode' | 'antiAffinity'> & { load: Pick<GuestSpec['load'], 'cpu' | 'iops' | 'netMbps'>; disks: readonly Pick<GuestSpec['disks'][number], 'sizeMiB' | 'on'>[] };

function shapeOf(g: GuestSpec): Shape {
  return {
    memoryMiB: g.memoryMiB, maxMemoryMiB: g.maxMemoryMiB, vcpus: g.vcpus, maxVcpus: g.maxVcpus, mode: g.mode, antiAffinity: g.antiAffinity,
    load: { cpu: g.load.cpu, iops: g.load.iops, netMbps: g.load.netMbps }, disks: g.disks.map((d) => ({ sizeMiB: d.sizeMiB, on: d.on })),
  };
}

/**
 * Whether a guest has the shape's `shapeKey` under any policy, field by
 * field. Stricter than the key where that is cheaper (a null and an empty
 * anti-affinity group, which the key counts as one, differ here): a miss
 * only costs building the key.
 */
export function sameShape(a: Shape, b: GuestSpec): boolean {
  if (a.memoryMiB !== b.memoryMiB || a.maxMemoryMiB !== b.maxMemoryMiB || a.vcpus !== b.vcpus || a.maxVcpus !== b.maxVcpus || a.mode !== b.mode) return false;
  if (a.load.cpu !== b.load.cpu || a.load.iops !== b.load.iops || a.load.netMbps !== b.load.netMbps || a.antiAffinity !== b.antiAffinity) return false;
  const da = a.disks;
  const db = b.disks;
  if (da.length !== db.length) return false;
  for (let i = 0; i < da.length; i++) if (da[i].sizeMiB !== db[i].sizeMiB || da[i].on !== db[i].on) return false;
  return true;
}

/** Everything of a guest that admission and weighing read (not its name: two web guests of one size share verdicts). */
export function shapeKey(g: GuestSpec, policy: WeighPolicy): string {
  let disks = '';
  for (const d of g.disks) disks += `${d.sizeMiB}@${d.on};`;
  return `${policy}|${g.memoryMiB}|${g.maxMemoryMiB}|${g.vcpus}|${g.maxVcpus}|${g.mode}|${g.load.cpu}|${g.load.iops}|${g.load.netMbps}|${g.antiAffinity ?? ''}|${disks}`;
}

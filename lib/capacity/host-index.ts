import type { GuestSpec } from '../manifest/types';
import type { HostUsage } from './admit';
import type { Packing } from './placement';
import { guestOverheadMiB } from './usage';
import { bestFitScore as bestFitScoreOf, hvkitScore as hvkitScoreOf, STRANDED_WEIGHT, type WeighPolicy } from './weigh';

/**
 * An index over the simulator's hosts that finds, per arrival, the few hosts
 * `Packing.choose` could pick, so a decision costs about the logarithm of
 * the fleet rather than a pass over every host. It decides nothing: it only
 * leaves out hosts that provably cannot admit the guest (too few vCPUs or
 * too little memory even before the guest's overhead) or provably rank
 * after a host it keeps (a lower bound on their score above the best kept
 * score), and hands the rest to `Packing.chooseAmong`, which filters with
 * `admits`, ranks as `choose` does and confirms the winner with `admit`.
 *
 * It holds only where the simulator puts it: hosts of one shape with no
 * disks, guests of vCPUs and memory only (no disks, load or anti-affinity),
 * whole vCPUs. test/capacity/host-index.test.ts replays seeded traces
 * through it and through `choose` and asserts the same figures.
 *
 * - First-Fit: a segment tree over hosts in name order keeping each
 *   subtree's least vCPUs and memory used; the leftmost host that could
 *   admit is tried first.
 * - Best-Fit and hvkit: hosts in use bucketed by vCPUs used (whole numbers)
 *   and sorted by memory used within a bucket; a branch and bound over
 *   buckets and halves of buckets with a lower bound on the score, plus the
 *   first empty host (every empty host has the same figures, so the first
 *   admitting one is the only one that can win among them).
 */
export class HostIndex {
  private names: string[] = [];
  /** vCPUs used, by position (name order). */
  private v: number[] = [];
  /** Memory used, as `admits` and the scores count it before the guest: reserve, overhead, guests' memory. */
  private m: number[] = [];
  private inUse: Uint8Array = new Uint8Array(0);
  /** Hosts in use by vCPUs used, each bucket sorted by (memory used, position). */
  private buckets: number[][];
  /** Segment tree (1-based, `size` leaves): least vCPUs used, least memory used, count of empty hosts. */
  private size = 1;
  private minV = new Float64Array(2).fill(Infinity);
  private minM = new Float64Array(2).fill(Infinity);
  private empties = new Int32Array(2);
  private capV: number;
  private capM: number;
  private readonly cands: string[] = [];

  constructor(private readonly p: Packing, private readonly policy: WeighPolicy) {
    if (p.hosts.length === 0) throw new Error('host index: a packing without hosts');
    const u = p.usage(p.hosts[0]);
    this.capV = u.capacities.vcpus;
    this.capM = u.capacities.memory;
    this.buckets = Array.from({ length: Math.floor(this.capV) + 1 }, () => []);
    for (const h of p.hosts) this.addHost(h);
  }

  /** Takes in a host the packing just gained; hosts must come in name order. */
  addHost(name: string): void {
    const u = this.p.usage(name);
    if (u.capacities.vcpus !== this.capV || u.capacities.memory !== this.capM || u.host.disks.length) throw new Error(`host index: ${name} is not of the indexed shape`);
    if (this.names.length && this.names[this.names.length - 1] >= name) throw new Error(`host index: ${name} comes before a host already indexed`);
    const k = this.names.length;
    this.names.push(name);
    this.v.push(0);
    this.m.push(0);
    if (k >= this.size) this.grow();
    if (this.inUse.length <= k) {
      const a = new Uint8Array(Math.max(16, 2 * this.inUse.length));
      a.set(this.inUse);
      this.inUse = a;
    }
    this.inUse[k] = 0;
    this.set(k, u);
  }

  /** Reads again the usage of a host the packing just changed. */
  update(name: string, k = this.positionOf(name)): void {
    if (this.inUse[k]) this.unbucket(k);
    this.set(k, this.p.usage(name));
  }

  /**
   * The placement `choose(ask, { weigh: policy })` makes for the guest, or
   * undefined when no host admits it.
   */
  choose(g: GuestSpec): { host: string; guest: GuestSpec; usage: HostUsage } | undefined {
    const cands = this.cands;
    cands.length = 0;
    const gv = g.vcpus;
    const gm = g.memoryMiB;
    if (g.disks.length || g.load.cpu || g.load.iops || g.load.netMbps || g.antiAffinity) throw new Error(`host index: ${g.name} asks for more than vCPUs and memory`);
    if (this.policy === 'first-fit') {
      const k = this.leftmost(1, 0, this.size, g, false);
      if (k >= 0) cands.push(this.names[k]);
      return this.p.chooseAmong(g, cands, this.policy);
    }
    const e = this.leftmost(1, 0, this.size, g, true);
    // hvkit ranks every host in use before any empty one (kept whatever its score); Best-Fit weighs the empty host with the rest.
    this.best = Infinity;
    if (e >= 0) {
      const s = this.policy === 'best-fit' ? this.score(e, g) : -Infinity;
      if (this.policy === 'best-fit') this.best = s;
      this.candScore[0] = s;
      cands.push(this.names[e]);
    }
    const ovh = guestOverheadMiB(g, this.p.spec(this.names[0]).capacity);
    const top = Math.floor(this.capV - gv + TOL);
    for (let b = Math.min(top, this.buckets.length - 1); b >= 0; b--) {
      const list = this.buckets[b];
      // Hosts whose memory could take the guest: a prefix of the bucket.
      const n = prefixAtMost(list, this.m, this.capM - gm + TOL);
      if (n > 0) this.search(list, 0, n, b, g, gv, gm, ovh);
    }
    // Hosts scored above the best cannot win: chooseAmong weighs the rest exactly, ties included.
    let w = 0;
    for (let i = 0; i < cands.length; i++) if (this.candScore[i] <= this.best + EPS) {
      this.candScore[w] = this.candScore[i];
      cands[w++] = cands[i];
    }
    cands.length = w;
    return this.p.chooseAmong(g, cands, this.policy);
  }

  private best = Infinity;
  private candScore: number[] = [];

  /** Branch and bound over list[lo, hi) of bucket b (vCPUs used b), memory used ascending. */
  private search(list: number[], lo: number, hi: number, b: number, g: GuestSpec, gv: number, gm: number, ovh: number): void {
    if (this.bound(b, this.m[list[lo]], this.m[list[hi - 1]], gv, gm, ovh) > this.best + EPS) return;
    if (hi - lo <= LEAF) {
      for (let i = lo; i < hi; i++) {
        const k = list[i];
        if (!this.p.admits(this.names[k], g)) continue;
        const s = this.score(k, g);
        if (s > this.best + EPS) continue;
        if (s < this.best) this.best = s;
        this.candScore[this.cands.length] = s;
        this.cands.push(this.names[k]);
      }
      return;
    }
    const mid = (lo + hi) >> 1;
    // The fuller half first: fuller hosts score lower under both policies more often than not, which tightens the bound sooner.
    this.search(list, mid, hi, b, g, gv, gm, ovh);
    this.search(list, lo, mid, b, g, gv, gm, ovh);
  }

  /** The engine's own figure for the host (placement.ts `rankOf`): the score `chooseAmong` ranks by. */
  private score(k: number, g: GuestSpec): number {
    const u = this.p.usage(this.names[k]);
    return this.policy === 'hvkit' ? hvkitScoreOf(u, g) : bestFitScoreOf(u, g);
  }

  /**
   * A lower bound on the score of any host using b vCPUs and memory in
   * [mLo, mHi] (before the guest). After the guest its memory used is at
   * least mLo + gm and at most mHi + gm + ovh; each term of the score is
   * bounded on its own.
   */
  private bound(b: number, mLo: number, mHi: number, gv: number, gm: number, ovh: number): number {
    const capM = this.capM;
    const capV = this.capV;
    const fmLo = 1 - Math.min(1, (mHi + gm + ovh) / capM);
    const fv = 1 - Math.min(1, (b + gv) / capV);
    if (this.policy === 'best-fit') return fmLo + fv;
    const fmHi = 1 - Math.min(1, (mLo + gm) / capM);
    const fv0 = 1 - Math.min(1, b / capV);
    const f0Lo = 1 - Math.min(1, mHi / capM);
    const f0Hi = 1 - Math.min(1, mLo / capM);
    const dist = fv < fmLo ? fmLo - fv : fv > fmHi ? fv - fmHi : 0;
    const was = Math.max(Math.abs(f0Lo - fv0), Math.abs(f0Hi - fv0));
    return (fmLo + fv) / 2 + (STRANDED_WEIGHT * (dist - was)) / 2;
  }

  /** The leftmost host that admits the guest, of the empty ones only when `empty`; -1 when none. */
  private leftmost(node: number, lo: number, hi: number, g: GuestSpec, empty: boolean): number {
    if (empty ? this.empties[node] === 0 : this.minV[node] + g.vcpus > this.capV + TOL || this.minM[node] + g.memoryMiB > this.capM + TOL) return -1;
    if (hi - lo === 1) return lo < this.names.length && this.p.admits(this.names[lo], g) ? lo : -1;
    const mid = (lo + hi) >> 1;
    const l = this.leftmost(2 * node, lo, mid, g, empty);
    return l >= 0 ? l : this.leftmost(2 * node + 1, mid, hi, g, empty);
  }

  private set(k: number, u: HostUsage): void {
    const h = u.host;
    const s = u.sums;
    this.v[k] = s.vcpus;
    this.m[k] = h.reserve.memoryMiB - h.reserve.overheadMiB + Math.max(h.reserve.overheadMiB, s.overhead) + s.memory;
    this.inUse[k] = s.guests > 0 ? 1 : 0;
    if (this.inUse[k]) {
      if (!Number.isInteger(s.vcpus)) throw new Error(`host index: ${h.name} uses ${s.vcpus} vCPUs, not a whole number`);
      const list = this.buckets[s.vcpus];
      let i = list.length;
      list.push(k);
      while (i > 0 && this.before(k, list[i - 1])) {
        list[i] = list[i - 1];
        i--;
      }
      list[i] = k;
    }
    let node = k + this.size;
    this.minV[node] = this.v[k];
    this.minM[node] = this.m[k];
    this.empties[node] = this.inUse[k] ? 0 : 1;
    for (node >>= 1; node >= 1; node >>= 1) this.pull(node);
  }

  private unbucket(k: number): void {
    const list = this.buckets[this.v[k]];
    const i = list.indexOf(k);
    list.splice(i, 1);
  }

  private before(a: number, b: number): boolean {
    return this.m[a] < this.m[b] || (this.m[a] === this.m[b] && a < b);
  }

  private pull(node: number): void {
    const l = 2 * node;
    this.minV[node] = Math.min(this.minV[l], this.minV[l + 1]);
    this.minM[node] = Math.min(this.minM[l], this.minM[l + 1]);
    this.empties[node] = this.empties[l] + this.empties[l + 1];
  }

  private grow(): void {
    const size = this.size * 2;
    const minV = new Float64Array(2 * size).fill(Infinity);
    const minM = new Float64Array(2 * size).fill(Infinity);
    const empties = new Int32Array(2 * size);
    for (let k = 0; k < this.size; k++) {
      minV[size + k] = this.minV[this.size + k];
      minM[size + k] = this.minM[this.size + k];
      empties[size + k] = this.empties[this.size + k];
    }
    Object.assign(this, { size, minV, minM, empties });
    for (let node = size - 1; node >= 1; node--) this.pull(node);
  }

  private positionOf(name: string): number {
    // Simulated hosts are named in the order they are bought: a binary search by name.
    let lo = 0;
    let hi = this.names.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.names[mid] < name) lo = mid + 1;
      else hi = mid;
    }
    if (this.names[lo] !== name) throw new Error(`host index: no host '${name}'`);
    return lo;
  }
}

/** Slack on capacity comparisons, MiB or vCPUs: far above rounding, far below a unit of demand. */
const TOL = 1e-6;
/** Slack on scores (which lie within [-1, 2]): far above the rounding of a few operations. */
const EPS = 1e-9;
/** Ranges this short are weighed host by host. */
const LEAF = 4;

/** How many of the list's hosts (memory used ascending) use at most `limit`. */
function prefixAtMost(list: number[], m: number[], limit: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (m[list[mid]] <= limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

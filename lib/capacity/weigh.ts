import type { GuestSpec } from '../manifest/types';
import type { HostUsage } from './admit';
import { guestOverheadMiB } from './usage';
import { F_CAP_CPU, F_CAP_IOPS, F_CAP_MEM, F_CAP_NET, F_CAP_VCPUS, F_CPU, F_DISK_CAP, F_DISK_SUM, F_IOPS, F_MEM, F_MEM_BASE, F_NET, F_OVH, F_RES_OVH, F_STRANDED, F_VCPUS } from './fits';

/**
 * The weigh step of placement, allocation-free: the figures `choose` ranks
 * the hosts that passed the filters by. docs/placement.md explains the
 * order and why it differs from Ganeti's, Nova's and Kubernetes'.
 */

/** How `choose` ranks the hosts that admit a guest: hvkit's scoring, or a textbook rule the simulator compares it with. */
export type WeighPolicy = 'hvkit' | 'first-fit' | 'best-fit';

/** Utilization 0..1 of memory, vCPUs, disk, CPU load, IOPS, network (a resource the host lacks counts as full). */
export const MEMORY = 0;
export const VCPUS = 1;
export const DISK = 2;
export const CPU = 3;
export const IOPS = 4;
export const NETWORK = 5;

const frac = (used: number, cap: number) => (cap > 0 ? used / cap : used > 0 ? Infinity : 1);

/**
 * A host's utilization of the six weighed resources into `out`, with the
 * guest added when `guest` is given (its disks counted on the host as a
 * whole, as placement spreads them over the host's disks).
 */
export function fillUtilization(u: HostUsage, guest: GuestSpec | null, out: Float64Array): void {
  const { host: h, sums: s, capacities: c } = u;
  let memory = s.memory;
  let overhead = s.overhead;
  let vcpus = s.vcpus;
  let cpu = s.cpu;
  let iops = s.iops;
  let net = s.net;
  let disk = 0;
  for (const d in s.disks) disk += s.disks[d];
  if (guest) {
    memory += guest.memoryMiB;
    overhead += guestOverheadMiB(guest, h.capacity);
    vcpus += guest.vcpus;
    cpu += guest.load.cpu;
    iops += guest.load.iops;
    net += guest.load.netMbps;
    for (const d of guest.disks) disk += d.sizeMiB;
  }
  let diskCap = 0;
  for (const d in c.disks) diskCap += c.disks[d];
  out[MEMORY] = frac(h.reserve.memoryMiB - h.reserve.overheadMiB + Math.max(h.reserve.overheadMiB, overhead) + memory, c.memory);
  out[VCPUS] = frac(vcpus, c.vcpus);
  out[DISK] = diskCap > 0 ? disk / diskCap : 0;
  out[CPU] = frac(cpu, c.cpu);
  out[IOPS] = frac(iops, c.iops);
  out[NETWORK] = frac(net, c.net);
}

/** Whether the guest asks for resource `r`: memory and vCPUs always, disk and load only where it has some. */
export function demands(g: GuestSpec, r: number): boolean {
  switch (r) {
    case MEMORY:
    case VCPUS: return true;
    case DISK: return g.disks.length > 0;
    case CPU: return g.load.cpu > 0;
    case IOPS: return g.load.iops > 0;
    default: return g.load.netMbps > 0;
  }
}

const before = new Float64Array(6);
const after = new Float64Array(6);

/**
 * hvkit's figure for a host that admits the guest without crossing a soft
 * limit, lower is better (soft limits and hosts in use are ranked before it
 * is consulted), three terms:
 * - Best-Fit on the hard resources: the mean free fraction of memory, vCPUs
 *   (and disk when the guest has some) the host keeps after the guest;
 * - the change the guest brings to the capacity stranded between memory and
 *   vCPUs, the hard resources a guest cannot do without (a guest that fills
 *   vCPUs idling beside full memory lowers it there); disk space and load are
 *   not stranded capacity: an empty disk or an idle network on a busy host is
 *   no reason to put more there;
 * - {@link LOAD_WEIGHT} × how busy the host would be after the guest: the
 *   highest utilization of the soft resources (CPU load, IOPS, network, with
 *   the chapter's virtualization losses) among those the guest demands, so a
 *   CPU/IO-heavy guest prefers the host whose CPU and I/O idle.
 * Memory and vCPUs only guests (the simulator's) have no load term and are
 * ranked as before.
 */
export function hvkitScore(u: HostUsage, g: GuestSpec): number {
  const { host: h, sums: s, capacities: c } = u;
  if (g.disks.length === 0 && g.load.cpu === 0 && g.load.iops === 0 && g.load.netMbps === 0) {
    // Memory and vCPUs only, written out: the hot path of placement and the simulator.
    const base = h.reserve.memoryMiB - h.reserve.overheadMiB;
    const fm0 = 1 - Math.min(1, frac(base + Math.max(h.reserve.overheadMiB, s.overhead) + s.memory, c.memory));
    const fv0 = 1 - Math.min(1, frac(s.vcpus, c.vcpus));
    const fm = 1 - Math.min(1, frac(base + Math.max(h.reserve.overheadMiB, s.overhead + guestOverheadMiB(g, h.capacity)) + s.memory + g.memoryMiB, c.memory));
    const fv = 1 - Math.min(1, frac(s.vcpus + g.vcpus, c.vcpus));
    return (fm + fv) / 2 + (STRANDED_WEIGHT * (Math.abs(fm - fv) - Math.abs(fm0 - fv0))) / 2;
  }
  fillUtilization(u, null, before);
  fillUtilization(u, g, after);
  return hardFreeOfUtil(after, g) + (STRANDED_WEIGHT * (hardStranded(after) - hardStranded(before))) / 2 + LOAD_WEIGHT * softBusyOfUtil(after, g);
}

/** Capacity stranded between memory and vCPUs: |free memory − free vCPUs| (the hot path's term). */
export function hardStranded(util: Float64Array): number {
  return Math.abs(Math.min(1, util[MEMORY]) - Math.min(1, util[VCPUS]));
}

/** The highest utilization, after the guest, of the soft resources (CPU, IOPS, network) it demands; 0 when it demands none. */
export function softBusyOfUtil(util: Float64Array, g: GuestSpec): number {
  let busy = 0;
  for (const r of [CPU, IOPS, NETWORK]) if (demands(g, r)) busy = Math.max(busy, Math.min(1, util[r]));
  return busy;
}

/**
 * How much the host's load after the guest weighs against a unit of free
 * hard capacity: 1 makes a host whose CPU or I/O would run at 80% lose to
 * one at 10% unless it is far fuller in memory and vCPUs, as the chapter
 * wants (a web guest on the DB host whose CPU and I/O idle).
 */
export const LOAD_WEIGHT = 1;

/**
 * `hvkitScore(u, g)` from the host's row of figures (fits.ts
 * `fillHostFigures`), summed in the same order so the two agree to the last
 * bit; `overhead` is `guestOverheadMiB(g, host.capacity)`. Infinity when the figure cannot
 * beat `below` (the best so far; equalling it is enough when `tieWins`):
 * the scan then skips the rest of the sum. What the placement scan weighs every admitting host with.
 */
export function hvkitScoreFigures(f: Float64Array, at: number, g: GuestSpec, overhead: number, below: number, tieWins: boolean): number {
  const base = f[at + F_MEM_BASE];
  const resOvh = f[at + F_RES_OVH];
  const capMem = f[at + F_CAP_MEM];
  const capVcpus = f[at + F_CAP_VCPUS];
  if (g.disks.length === 0 && g.load.cpu === 0 && g.load.iops === 0 && g.load.netMbps === 0) {
    const fm0 = 1 - Math.min(1, frac(base + Math.max(resOvh, f[at + F_OVH]) + f[at + F_MEM], capMem));
    const fv0 = 1 - Math.min(1, frac(f[at + F_VCPUS], capVcpus));
    const fm = 1 - Math.min(1, frac(base + Math.max(resOvh, f[at + F_OVH] + overhead) + f[at + F_MEM] + g.memoryMiB, capMem));
    const fv = 1 - Math.min(1, frac(f[at + F_VCPUS] + g.vcpus, capVcpus));
    return (fm + fv) / 2 + (STRANDED_WEIGHT * (Math.abs(fm - fv) - Math.abs(fm0 - fv0))) / 2;
  }
  const diskCap = f[at + F_DISK_CAP];
  let disk = f[at + F_DISK_SUM];
  for (const d of g.disks) disk += d.sizeMiB;
  after[MEMORY] = frac(base + Math.max(resOvh, f[at + F_OVH] + overhead) + (f[at + F_MEM] + g.memoryMiB), capMem);
  after[VCPUS] = frac(f[at + F_VCPUS] + g.vcpus, capVcpus);
  after[DISK] = diskCap > 0 ? disk / diskCap : 0;
  const hard = hardFreeOfUtil(after, g);
  // Stranded capacity and load are never below 0, so the figure is at least this (monotonic rounding keeps the bound exact).
  const stranded0 = f[at + F_STRANDED];
  const least = hard + (STRANDED_WEIGHT * (0 - stranded0)) / 2;
  if (least > below || (least === below && !tieWins)) return Infinity;
  after[CPU] = frac(f[at + F_CPU] + g.load.cpu, f[at + F_CAP_CPU]);
  after[IOPS] = frac(f[at + F_IOPS] + g.load.iops, f[at + F_CAP_IOPS]);
  after[NETWORK] = frac(f[at + F_NET] + g.load.netMbps, f[at + F_CAP_NET]);
  return hard + (STRANDED_WEIGHT * (hardStranded(after) - stranded0)) / 2 + LOAD_WEIGHT * softBusyOfUtil(after, g);
}

/**
 * Mean free fraction of the hard resources the guest takes (memory, vCPUs,
 * disk when it has some): what decides how many servers a fleet needs. Load
 * (CPU, IOPS, network) is weighed by how busy it leaves the host instead, so
 * a host whose CPU idles is not ranked below one whose CPU is busy for being
 * emptier there.
 */
function hardFreeOfUtil(util: Float64Array, g: GuestSpec): number {
  const disk = g.disks.length > 0;
  return (2 - Math.min(1, util[MEMORY]) - Math.min(1, util[VCPUS]) + (disk ? 1 - Math.min(1, util[DISK]) : 0)) / (disk ? 3 : 2);
}

/**
 * How much a unit of stranded capacity weighs against a unit of free
 * capacity. bench/run.ts --only placement compares weights on generated
 * traces: 1 was at least as good as Best-Fit on every one (0 is Best-Fit).
 */
export const STRANDED_WEIGHT = 1;

/** The Best-Fit figure of a host for the guest: free memory and vCPUs after it, lower is fuller. */
export function bestFitScore(u: HostUsage, g: GuestSpec): number {
  const { host: h, sums: s, capacities: c } = u;
  const mem = h.reserve.memoryMiB - h.reserve.overheadMiB + Math.max(h.reserve.overheadMiB, s.overhead + guestOverheadMiB(g, h.capacity)) + s.memory + g.memoryMiB;
  return 2 - Math.min(1, frac(mem, c.memory)) - Math.min(1, frac(s.vcpus + g.vcpus, c.vcpus));
}


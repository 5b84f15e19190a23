import type { CapacityConfig, GuestSpec, HostSpec } from '../manifest/types';

/** Running sums of what guests take on one host; usage is computed from them in O(1). */
export interface Sums {
  memory: number;
  overhead: number;
  vcpus: number;
  disks: Record<string, number>;
  cpu: number;
  iops: number;
  net: number;
  guests: number;
}

export function emptySums(): Sums {
  return { memory: 0, overhead: 0, vcpus: 0, disks: {}, cpu: 0, iops: 0, net: 0, guests: 0 };
}

/** Hypervisor memory overhead of a guest (Xen's shadow/p2m accounting), in whole MiB. */
export function guestOverheadMiB(g: GuestSpec, c: CapacityConfig): number {
  return Math.ceil(g.maxVcpus * c.overheadPerVcpuMiB + g.maxMemoryMiB / c.overheadMemoryDivisor + (g.mode === 'hvm' ? c.overheadHvmMiB : 0));
}

/** Adds (sign 1) or removes (sign -1) a guest's share to a host's sums. */
export function addGuest(s: Sums, g: GuestSpec, c: CapacityConfig, sign: 1 | -1 = 1): void {
  s.memory += sign * g.memoryMiB;
  s.overhead += sign * guestOverheadMiB(g, c);
  s.vcpus += sign * g.vcpus;
  for (const d of g.disks) s.disks[d.on] = (s.disks[d.on] ?? 0) + sign * d.sizeMiB;
  // Loads are decimals: without rounding, adding and removing 0.8 leaves 0.8000000000000003, and a
  // long-lived packing (simulator, rebalancing) would break ties unlike a fresh one of the same guests.
  s.cpu = fix9(s.cpu + sign * g.load.cpu);
  s.iops = fix9(s.iops + sign * g.load.iops);
  s.net = fix9(s.net + sign * g.load.netMbps);
  s.guests += sign;
}

const fix9 = (x: number) => Math.round(x * 1e9) / 1e9;

export function cloneSums(s: Sums): Sums {
  // Written out rather than spread: every admission clones the host's sums.
  return { memory: s.memory, overhead: s.overhead, vcpus: s.vcpus, disks: { ...s.disks }, cpu: s.cpu, iops: s.iops, net: s.net, guests: s.guests };
}

/**
 * Adds a change's sums (a delta: negative where guests leave) to running sums;
 * with `growthOnly`, only what the change takes, as if its frees had not run yet.
 */
export function addSums(into: Sums, d: Sums, growthOnly = false): void {
  const f = growthOnly ? positive : same;
  into.memory += f(d.memory);
  into.overhead += f(d.overhead);
  into.vcpus += f(d.vcpus);
  for (const k in d.disks) into.disks[k] = (into.disks[k] ?? 0) + f(d.disks[k]);
  into.cpu += f(d.cpu);
  into.iops += f(d.iops);
  into.net += f(d.net);
  into.guests += f(d.guests);
}

const positive = (x: number) => Math.max(0, x);
const same = (x: number) => x;

/** Whether a delta takes more of a hard resource (memory, overhead, vCPUs or a disk) on its host. */
export function takesMore(d: Sums): boolean {
  if (d.memory > 0 || d.overhead > 0 || d.vcpus > 0) return true;
  for (const k in d.disks) if (d.disks[k] > 0) return true;
  return false;
}

export function sumsOf(guests: readonly GuestSpec[], c: CapacityConfig): Sums {
  const s = emptySums();
  for (const g of guests) addGuest(s, g, c);
  return s;
}

/**
 * Committed memory: the reserve, the per-guest overhead beyond what the
 * reserve already holds for it, and the guests' memory.
 */
export function memoryUsed(h: HostSpec, s: Pick<Sums, 'memory' | 'overhead'>): number {
  const base = h.reserve.memoryMiB - h.reserve.overheadMiB;
  return base + Math.max(h.reserve.overheadMiB, s.overhead) + s.memory;
}

export interface Capacities {
  memory: number;
  vcpus: number;
  disks: Record<string, number>;
  cpu: number;
  iops: number;
  net: number;
}

/** What a host offers: hard limits as installed, soft limits after virtualization losses and headroom. */
export function capacitiesOf(h: HostSpec, installedMiB?: number): Capacities {
  const c = h.capacity;
  const disks: Record<string, number> = {};
  for (const d of h.disks) disks[d.name] = d.sizeMiB;
  return {
    memory: installedMiB ?? h.memory.totalMiB,
    vcpus: Math.max(0, Math.floor(h.cpu.threads * c.cpuOvercommit) - h.reserve.vcpus),
    disks,
    cpu: round2(h.cpu.cores * (1 - c.cpuVirtLoss) * c.softHeadroom),
    iops: Math.floor(h.disks.reduce((a, d) => a + d.iops, 0) * (1 - c.ioVirtLoss) * c.softHeadroom),
    net: Math.floor(h.nics.reduce((a, n) => a + n.gbps * 1000, 0) * c.netVirtFactor * c.softHeadroom),
  };
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * The memory a host can be counted on for until its memory step (if any) has
 * run: what it last reported, but never more than code gives it.
 * @param reportedMiB 0 or undefined when the host never reported
 */
export function memoryInForce(codedMiB: number, reportedMiB: number | undefined): number {
  return reportedMiB ? Math.min(codedMiB, reportedMiB) : codedMiB;
}

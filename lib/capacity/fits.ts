import type { GuestSpec } from '../manifest/types';
import type { HostUsage } from './admit';
import { guestOverheadMiB, round2 } from './usage';
import { fillUtilization, hardStranded } from './weigh';

/**
 * The fast pre-check placement runs on every candidate host: whether
 * `admit(u, onHost(guest, u)).ok` holds, from the very inequalities `admit`
 * checks (memory with the guest's overhead, vCPUs, every disk at 0.01
 * precision, anti-affinity, and soft limits where the host promotes them),
 * summed in the same order so floating point agrees to the last bit. It
 * builds nothing: placing 10,000 guests onto 1,000 hosts runs it ten million
 * times. The winner is still confirmed with `admit`;
 * test/capacity/fits.test.ts proves the two agree on random inputs.
 */
export function admits(u: HostUsage, guest: GuestSpec): boolean {
  const { host: h, sums: s, capacities: c } = u;
  const cfg = h.capacity;
  // memoryUsed() of the sums after the guest, written out so nothing is allocated.
  const overhead = s.overhead + guestOverheadMiB(guest, cfg);
  const mem = h.reserve.memoryMiB - h.reserve.overheadMiB + Math.max(h.reserve.overheadMiB, overhead) + (s.memory + guest.memoryMiB);
  if (mem > c.memory) return false;
  if (s.vcpus + guest.vcpus > c.vcpus) return false;
  if (!disksFit(u, guest)) return false;
  if (cfg.softLimitsAreErrors) {
    if (round2(s.cpu + guest.load.cpu) > c.cpu) return false;
    if (round2(s.iops + guest.load.iops) > c.iops) return false;
    if (round2(s.net + guest.load.netMbps) > c.net) return false;
  }
  if (guest.antiAffinity !== null && guest.antiAffinity !== undefined && guest.antiAffinity !== '' && u.groups.has(guest.antiAffinity)) return false;
  if (u.groups.size) for (const names of u.groups.values()) if (names.length > 1) return false;
  return true;
}

/**
 * Whether a host's own soft limits (CPU load, IOPS, network) would be crossed
 * with the guest on it: placement's first weigh ("never cross a soft limit
 * where another host would not").
 */
export function crossesSoft(u: HostUsage, guest: GuestSpec): boolean {
  const { sums: s, capacities: c } = u;
  return round2(s.cpu + guest.load.cpu) > c.cpu || round2(s.iops + guest.load.iops) > c.iops || round2(s.net + guest.load.netMbps) > c.net;
}

/** Host disks `onHost` gives the guest's disks without one; reused between calls so a check allocates nothing. */
const chosen: string[] = [];

/** Every disk of the host after the guest is within its size (a disk the host lacks counts as size 0). */
function disksFit(u: HostUsage, guest: GuestSpec): boolean {
  const { sums: s, capacities: c } = u;
  const disks = guest.disks;
  if (disks.length) resolveDisks(u, guest);
  for (let i = 0; i < disks.length; i++) {
    const name = chosen[i];
    let seen = false;
    for (let j = 0; j < i && !seen; j++) seen = chosen[j] === name;
    if (seen) continue;
    // Summed as addGuest sums: the host's figure, then the guest's disks in order.
    let used = s.disks[name] ?? 0;
    for (let j = i; j < disks.length; j++) if (chosen[j] === name) used += disks[j].sizeMiB;
    if (used === 0) continue;
    const cap = c.disks[name];
    if (cap === undefined ? round2(used) > 0 : round2(used) > cap) return false;
  }
  // A host already past a disk's size admits nothing more.
  for (const name in s.disks) {
    let touched = false;
    for (let i = 0; i < disks.length && !touched; i++) touched = chosen[i] === name;
    if (touched) continue;
    const used = round2(s.disks[name]);
    const cap = c.disks[name];
    if (s.disks[name] !== 0 && (cap === undefined ? used > 0 : used > cap)) return false;
  }
  return true;
}

/** Indices of the guest's disks without `on`, largest first; reused between calls. */
const order: number[] = [];

/**
 * The host disk of each of the guest's disks, into `chosen` (in the guest's
 * disk order): a disk with `on` keeps it; those without go largest first,
 * each to the host disk with the most room left (ties by name), counting the
 * guest's own disks already given one. Largest first, because smaller disks
 * taken first can split the room a large one needs (sda 160 GiB, sdb 110 GiB
 * take 150 + 100 GiB only as sda + sdb). `onHost` and `admits` both use it, so
 * they cannot disagree.
 */
function resolveDisks(u: HostUsage, guest: GuestSpec): void {
  const disks = guest.disks;
  chosen.length = disks.length;
  order.length = 0;
  for (let i = 0; i < disks.length; i++) {
    chosen[i] = disks[i].on;
    if (disks[i].on !== '') continue;
    // Insertion by size, descending; equal sizes keep the guest's order.
    let k = order.length;
    order.push(i);
    while (k > 0 && disks[order[k - 1]].sizeMiB < disks[i].sizeMiB) {
      order[k] = order[k - 1];
      k--;
    }
    order[k] = i;
  }
  const hostDisks = u.host.disks;
  for (const i of order) {
    let best = '';
    let room = -Infinity;
    for (const d of hostDisks) {
      let f = (u.capacities.disks[d.name] ?? 0) - (u.sums.disks[d.name] ?? 0);
      // Room already given to this guest's disks (named ones, and unplaced ones chosen before).
      for (let j = 0; j < disks.length; j++) if (chosen[j] === d.name) f -= disks[j].sizeMiB;
      if (f > room || (f === room && d.name < best)) {
        best = d.name;
        room = f;
      }
    }
    chosen[i] = best;
  }
}

/**
 * A host's usage as the flat numbers the placement scan reads, one row of
 * `HOST_FIGURES` per host in a Float64Array, worked out once each time the
 * host's usage changes: the scan then tests and weighs 1,000 hosts per guest
 * without walking objects or allocating. Every figure is summed exactly as
 * `admits` and `hvkitScore` sum it, so results agree to the last bit.
 */
export const HOST_FIGURES = 22;
export const F_SIMPLE = 0;
export const F_MEM_BASE = 1;
export const F_RES_OVH = 2;
export const F_OVH = 3;
export const F_MEM = 4;
export const F_CAP_MEM = 5;
export const F_VCPUS = 6;
export const F_CAP_VCPUS = 7;
export const F_CPU = 8;
export const F_CAP_CPU = 9;
export const F_IOPS = 10;
export const F_CAP_IOPS = 11;
export const F_NET = 12;
export const F_CAP_NET = 13;
export const F_DISK_SUM = 14;
export const F_DISK_CAP = 15;
export const F_DISK0 = 16;
export const F_CAP_DISK0 = 17;
export const F_IN_USE = 18;
export const F_SOFT_ERRORS = 19;
/** Which of the packing's capacity configs the host has (an index the scan works the guest's overhead out once per). */
export const F_CFG = 20;
/** Capacity stranded between memory and vCPUs before the guest (weigh.ts `hardStranded`). */
export const F_STRANDED = 21;

/**
 * Fills the host's row. `F_SIMPLE` is 1 when the quick test applies: one
 * host disk with a known size, no disk used beyond it, no anti-affinity
 * group; any other host is tested with `admits` itself.
 */
export function fillHostFigures(u: HostUsage, out: Float64Array, at: number): void {
  const { host: h, sums: s, capacities: c } = u;
  let diskSum = 0;
  let onlyDisk0 = true;
  const d0 = h.disks.length === 1 ? h.disks[0].name : undefined;
  for (const d in s.disks) {
    diskSum += s.disks[d];
    if (d !== d0) onlyDisk0 = false;
  }
  let diskCap = 0;
  for (const d in c.disks) diskCap += c.disks[d];
  const cap0 = d0 === undefined ? undefined : c.disks[d0];
  out[at + F_SIMPLE] = d0 !== undefined && cap0 !== undefined && onlyDisk0 && u.groups.size === 0 ? 1 : 0;
  out[at + F_MEM_BASE] = h.reserve.memoryMiB - h.reserve.overheadMiB;
  out[at + F_RES_OVH] = h.reserve.overheadMiB;
  out[at + F_OVH] = s.overhead;
  out[at + F_MEM] = s.memory;
  out[at + F_CAP_MEM] = c.memory;
  out[at + F_VCPUS] = s.vcpus;
  out[at + F_CAP_VCPUS] = c.vcpus;
  out[at + F_CPU] = s.cpu;
  out[at + F_CAP_CPU] = c.cpu;
  out[at + F_IOPS] = s.iops;
  out[at + F_CAP_IOPS] = c.iops;
  out[at + F_NET] = s.net;
  out[at + F_CAP_NET] = c.net;
  out[at + F_DISK_SUM] = diskSum;
  out[at + F_DISK_CAP] = diskCap;
  out[at + F_DISK0] = d0 === undefined ? 0 : (s.disks[d0] ?? 0);
  out[at + F_CAP_DISK0] = cap0 ?? 0;
  out[at + F_IN_USE] = s.guests > 0 ? 1 : 0;
  out[at + F_SOFT_ERRORS] = h.capacity.softLimitsAreErrors ? 1 : 0;
  fillUtilization(u, null, util);
  out[at + F_STRANDED] = hardStranded(util);
}

const util = new Float64Array(6);

/**
 * `admits(u, guest)` from the host's row, for a host whose row is
 * `F_SIMPLE` and a guest whose disks all leave `on` empty (`onHost` then
 * puts them all on the host's one disk). `overhead` is
 * `guestOverheadMiB(guest, host.capacity)`.
 */
export function admitsFigures(f: Float64Array, at: number, guest: GuestSpec, overhead: number): boolean {
  const mem = f[at + F_MEM_BASE] + Math.max(f[at + F_RES_OVH], f[at + F_OVH] + overhead) + (f[at + F_MEM] + guest.memoryMiB);
  if (mem > f[at + F_CAP_MEM]) return false;
  if (f[at + F_VCPUS] + guest.vcpus > f[at + F_CAP_VCPUS]) return false;
  const disks = guest.disks;
  if (disks.length) {
    let used = f[at + F_DISK0];
    for (let i = 0; i < disks.length; i++) used += disks[i].sizeMiB;
    if (used !== 0 && round2(used) > f[at + F_CAP_DISK0]) return false;
  } else {
    const used = f[at + F_DISK0];
    if (used !== 0 && round2(used) > f[at + F_CAP_DISK0]) return false;
  }
  if (f[at + F_SOFT_ERRORS] === 1) {
    if (round2(f[at + F_CPU] + guest.load.cpu) > f[at + F_CAP_CPU]) return false;
    if (round2(f[at + F_IOPS] + guest.load.iops) > f[at + F_CAP_IOPS]) return false;
    if (round2(f[at + F_NET] + guest.load.netMbps) > f[at + F_CAP_NET]) return false;
  }
  return true;
}

/** `crossesSoft(u, guest)` from the host's row. */
export function crossesSoftFigures(f: Float64Array, at: number, guest: GuestSpec): boolean {
  return round2(f[at + F_CPU] + guest.load.cpu) > f[at + F_CAP_CPU] || round2(f[at + F_IOPS] + guest.load.iops) > f[at + F_CAP_IOPS] || round2(f[at + F_NET] + guest.load.netMbps) > f[at + F_CAP_NET];
}

/** The host disk each of the guest's disks goes to on the host (in the guest's disk order), as `admits` counts them. */
export function diskChoice(u: HostUsage, guest: GuestSpec): string[] {
  resolveDisks(u, guest);
  return chosen.slice(0, guest.disks.length);
}

/** The guest with every disk that has no `on` given a host disk: largest first, each to the disk with the most room left (then by name); see `diskChoice`. */
export function onHost(guest: GuestSpec, u: HostUsage): GuestSpec {
  const needsDisk = guest.disks.some((d) => d.on === '');
  if (!needsDisk && guest.host === u.host.name) return guest;
  if (!needsDisk) return { ...guest, host: u.host.name };
  const on = diskChoice(u, guest);
  return { ...guest, host: u.host.name, disks: guest.disks.map((d, i) => (d.on !== '' ? d : { ...d, on: on[i] })) };
}

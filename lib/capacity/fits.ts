import type { GuestSpec } from '../manifest/types';
import type { HostUsage } from './admit';
import { guestOverheadMiB, round2 } from './usage';

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

/** `onHost`'s choice for each disk, into `chosen`: a disk with `on` keeps it, one without takes the disk with the most room left. */
function resolveDisks(u: HostUsage, guest: GuestSpec): void {
  const disks = guest.disks;
  chosen.length = disks.length;
  const hostDisks = u.host.disks;
  for (let i = 0; i < disks.length; i++) {
    if (disks[i].on !== '') {
      chosen[i] = disks[i].on;
      continue;
    }
    let best = '';
    let room = -Infinity;
    for (const d of hostDisks) {
      let f = (u.capacities.disks[d.name] ?? 0) - (u.sums.disks[d.name] ?? 0);
      // Room already given to this guest's earlier unplaced disks (as onHost's running map).
      for (let j = 0; j < i; j++) if (disks[j].on === '' && chosen[j] === d.name) f -= disks[j].sizeMiB;
      if (f > room || (f === room && d.name < best)) {
        best = d.name;
        room = f;
      }
    }
    chosen[i] = best;
  }
}

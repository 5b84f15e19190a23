import { assertNever } from '../errors';
import type { GuestSpec } from '../manifest/types';
import { blocks, type Breach, type HostUsage } from './admit';
import type { PlacementWhy, Shortfall, Utilization, WeighedResource } from './placement';
import { guestOverheadMiB, memoryUsed, round2 } from './usage';

/**
 * What placement says about a host besides its verdict: utilization, the
 * stranded capacity a guest uses, and what a host lacks when none admits the
 * guest. Data for the plan's "why" and "fits nowhere" lines.
 */

const RESOURCES: readonly WeighedResource[] = ['memory', 'vcpus', 'disk', 'cpu', 'iops', 'network'];

/** A host's utilization of each weighed resource, 0..1 (a resource the host lacks counts as full). */
export function utilization(u: HostUsage): Utilization {
  const { sums: s, capacities: c } = u;
  const frac = (used: number, cap: number) => (cap > 0 ? used / cap : used > 0 ? Infinity : 1);
  let disk = 0;
  let diskCap = 0;
  for (const d in s.disks) disk += s.disks[d];
  for (const d in c.disks) diskCap += c.disks[d];
  return {
    memory: frac(memoryUsed(u.host, s), c.memory),
    vcpus: frac(s.vcpus, c.vcpus),
    disk: diskCap > 0 ? disk / diskCap : 0,
    cpu: frac(s.cpu, c.cpu),
    iops: frac(s.iops, c.iops),
    network: frac(s.net, c.net),
  };
}

/** The resources a guest asks for: memory and vCPUs always, disk and load only where it has some. */
export function demanded(g: GuestSpec): WeighedResource[] {
  const out: WeighedResource[] = ['memory', 'vcpus'];
  if (g.disks.length) out.push('disk');
  if (g.load.cpu > 0) out.push('cpu');
  if (g.load.iops > 0) out.push('iops');
  if (g.load.netMbps > 0) out.push('network');
  return out;
}

/**
 * Capacity left idle on a host beside its scarcest resource, over the
 * resources the guest asks for: Σ (free_r − min free). A host whose memory is
 * full while its CPU idles strands the CPU; a guest that needs CPU and little
 * memory lowers it there.
 */
export function strandedAfter(u: HostUsage, guest: GuestSpec): number {
  const util = utilization(u);
  const res = demanded(guest);
  let min = Infinity;
  for (const r of res) min = Math.min(min, 1 - Math.min(1, util[r]));
  let sum = 0;
  for (const r of res) sum += 1 - Math.min(1, util[r]) - min;
  return sum;
}

/**
 * Load the guest brings to a host where it sat idle (≤ the stranded-idle
 * fraction) beside a busy resource: only the soft resources (CPU, IOPS,
 * network) the scoring weighs by how busy they are, never disk space, which
 * is no capacity a guest "uses" by landing on an empty disk.
 */
export function idleUsed(before: HostUsage, guest: GuestSpec): WeighedResource[] {
  if (before.sums.guests === 0) return [];
  const util = utilization(before);
  const c = before.host.capacity;
  const res = demanded(guest);
  const busy = RESOURCES.some((r) => util[r] >= c.strandedBusy) || util.memory >= 0.5;
  if (!busy) return [];
  return res.filter((r) => r !== 'memory' && r !== 'vcpus' && r !== 'disk' && util[r] <= c.strandedIdle);
}

/** What each breached limit lacks for the guest on a host. */
export function shortfalls(u: HostUsage, guest: GuestSpec, breaches: Breach[]): Shortfall[] {
  const { host: h, sums: s, capacities: c } = u;
  const out: Shortfall[] = [];
  for (const b of breaches) {
    if (!blocks(b, h)) continue;
    switch (b.mode) {
      case 'memory': {
        const need = guest.memoryMiB + Math.max(0, memoryUsed(h, { memory: 0, overhead: s.overhead + guestOverheadMiB(guest, h.capacity) }) - memoryUsed(h, { memory: 0, overhead: s.overhead }));
        out.push({ resource: 'memory', need, free: Math.max(0, c.memory - memoryUsed(h, s)) });
        break;
      }
      case 'vcpus': out.push({ resource: 'vcpus', need: guest.vcpus, free: Math.max(0, c.vcpus - s.vcpus) }); break;
      case 'disk': out.push({ resource: 'disk', need: guest.disks.filter((d) => d.on === b.disk).reduce((a, d) => a + d.sizeMiB, 0), free: Math.max(0, (c.disks[b.disk] ?? 0) - (s.disks[b.disk] ?? 0)), detail: b.disk }); break;
      case 'anti-affinity': out.push({ resource: 'anti-affinity', need: 0, free: 0, detail: b.group }); break;
      case 'cpu-load': out.push({ resource: 'cpu-load', need: guest.load.cpu, free: Math.max(0, round2(c.cpu - s.cpu)) }); break;
      case 'iops': out.push({ resource: 'iops', need: guest.load.iops, free: Math.max(0, c.iops - s.iops) }); break;
      case 'network': out.push({ resource: 'network', need: guest.load.netMbps, free: Math.max(0, c.net - s.net) }); break;
      default: assertNever(b, 'breach');
    }
  }
  return out;
}

/** How far a host is from taking the guest: the largest shortfall as a fraction of the host's capacity; anti-affinity is furthest. */
export function gapOf(short: Shortfall[], u: HostUsage): number {
  let gap = 0;
  for (const s of short) {
    const cap = s.resource === 'memory' ? u.capacities.memory : s.resource === 'vcpus' ? u.capacities.vcpus : s.resource === 'disk' ? (u.capacities.disks[s.detail!] ?? 0) : s.resource === 'cpu-load' ? u.capacities.cpu : s.resource === 'iops' ? u.capacities.iops : s.resource === 'network' ? u.capacities.net : 0;
    gap = Math.max(gap, s.resource === 'anti-affinity' || cap <= 0 ? 10 : (s.need - s.free) / cap);
  }
  return gap;
}

/**
 * Why `before` (the host as it was) was chosen for `guest`, `after` being its
 * usage with the guest: utilization and idle capacity are worked out when
 * read, not when chosen, since N+1 and "how many more fit" choose thousands
 * of hosts and read no reason. Usages are never changed in place, so a
 * reason read later says what it would have said at once.
 */
export function whyOf(before: HostUsage, guest: GuestSpec, after: HostUsage, warnings: readonly Breach[], sticky: boolean, candidates: number): PlacementWhy {
  let uses: WeighedResource[] | undefined;
  let util: Utilization | undefined;
  // Getters in the order of the plain object's keys, so spreads and JSON read alike.
  return {
    sticky,
    inUse: before.sums.guests > 0,
    get uses() {
      return (uses ??= idleUsed(before, guest));
    },
    get after() {
      return (util ??= utilization(after));
    },
    softCrossed: warnings.filter((b) => !b.hard).map((b) => b.mode),
    candidates,
  };
}

import { assertNever } from '../errors';
import type { GuestSpec, HostSpec } from '../manifest/types';
import { addGuest, capacitiesOf, cloneSums, memoryUsed, round2, sumsOf, type Capacities, type Sums } from './usage';

/**
 * Every way a host can fail to take its guests (Ganeti htools' `FailMode`).
 * Hard limits are fit errors; soft limits are warnings unless the host's
 * capacity config promotes them (`softLimitsAreErrors`).
 */
export type Breach =
  | { mode: 'memory'; hard: true; used: number; capacity: number; reserveMiB: number; guestsMiB: number; overheadBeyondMiB: number }
  | { mode: 'vcpus'; hard: true; used: number; capacity: number }
  /** `missing`: guest disks are placed on a disk the host does not have (its capacity is then 0). */
  | { mode: 'disk'; hard: true; disk: string; used: number; capacity: number; missing: boolean }
  /** `guests`: every guest of the group on the host, sorted. */
  | { mode: 'anti-affinity'; hard: true; group: string; guests: string[] }
  | { mode: 'cpu-load'; hard: false; used: number; capacity: number }
  | { mode: 'iops'; hard: false; used: number; capacity: number }
  | { mode: 'network'; hard: false; used: number; capacity: number };

export type FailMode = Breach['mode'];

/** A host's committed usage against what it offers: the state admission checks work on. */
export interface HostUsage {
  readonly host: HostSpec;
  /** With the memory in force as `memory` (installed, or the lower of recorded and coded while DIMMs change). */
  readonly capacities: Capacities;
  readonly sums: Sums;
  /** Guests on the host by anti-affinity group; groups of guests without one are not kept. */
  readonly groups: ReadonlyMap<string, readonly string[]>;
}

/**
 * The new usage (with the soft limits it crosses as warnings), or every limit
 * the change would break when at least one of them stops it.
 */
export type OpResult = { ok: true; usage: HostUsage; warnings: Breach[] } | { ok: false; breaches: Breach[] };

/** One guest leaving or arriving on a host. */
export type Move = { kind: 'remove'; guest: GuestSpec } | { kind: 'add'; guest: GuestSpec };

const NO_GROUPS: ReadonlyMap<string, readonly string[]> = new Map();

/**
 * The usage of a host running `guests`.
 * @param installedMiB memory the host reports; @default the host's coded memory
 */
export function hostUsage(host: HostSpec, guests: readonly GuestSpec[], installedMiB?: number): HostUsage {
  const groups = new Map<string, string[]>();
  for (const g of guests) if (g.antiAffinity) groups.set(g.antiAffinity, [...(groups.get(g.antiAffinity) ?? []), g.name]);
  return { host, capacities: capacitiesOf(host, installedMiB), sums: sumsOf(guests, host.capacity), groups: groups.size ? groups : NO_GROUPS };
}

/**
 * A usage from sums built elsewhere (step ordering keeps running sums of deltas).
 * Guest names are not known there, so anti-affinity is not checked.
 */
export function usageOfSums(host: HostSpec, sums: Sums, capacities: Capacities): HostUsage {
  return { host, capacities, sums, groups: NO_GROUPS };
}

/**
 * Every limit the usage breaks, in a fixed order: memory, vCPUs, disks by
 * name, CPU load, IOPS, network, then anti-affinity groups by name.
 * Amounts are compared at 0.01 precision, as they are shown.
 */
export function breachesOf(u: HostUsage): Breach[] {
  const out: Breach[] = [];
  const hard = hardBreaches(u);
  if (hard) out.push(...hard);
  const { sums: s, capacities: c } = u;
  if (round2(s.cpu) > c.cpu) out.push({ mode: 'cpu-load', hard: false, used: round2(s.cpu), capacity: c.cpu });
  if (round2(s.iops) > c.iops) out.push({ mode: 'iops', hard: false, used: round2(s.iops), capacity: c.iops });
  if (round2(s.net) > c.net) out.push({ mode: 'network', hard: false, used: round2(s.net), capacity: c.net });
  if (u.groups.size) {
    for (const [group, names] of [...u.groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (names.length > 1) out.push({ mode: 'anti-affinity', hard: true, group, guests: [...names].sort() });
    }
  }
  return out;
}

/**
 * The hard resource limits (memory, vCPUs, disks) the usage breaks, or
 * undefined when none: what step ordering must keep at every point of an
 * apply. Soft limits and anti-affinity judge where guests end up, not the
 * moments in between, so ordering does not weigh them.
 */
export function hardBreaches(u: HostUsage): Breach[] | undefined {
  const { host: h, sums: s, capacities: c } = u;
  let out: Breach[] | undefined;
  const mem = memoryUsed(h, s);
  if (mem > c.memory) {
    (out ??= []).push({ mode: 'memory', hard: true, used: mem, capacity: c.memory, reserveMiB: h.reserve.memoryMiB, guestsMiB: s.memory, overheadBeyondMiB: Math.max(0, s.overhead - h.reserve.overheadMiB) });
  }
  if (s.vcpus > c.vcpus) (out ??= []).push({ mode: 'vcpus', hard: true, used: s.vcpus, capacity: c.vcpus });
  let names: string[] | undefined;
  for (const d in s.disks) {
    const used = round2(s.disks[d]);
    const capacity = c.disks[d];
    if (capacity === undefined ? used > 0 : used > capacity) (names ??= []).push(d);
  }
  if (names) {
    for (const d of names.sort()) {
      const capacity = c.disks[d];
      (out ??= []).push({ mode: 'disk', hard: true, disk: d, used: round2(s.disks[d]), capacity: capacity ?? 0, missing: capacity === undefined });
    }
  }
  return out;
}

/** One resource of a host in total: what is committed of what it offers, and whether that breaks its limit. */
export interface ResourceTotal {
  used: number;
  capacity: number;
  /** Over its limit (for disks: any one disk, or a guest disk on a disk the host lacks). */
  over: boolean;
}

/** The six resources a host offers, as fit tables, bars and totals name them. */
export type ResourceKey = 'memory' | 'vcpus' | 'disk' | 'cpu' | 'iops' | 'network';

/** A host's use of each resource, all disks together, for figures and bars. */
export function totalsOf(u: HostUsage): Record<ResourceKey, ResourceTotal> {
  const { host: h, sums: s, capacities: c } = u;
  const over = new Set<FailMode>(breachesOf(u).map((b) => b.mode));
  let diskUsed = 0;
  for (const d in s.disks) diskUsed += s.disks[d];
  let diskCap = 0;
  for (const d in c.disks) diskCap += c.disks[d];
  return {
    memory: { used: memoryUsed(h, s), capacity: c.memory, over: over.has('memory') },
    vcpus: { used: s.vcpus, capacity: c.vcpus, over: over.has('vcpus') },
    disk: { used: diskUsed, capacity: diskCap, over: over.has('disk') },
    cpu: { used: round2(s.cpu), capacity: c.cpu, over: over.has('cpu-load') },
    iops: { used: round2(s.iops), capacity: c.iops, over: over.has('iops') },
    network: { used: round2(s.net), capacity: c.net, over: over.has('network') },
  };
}

/** Whether a breach stops the change: hard limits always, soft ones when the host's config promotes them. */
export function blocks(b: Breach, host: HostSpec): boolean {
  return b.hard || host.capacity.softLimitsAreErrors;
}

/** Adds a guest to a host (Ganeti's `Node.addPri`): the new usage, or the limits it would break. */
export function admit(u: HostUsage, guest: GuestSpec): OpResult {
  return applyMoves(u, [{ kind: 'add', guest }]);
}

/** Removes a guest from a host; taking a guest away never breaks a limit. */
export function release(u: HostUsage, guest: GuestSpec): HostUsage {
  return step(u, [{ kind: 'remove', guest }]);
}

/**
 * Applies a set of moves at once (what leaves first, then what arrives) and
 * checks the end state: the new usage, or every limit it breaks.
 */
export function applyMoves(u: HostUsage, moves: readonly Move[]): OpResult {
  const next = step(u, moves);
  const all = breachesOf(next);
  return all.some((b) => blocks(b, u.host)) ? { ok: false, breaches: all } : { ok: true, usage: next, warnings: all };
}

function step(u: HostUsage, moves: readonly Move[]): HostUsage {
  const sums = cloneSums(u.sums);
  let groups: Map<string, readonly string[]> | undefined;
  const sorted = moves.length === 1 ? moves : [...moves].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'remove' ? -1 : 1));
  for (const m of sorted) {
    switch (m.kind) {
      case 'remove':
      case 'add': {
        addGuest(sums, m.guest, u.host.capacity, m.kind === 'add' ? 1 : -1);
        const group = m.guest.antiAffinity;
        if (!group) break;
        groups ??= new Map(u.groups);
        const names = groups.get(group) ?? [];
        const next = m.kind === 'add' ? [...names, m.guest.name] : names.filter((n) => n !== m.guest.name);
        if (next.length) groups.set(group, next);
        else groups.delete(group);
        break;
      }
      default:
        assertNever(m, 'move');
    }
  }
  // A disk no guest uses any more is dropped, so the usage equals one computed from scratch.
  for (const d in sums.disks) if (sums.disks[d] === 0) delete sums.disks[d];
  return { host: u.host, capacities: u.capacities, sums, groups: groups ?? u.groups };
}

import { diskPath } from '../hypervisor/render';
import { digestOf } from '../manifest/canonical';
import { formatSize } from '../manifest/size';
import type { GuestDisk, GuestSpec, HostSpec } from '../manifest/types';
import { bare, type DiskLimits, type GuestReason, type LiveChange, type LiveField, type ReplaceCause } from './reason';
import type { FieldChange, GuestChange, HostChange } from './types';

/**
 * Fields that never reach the hypervisor's config: changing them only updates
 * state. `power` is among them: whether the guest runs is planned against
 * what was recorded or seen (lib/plan/power.ts), not against the spec.
 */
export const RECORD_ONLY: ReadonlySet<string> = new Set(['role', 'load', 'tags', 'antiAffinity', 'path', 'lifecycle', 'power', 'movedFrom']);
/** Fields a running guest takes without a restart (memory and vCPUs within their maximum). */
const LIVE: ReadonlySet<string> = new Set<Exclude<LiveField, 'diskLimits'>>(['memoryMiB', 'vcpus', 'cpuCap', 'cpuWeight']);

export function fieldChanges(before: object, after: object, skip: ReadonlySet<string> = new Set()): FieldChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const out: FieldChange[] = [];
  for (const k of keys) {
    if (skip.has(k)) continue;
    const b = (before as Record<string, unknown>)[k];
    const a = (after as Record<string, unknown>)[k];
    if (JSON.stringify(b) !== JSON.stringify(a) && digestOf(b ?? null) !== digestOf(a ?? null)) out.push({ field: k, before: b, after: a });
  }
  return out;
}

/** The hosts a guest change is planned between: as state records it, and as code declares it. */
export interface GuestHosts {
  before: HostSpec;
  after: HostSpec;
}

/** Why a guest must be destroyed and created again: empty if it can change in place. */
function replaceCauses(b: GuestSpec, a: GuestSpec, hosts?: GuestHosts): ReplaceCause[] {
  const causes: ReplaceCause[] = [];
  if (b.mode !== a.mode) causes.push({ kind: 'mode', from: b.mode, to: a.mode });
  if (b.uuid !== a.uuid) causes.push({ kind: 'uuid' });
  b.disks.forEach((d, disk) => {
    const n = a.disks[disk];
    if (!n) causes.push({ kind: 'disk-removed', disk, sizeMiB: d.sizeMiB, on: d.on });
    else if (n.on !== d.on) causes.push({ kind: 'disk-moved', disk, from: d.on, to: n.on });
    else if (n.sizeMiB < d.sizeMiB) causes.push({ kind: 'disk-shrinks', disk, fromMiB: d.sizeMiB, toMiB: n.sizeMiB });
  });
  if (!hosts) return causes;
  if (hosts.before.provider !== hosts.after.provider) causes.push({ kind: 'provider', from: hosts.before.provider, to: hosts.after.provider });
  // A disk already removed or moved is named above; any other kept disk whose image path changes would be created empty at the new path.
  const named = new Set(causes.flatMap((c) => ('disk' in c ? [c.disk] : [])));
  b.disks.forEach((_, disk) => {
    if (disk >= a.disks.length || named.has(disk)) return;
    const from = diskPath(hosts.before, b, disk);
    const to = diskPath(hosts.after, a, disk);
    if (from !== to) causes.push({ kind: 'disk-path', disk, from, to });
  });
  return causes;
}

/**
 * Why a guest that changes host cannot be live-migrated with its data: a live
 * migration (`virsh migrate --copy-storage-all`, the simulator's move) copies
 * each disk image to the same path on the target, unchanged, and moves the
 * domain as it is. So any disk change on top of the move (another host disk,
 * another image path because the target's `storageDir` differs, a disk added,
 * removed, grown or shrunk), a new mode or UUID, or another provider would
 * leave the recorded guest and the real one apart, or the images behind.
 */
function migrationBlockers(b: GuestSpec, a: GuestSpec, hosts?: GuestHosts): ReplaceCause[] {
  const causes = replaceCauses(b, a, hosts);
  const named = new Set(causes.flatMap((c) => ('disk' in c ? [c.disk] : [])));
  b.disks.forEach((d, disk) => {
    const n = a.disks[disk];
    if (n && !named.has(disk) && n.sizeMiB > d.sizeMiB) causes.push({ kind: 'disk-grows', disk, fromMiB: d.sizeMiB, toMiB: n.sizeMiB });
  });
  a.disks.slice(b.disks.length).forEach((d, i) => causes.push({ kind: 'disk-added', disk: b.disks.length + i, sizeMiB: d.sizeMiB, on: d.on }));
  return causes;
}

/**
 * Classifies the change of one guest: in place, replaced, or migrated to
 * another host (replaced there when its disks cannot move with it).
 * @param hosts its host as recorded and as in code, to see image paths or a provider change
 * @default hosts: none (only the guest's own spec is compared)
 */
export function diffGuest(b: GuestSpec, a: GuestSpec, configChanged: boolean, hosts?: GuestHosts): GuestChange {
  const fields = fieldChanges(b, a, new Set(['host']));
  const base = { kind: 'guest' as const, name: a.name, address: a.path, before: b, after: a, fields };
  if (a.host !== b.host) {
    const moved = { fields: [{ field: 'host', before: b.host, after: a.host }, ...fields] };
    const causes = migrationBlockers(b, a, hosts);
    if (causes.length) {
      return { ...base, ...moved, action: 'replace', reason: { code: 'cannot-migrate', detail: { from: b.host, to: a.host, causes } }, restart: true, recordOnly: false };
    }
    return { ...base, ...moved, action: 'migrate', reason: { code: 'moves-host', detail: { from: b.host, to: a.host } }, restart: false, recordOnly: false };
  }
  const causes = replaceCauses(b, a, hosts);
  if (causes.length) return { ...base, action: 'replace', reason: { code: 'cannot-update', detail: { causes } }, restart: true, recordOnly: false };
  if (fields.length === 0 && !configChanged) return { ...base, action: 'noop', reason: bare('noop'), restart: false, recordOnly: false };
  const hv = fields.filter((f) => !RECORD_ONLY.has(f.field));
  if (hv.length === 0 && !configChanged) {
    return { ...base, action: 'update', reason: { code: 'record-only', detail: { fields: fields.map((f) => f.field) } }, restart: false, recordOnly: true };
  }
  const live = liveChanges(hv);
  if (live && a.memoryMiB <= b.maxMemoryMiB && a.vcpus <= b.maxVcpus && !configChangedBeyond(hv, configChanged)) {
    return { ...base, action: 'update', reason: { code: 'live-update', detail: { changes: live } }, restart: false, recordOnly: false };
  }
  const reason: GuestReason = hv.length ? { code: 'restart-update', detail: { fields: hv.map((f) => f.field) } } : bare('config-changed');
  return { ...base, action: 'update', reason, restart: true, recordOnly: false };
}

function configChangedBeyond(hv: FieldChange[], configChanged: boolean): boolean {
  // A config change with no spec change means the renderer itself changed: restart to be safe.
  return configChanged && hv.length === 0;
}

/** The changes as live ones, or undefined if any field needs a restart. */
function liveChanges(hv: FieldChange[]): LiveChange[] | undefined {
  const out: LiveChange[] = [];
  for (const f of hv) {
    if (f.field === 'disks') {
      const disks = diskLimitChanges(f.before as GuestDisk[], f.after as GuestDisk[]);
      if (!disks) return undefined;
      out.push(...disks);
    } else if (f.field === 'memoryMiB' || f.field === 'vcpus') out.push({ field: f.field, from: f.before as number, to: f.after as number });
    else if (f.field === 'cpuCap' || f.field === 'cpuWeight') out.push({ field: f.field, from: f.before as number | null, to: f.after as number | null });
    else if (!LIVE.has(f.field)) return undefined;
  }
  return out;
}

/** The disks' limit changes, or undefined when anything else of a disk changes (a new or grown disk needs a restart). */
function diskLimitChanges(before: GuestDisk[], after: GuestDisk[]): LiveChange[] | undefined {
  if (before.length !== after.length) return undefined;
  const out: LiveChange[] = [];
  for (let disk = 0; disk < before.length; disk++) {
    const b = before[disk];
    const a = after[disk];
    if (b.on !== a.on || b.sizeMiB !== a.sizeMiB) return undefined;
    const from = diskLimits(b);
    const to = diskLimits(a);
    if (from.iops !== to.iops || from.mbps !== to.mbps) out.push({ field: 'diskLimits', disk, on: a.on, from, to });
  }
  return out;
}

export function diskLimits(d: GuestDisk): DiskLimits {
  return { iops: d.iops ?? null, mbps: d.mbps ?? null };
}

/** Classifies a host that is in code and in state. */
export function diffHost(b: HostSpec, a: HostSpec): HostChange {
  const fields = fieldChanges(b, a).filter((f) => !(f.field === 'address' && isLocalDefaultMove(b, a)));
  const base = { kind: 'host' as const, name: a.name, address: a.path, before: b, after: a, fields };
  if (fields.length === 0) return { ...base, action: 'noop', reason: bare('noop') };
  if (JSON.stringify(b.memory.dimmsMiB) !== JSON.stringify(a.memory.dimmsMiB)) {
    const detail = { dimmsBeforeMiB: b.memory.dimmsMiB, dimmsAfterMiB: a.memory.dimmsMiB, totalBeforeMiB: b.memory.totalMiB, totalAfterMiB: a.memory.totalMiB };
    return { ...base, action: 'upgrade-memory', reason: { code: isMemoryDowngrade(b, a) ? 'memory-downgrade' : 'memory-upgrade', detail } };
  }
  return { ...base, action: 'update', reason: { code: 'host-record-only', detail: { fields: fields.map((f) => f.field) } } };
}

/**
 * The local simulator's default folder moved from `.hvkit/local/<host>` to
 * `.hvkit/local/<fleet>/<host>`: a host recorded at the old default is the
 * same machine (the provider moves its folder on first contact), not a change
 * to plan or review.
 */
function isLocalDefaultMove(b: HostSpec, a: HostSpec): boolean {
  return b.provider === 'local' && a.provider === 'local' && b.address === `.hvkit/local/${b.name}` && a.address.startsWith('.hvkit/local/') && a.address.endsWith(`/${a.name}`) && a.address.split('/').length === 4;
}

/** A DIMM change that leaves less memory than before: taken out on purpose, or a DIMM failed. */
export function isMemoryDowngrade(b: HostSpec, a: HostSpec): boolean {
  return a.memory.totalMiB < b.memory.totalMiB;
}

export function describeDimms(dimms: number[]): string {
  const counts = new Map<number, number>();
  for (const d of dimms) counts.set(d, (counts.get(d) ?? 0) + 1);
  return [...counts].map(([size, n]) => `${n}×${formatSize(size)}`).join(' + ') || 'no DIMMs';
}

import { digestOf } from '../manifest/canonical';
import { formatSize } from '../manifest/size';
import type { GuestSpec, HostSpec } from '../manifest/types';
import type { FieldChange, GuestChange, HostChange } from './types';

/** Fields that never reach the hypervisor: changing them only updates state. */
export const RECORD_ONLY: ReadonlySet<string> = new Set(['role', 'load', 'tags', 'antiAffinity', 'path']);
/** Fields a running guest takes without a restart, within its maximum. */
const LIVE = new Set(['memoryMiB', 'vcpus']);

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

/** Why a guest must be destroyed and created again, or undefined if it can change in place. */
function replaceReason(b: GuestSpec, a: GuestSpec): string | undefined {
  const reasons: string[] = [];
  if (b.mode !== a.mode) reasons.push(`mode ${b.mode} → ${a.mode} cannot change on an existing domain`);
  if (b.uuid !== a.uuid) reasons.push('uuid changed');
  b.disks.forEach((d, i) => {
    const n = a.disks[i];
    if (!n) reasons.push(`disk ${i} (${formatSize(d.sizeMiB)} on ${d.on}) removed`);
    else if (n.on !== d.on) reasons.push(`disk ${i} moves from host disk ${d.on} to ${n.on}`);
    else if (n.sizeMiB < d.sizeMiB) reasons.push(`disk ${i} shrinks ${formatSize(d.sizeMiB)} → ${formatSize(n.sizeMiB)} (images cannot shrink safely)`);
  });
  return reasons.length ? reasons.join('; ') : undefined;
}

/** Classifies the change of one guest that stays on the same host. */
export function diffGuest(b: GuestSpec, a: GuestSpec, configChanged: boolean): GuestChange {
  const fields = fieldChanges(b, a, new Set(['host']));
  const base = { kind: 'guest' as const, name: a.name, address: a.path, before: b, after: a, fields };
  if (a.host !== b.host) {
    return { ...base, action: 'migrate', reason: `moves ${b.host} → ${a.host}`, restart: false, recordOnly: false, fields: [{ field: 'host', before: b.host, after: a.host }, ...fields] };
  }
  const replace = replaceReason(b, a);
  if (replace) return { ...base, action: 'replace', reason: replace, restart: true, recordOnly: false };
  if (fields.length === 0 && !configChanged) return { ...base, action: 'noop', reason: '', restart: false, recordOnly: false };
  const hv = fields.filter((f) => !RECORD_ONLY.has(f.field));
  if (hv.length === 0 && !configChanged) {
    return { ...base, action: 'update', reason: `${fields.map((f) => f.field).join(', ')} (state only, no hypervisor change)`, restart: false, recordOnly: true };
  }
  const live = hv.every((f) => LIVE.has(f.field)) && a.memoryMiB <= b.maxMemoryMiB && a.vcpus <= b.maxVcpus && !configChangedBeyond(hv, configChanged);
  if (live) {
    return { ...base, action: 'update', reason: hv.map((f) => liveReason(f)).join(', ') + ' while running', restart: false, recordOnly: false };
  }
  const why = hv.length ? hv.map((f) => f.field).join(', ') : 'rendered config';
  return { ...base, action: 'update', reason: `${why} changed: needs a restart`, restart: true, recordOnly: false };
}

function configChangedBeyond(hv: FieldChange[], configChanged: boolean): boolean {
  // A config change with no spec change means the renderer itself changed: restart to be safe.
  return configChanged && hv.length === 0;
}

function liveReason(f: FieldChange): string {
  if (f.field === 'memoryMiB') return `memory ${formatSize(f.before as number)} → ${formatSize(f.after as number)}`;
  return `vcpus ${f.before} → ${f.after}`;
}

/** Classifies a host that is in code and in state. */
export function diffHost(b: HostSpec, a: HostSpec): HostChange {
  const fields = fieldChanges(b, a).filter((f) => !(f.field === 'address' && isLocalDefaultMove(b, a)));
  const base = { kind: 'host' as const, name: a.name, address: a.path, before: b, after: a, fields };
  if (fields.length === 0) return { ...base, action: 'noop', reason: '' };
  const dimms = (h: HostSpec) => describeDimms(h.memory.dimmsMiB);
  if (JSON.stringify(b.memory.dimmsMiB) !== JSON.stringify(a.memory.dimmsMiB)) {
    const sizes = `${dimms(b)} → ${dimms(a)} (${formatSize(b.memory.totalMiB)} → ${formatSize(a.memory.totalMiB)})`;
    return {
      ...base, action: 'upgrade-memory',
      reason: isMemoryDowngrade(b, a)
        ? `memory downgrade: ${sizes}; guests shrink or leave first, a person takes the DIMMs out, apply checks the host reports exactly ${formatSize(a.memory.totalMiB)}`
        : `memory upgrade: ${sizes}; a person fits the DIMMs, apply checks the host's real memory`,
    };
  }
  return { ...base, action: 'update', reason: `${fields.map((f) => f.field).join(', ')} (state only)` };
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

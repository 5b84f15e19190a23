import type { ResourceFit } from '../capacity/fit';
import type { Diagnostic } from '../diagnostics';
import { assertNever } from '../errors';
import { formatSize } from '../manifest/size';
import type { GuestSpec, HostSpec } from '../manifest/types';
import { describeDimms, isMemoryDowngrade } from '../plan/diff';
import { dataLossText } from '../plan/data-loss';
import { reasonText } from '../plan/reason';
import { summarize, type Change, type DataLoss, type FieldChange, type Plan } from '../plan/types';

/** The symbol before a change: create or add, destroy or retire, update, replace, migrate, nothing. */
export type ChangeMarker = '+' | '-' | '~' | '±' | '→' | ' ';

/** Marker and verb of a change, as every renderer shows it. */
export function markerOf(c: Change): { marker: ChangeMarker; verb: string } {
  if (c.kind === 'host') {
    const action = c.action;
    switch (action) {
      case 'add': return { marker: '+', verb: 'add host' };
      case 'upgrade-memory': return { marker: '~', verb: c.before && c.after && isMemoryDowngrade(c.before, c.after) ? 'downgrade memory' : 'upgrade memory' };
      case 'update': return { marker: '~', verb: 'update host' };
      case 'retire': return { marker: '-', verb: 'retire host' };
      case 'noop': return { marker: ' ', verb: 'no change' };
      default: return assertNever(action, 'host action');
    }
  }
  const action = c.action;
  switch (action) {
    case 'create': return { marker: '+', verb: 'create' };
    case 'update': return { marker: '~', verb: c.restart ? 'update (restart)' : 'update in place' };
    case 'replace': return { marker: '±', verb: 'replace' };
    case 'migrate': return { marker: '→', verb: 'migrate' };
    case 'rename': return { marker: '~', verb: c.restart ? 'rename (restart)' : 'rename' };
    case 'delete': return { marker: '-', verb: 'destroy' };
    case 'noop': return { marker: ' ', verb: 'no change' };
    default: return assertNever(action, 'guest action');
  }
}

export function guestShape(g: GuestSpec): string {
  const disks = g.disks.length ? g.disks.map((d) => `${formatSize(d.sizeMiB)} on ${d.on}`).join(', ') : 'no disks';
  return `${g.role}, ${g.vcpus} vCPU${g.vcpus === 1 ? '' : 's'}, ${formatSize(g.memoryMiB)} memory, ${disks}${g.power === 'stopped' ? ', power stopped' : ''}`;
}

/** One-line title of a change: `create web-01 on web-host-01`. */
export function titleOf(c: Change): string {
  const { verb } = markerOf(c);
  if (c.kind === 'host') return `${verb} ${c.name}`;
  switch (c.action) {
    case 'create': return `${verb} ${c.name} on ${c.after!.host}`;
    case 'delete': return `${verb} ${c.name} on ${c.before!.host}`;
    case 'migrate': return `${verb} ${c.name} ${c.before!.host} → ${c.after!.host}`;
    case 'rename': return `${verb} ${c.before!.name} → ${c.name} on ${c.before!.host}${c.after!.host !== c.before!.host ? ` → ${c.after!.host}` : ''}`;
    default: return `${verb} ${c.name} on ${(c.after ?? c.before)!.host}`;
  }
}

export function valueText(field: string, v: unknown): string {
  if (typeof v === 'number' && /MiB$/.test(field)) return formatSize(v);
  if (v === null || v === undefined) return '(none)';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function fieldLine(f: FieldChange): string {
  return `${f.field}: ${valueText(f.field, f.before)} → ${valueText(f.field, f.after)}`;
}

/** `DATA LOSS: destroys 20GiB on sda of web-host-01`: shown by every renderer before a change's other details. */
export function lossLine(loss: DataLoss): string {
  return `DATA LOSS: ${dataLossText(loss)}`;
}

/** The detail lines under a change (its data loss apart: see lossLine). */
export function detailsOf(c: Change): string[] {
  if (c.kind === 'guest') {
    if (c.action === 'create') return [guestShape(c.after!)];
    if (c.action === 'delete') return [guestShape(c.before!)];
  }
  if (c.kind === 'host') {
    if (c.action === 'add') return [hostShape(c.after!)];
    if (c.action === 'retire') return [hostShape(c.before!)];
  }
  // The reason of a memory upgrade already tells the DIMMs before and after.
  const fields = c.fields.filter((f) => !toldByReason(c, f.field));
  const why = reasonText(c.reason);
  return [...(why ? [why] : []), ...fields.map(fieldLine)];
}

/** Fields the reason already tells in words: a memory upgrade's DIMMs, a live update's changes. */
function toldByReason(c: Change, field: string): boolean {
  if (c.kind === 'host') return c.action === 'upgrade-memory' && field === 'memory';
  const r = c.reason.code === 'renamed' ? c.reason.detail.then : c.reason;
  if (r?.code !== 'live-update') return false;
  return r.detail.changes.some((l) => (l.field === 'diskLimits' ? 'disks' : l.field) === field);
}

export function hostShape(h: HostSpec): string {
  return `${h.provider} at ${h.address}, ${h.cpu.cores} cores / ${h.cpu.threads} threads, ${describeDimms(h.memory.dimmsMiB)} = ${formatSize(h.memory.totalMiB)} in ${h.memory.slots} slots, disks ${h.disks.map((d) => `${d.name} ${formatSize(d.sizeMiB)} ${d.kind}`).join(', ') || 'none'}`;
}

/** ` (destroys 20GiB)` after a count, or nothing when the changes lose no data. */
function lossNote(destroysMiB: number, leavesMiB = 0): string {
  const notes = [...(destroysMiB ? [`destroys ${formatSize(destroysMiB)}`] : []), ...(leavesMiB ? [`${formatSize(leavesMiB)} not carried over`] : [])];
  return notes.length ? ` (${notes.join(', ')})` : '';
}

export function summaryLine(plan: Plan): string {
  const s = summarize(plan);
  if (plan.steps.length === 0) {
    if (plan.targets) return 'No changes to the targeted guests and hosts.';
    return plan.drift.length ? 'No changes to apply; the drift listed above stays as it is.' : 'No changes. The fleet matches the code.';
  }
  const outages = [...(s.restart ? [`${s.restart} with restart`] : []), ...(s.shutdown ? [`${s.shutdown} shut down`] : [])];
  const parts = [`${s.create} to create`, `${s.update} to update in place${outages.length ? ` (${outages.join(', ')})` : ''}`];
  if (s.replace) parts.push(`${s.replace} to replace${lossNote(s.replaceDestroysMiB, s.replaceLeavesMiB)}`);
  parts.push(`${s.migrate} to migrate`, `${s.delete} to destroy${lossNote(s.deleteDestroysMiB)}`);
  if (s.rename) parts.push(`${s.rename} to rename`);
  const hosts = s.hostChanges ? `; ${s.hostChanges} host change${s.hostChanges === 1 ? '' : 's'}` : '';
  return `Plan: ${parts.join(', ')}${hosts}.`;
}

export function amount(r: ResourceFit, v: number): string {
  return r.unit === 'MiB' ? formatSize(v) : `${v}`;
}

/** `4GiB → 8GiB / 8GiB (100%)`: before → after of capacity. */
export function fitCell(r: ResourceFit): string {
  const pct = r.capacity > 0 ? ` ${Math.round((r.after / r.capacity) * 100)}%` : '';
  const cap = r.capacityBefore && r.capacityBefore !== r.capacity ? `${amount(r, r.capacityBefore)}→${amount(r, r.capacity)}` : amount(r, r.capacity);
  const use = r.before === r.after ? amount(r, r.after) : `${amount(r, r.before)} → ${amount(r, r.after)}`;
  return `${use} / ${cap}${pct}`;
}

/** The capacity engine's verdict, carried in the plan: renderers do not compare amounts. */
export function isOver(r: ResourceFit): boolean {
  return r.over;
}

export function severityLabel(d: Diagnostic): string {
  switch (d.severity) {
    case 'error': return 'Error';
    case 'warning': return 'Warning';
    case 'note': return 'Note';
    default: return assertNever(d.severity, 'severity');
  }
}

/** Hosts worth showing in a fit table: those that change, break a limit or carry a finding. */
export function interestingHosts(plan: Plan): Set<string> {
  const touched = new Set<string>();
  for (const s of plan.steps) {
    touched.add(s.host);
    if (s.target) touched.add(s.target);
  }
  for (const f of plan.fit) if (f.diagnostics.length || f.stranded || f.resources.some(isOver)) touched.add(f.host);
  return touched;
}

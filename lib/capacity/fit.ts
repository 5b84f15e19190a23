import type { Diagnostic } from '../diagnostics';
import { formatSize } from '../manifest/size';
import type { GuestSpec, HostSpec } from '../manifest/types';
import { findStranded, type Stranded } from './stranded';
import { capacitiesOf, memoryUsed, round2, sumsOf, type Capacities, type Sums } from './usage';

export type ResourceKey = 'memory' | 'vcpus' | 'disk' | 'cpu' | 'iops' | 'network';
export type ResourceUnit = 'MiB' | 'vCPU' | 'cores' | 'IOPS' | 'Mbps';

/** One resource of one host: capacity and use before and after the plan. */
export interface ResourceFit {
  key: ResourceKey;
  /** `memory`, `vcpus`, `disk sda`, `cpu load`, `iops`, `network`. */
  label: string;
  unit: ResourceUnit;
  /** Hard limits are fit errors; soft limits warnings. */
  hard: boolean;
  capacityBefore: number;
  capacity: number;
  before: number;
  after: number;
}

export interface HostFit {
  host: string;
  path: string;
  /** Guests on the host before and after, by name. */
  guestsBefore: string[];
  guestsAfter: string[];
  resources: ResourceFit[];
  /** How committed memory is made up, after the plan. */
  memory: { reserveMiB: number; overheadMiB: number; guestsMiB: number };
  diagnostics: Diagnostic[];
  stranded: Stranded | null;
}

export interface FitInput {
  /** The host as in code; undefined when the host is being retired. */
  after?: HostSpec;
  /** The host as recorded in state; undefined when it is new. */
  before?: HostSpec;
  installedBefore?: number;
  guestsBefore: readonly GuestSpec[];
  guestsAfter: readonly GuestSpec[];
}

/** Fits one host's guests before and after a change (pure). */
export function fitHost(input: FitInput): HostFit {
  const host = (input.after ?? input.before)!;
  const capAfter = input.after ? capacitiesOf(input.after) : undefined;
  const capBefore = input.before ? capacitiesOf(input.before, input.installedBefore) : undefined;
  const cfg = host.capacity;
  const sb = sumsOf(input.guestsBefore, (input.before ?? host).capacity);
  const sa = sumsOf(input.guestsAfter, cfg);
  const usedB = (h: HostSpec | undefined, s: Sums) => (h ? memoryUsed(h, s) : 0);
  const resources: ResourceFit[] = [];
  const add = (key: ResourceKey, label: string, unit: ResourceUnit, hard: boolean, pick: (c: Capacities) => number, before: number, after: number) => {
    resources.push({
      key, label, unit, hard,
      capacityBefore: capBefore ? pick(capBefore) : 0,
      capacity: capAfter ? pick(capAfter) : 0,
      before: round2(before),
      after: round2(after),
    });
  };
  add('memory', 'memory', 'MiB', true, (c) => c.memory, input.guestsBefore.length || input.before ? usedB(input.before, sb) : 0, input.after ? usedB(input.after, sa) : 0);
  add('vcpus', 'vcpus', 'vCPU', true, (c) => c.vcpus, sb.vcpus, sa.vcpus);
  const diskNames = [...new Set([...(input.before?.disks ?? []), ...(input.after?.disks ?? [])].map((d) => d.name))].sort();
  for (const d of diskNames) add('disk', `disk ${d}`, 'MiB', true, (c) => c.disks[d] ?? 0, sb.disks[d] ?? 0, sa.disks[d] ?? 0);
  add('cpu', 'cpu load', 'cores', false, (c) => c.cpu, sb.cpu, sa.cpu);
  add('iops', 'iops', 'IOPS', false, (c) => c.iops, sb.iops, sa.iops);
  add('network', 'network', 'Mbps', false, (c) => c.net, sb.net, sa.net);

  const diagnostics: Diagnostic[] = [];
  if (input.after) {
    for (const r of resources) {
      if (r.after <= r.capacity) continue;
      diagnostics.push(overDiagnostic(host, r, input.after, sa, cfg.softLimitsAreErrors));
    }
    diagnostics.push(...antiAffinity(host, input.guestsAfter));
  }
  const overheadSum = sa.overhead;
  return {
    host: host.name,
    path: host.path,
    guestsBefore: input.guestsBefore.map((g) => g.name).sort(),
    guestsAfter: input.guestsAfter.map((g) => g.name).sort(),
    resources,
    memory: {
      reserveMiB: input.after ? input.after.reserve.memoryMiB : 0,
      overheadMiB: input.after ? Math.max(0, overheadSum - input.after.reserve.overheadMiB) : 0,
      guestsMiB: sa.memory,
    },
    diagnostics,
    stranded: input.after && capAfter ? findStranded(input.after, sa, capAfter, input.guestsAfter) : null,
  };
}

function fmt(r: ResourceFit, v: number): string {
  return r.unit === 'MiB' ? formatSize(v) : `${round2(v)} ${r.unit}`;
}

function overDiagnostic(host: HostSpec, r: ResourceFit, h: HostSpec, s: Sums, softAsError: boolean): Diagnostic {
  const over = fmt(r, r.after - r.capacity);
  switch (r.key) {
    case 'memory':
      return {
        severity: 'error', code: 'memory-over', path: host.path,
        message: `memory ${formatSize(r.after)} committed (${formatSize(h.reserve.memoryMiB)} reserve + ${formatSize(s.memory)} guests + ${formatSize(Math.max(0, s.overhead - h.reserve.overheadMiB))} overhead beyond the reserve) exceeds ${formatSize(r.capacity)} installed by ${over}: add DIMMs or move a guest to another host`,
      };
    case 'vcpus':
      return {
        severity: 'error', code: 'vcpus-over', path: host.path,
        message: `${r.after} vCPUs exceed ${r.capacity} (${h.cpu.threads} threads × overcommit ${h.capacity.cpuOvercommit}${h.reserve.vcpus ? ` − ${h.reserve.vcpus} reserved` : ''}) by ${over}: lower vcpus or move a guest`,
      };
    case 'disk':
      return { severity: 'error', code: 'disk-over', path: host.path, message: `${r.label}: guest disks take ${fmt(r, r.after)} of ${fmt(r, r.capacity)}, ${over} too much: shrink or move a guest disk` };
    case 'cpu':
      return { severity: softAsError ? 'error' : 'warning', code: 'cpu-load', path: host.path, message: `expected CPU load ${fmt(r, r.after)} exceeds the soft limit ${fmt(r, r.capacity)} (${h.cpu.cores} cores − ${h.capacity.cpuVirtLoss * 100}% virtualization loss, ${h.capacity.softHeadroom * 100}% headroom)` };
    case 'iops':
      return { severity: softAsError ? 'error' : 'warning', code: 'iops', path: host.path, message: `expected ${fmt(r, r.after)} exceed the soft limit ${fmt(r, r.capacity)} (disk IOPS − ${h.capacity.ioVirtLoss * 100}% virtualization loss, ${h.capacity.softHeadroom * 100}% headroom)` };
    case 'network':
      return { severity: softAsError ? 'error' : 'warning', code: 'network', path: host.path, message: `expected traffic ${fmt(r, r.after)} exceeds the soft limit ${fmt(r, r.capacity)} (virtualized network runs at ${h.capacity.netVirtFactor * 100}% of the NIC): place network-heavy guests apart` };
  }
}

function antiAffinity(host: HostSpec, guests: readonly GuestSpec[]): Diagnostic[] {
  const groups = new Map<string, string[]>();
  for (const g of guests) {
    if (!g.antiAffinity) continue;
    groups.set(g.antiAffinity, [...(groups.get(g.antiAffinity) ?? []), g.name]);
  }
  const out: Diagnostic[] = [];
  for (const [group, names] of [...groups].sort()) {
    if (names.length < 2) continue;
    names.sort();
    out.push({
      severity: 'error', code: 'anti-affinity', path: host.path,
      message: `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are in anti-affinity group '${group}' but all run on ${host.name}: move all but one to other hosts`,
    });
  }
  return out;
}

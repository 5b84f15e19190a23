import { findStranded } from '../capacity/stranded';
import { capacitiesOf, guestOverheadMiB, memoryUsed, sumsOf } from '../capacity/usage';
import { formatSize } from '../manifest/size';
import type { GuestSpec, HostSpec } from '../manifest/types';
import type { Plan } from '../plan/types';
import type { State } from '../state/types';

/** One coloured piece of a bar: a guest, or the host's reserve and hypervisor overhead. */
export interface Segment {
  kind: 'guest' | 'reserve' | 'overhead';
  guest?: string;
  role?: string;
  value: number;
  text: string;
}

export interface Bar {
  key: 'memory' | 'vcpus' | 'disk' | 'cpu' | 'iops' | 'network';
  label: string;
  capacity: number;
  used: number;
  hard: boolean;
  segments: Segment[];
  /** `3.5GiB / 4GiB`-style figure. */
  figure: string;
}

export interface HostReport {
  name: string;
  provider: string;
  summary: string;
  guests: { name: string; role: string; vcpus: number; memoryMiB: number; tags: Record<string, string> }[];
  before: Bar[] | null;
  after: Bar[];
  over: boolean;
  stranded: string | null;
  findings: string[];
}

export interface ReportModel {
  fleet: string;
  source: 'state' | 'plan';
  hosts: HostReport[];
  roles: string[];
  utilization: { label: string; used: number; capacity: number; figure: string }[];
  stranded: { host: string; message: string }[];
  emptiable: { host: string; moves: string[] }[];
}

const fmt = (unit: string, v: number) => (unit === 'MiB' ? formatSize(v) : `${Math.round(v * 100) / 100}`);

/** The six bars of a host: each guest a segment, memory with the reserve and overhead beyond it. */
export function barsOf(h: HostSpec, guests: readonly GuestSpec[], installedMiB?: number): Bar[] {
  const cap = capacitiesOf(h, installedMiB);
  const s = sumsOf(guests, h.capacity);
  const seg = (g: GuestSpec, value: number, text: string): Segment => ({ kind: 'guest', guest: g.name, role: g.role, value, text });
  const sorted = [...guests].sort((a, b) => (a.name < b.name ? -1 : 1));
  const overheadBeyond = Math.max(0, s.overhead - h.reserve.overheadMiB);
  const memUsed = memoryUsed(h, s);
  const bar = (key: Bar['key'], label: string, unit: string, capacity: number, hard: boolean, segments: Segment[]): Bar => {
    const used = segments.reduce((a, x) => a + x.value, 0);
    return { key, label, capacity, used, hard, segments, figure: `${fmt(unit, used)} / ${fmt(unit, capacity)}` };
  };
  const diskCap = Object.values(cap.disks).reduce((a, b) => a + b, 0);
  return [
    bar('memory', 'memory', 'MiB', cap.memory, true, [
      { kind: 'reserve', value: h.reserve.memoryMiB, text: `reserve ${formatSize(h.reserve.memoryMiB)} (dom0 and hypervisor)` },
      ...(overheadBeyond ? [{ kind: 'overhead' as const, value: overheadBeyond, text: `guest overhead beyond the reserve ${formatSize(overheadBeyond)}` }] : []),
      ...sorted.map((g) => seg(g, g.memoryMiB, `${g.name} (${g.role}): ${formatSize(g.memoryMiB)} + ${guestOverheadMiB(g, h.capacity)}MiB overhead`)),
    ]),
    bar('vcpus', 'vCPUs', 'vCPU', cap.vcpus, true, [
      ...(h.reserve.vcpus ? [{ kind: 'reserve' as const, value: h.reserve.vcpus, text: `reserve ${h.reserve.vcpus} vCPUs` }] : []),
      ...sorted.map((g) => seg(g, g.vcpus, `${g.name} (${g.role}): ${g.vcpus} vCPUs`)),
    ]),
    bar('disk', 'disk', 'MiB', diskCap, true, sorted.filter((g) => g.disks.length).map((g) => {
      const v = g.disks.reduce((a, d) => a + d.sizeMiB, 0);
      return seg(g, v, `${g.name} (${g.role}): ${formatSize(v)} on ${g.disks.map((d) => d.on).join(', ')}`);
    })),
    bar('cpu', 'CPU load (cores)', 'cores', cap.cpu, false, sorted.filter((g) => g.load.cpu).map((g) => seg(g, g.load.cpu, `${g.name} (${g.role}): ${g.load.cpu} cores`))),
    bar('iops', 'disk IOPS', 'IOPS', cap.iops, false, sorted.filter((g) => g.load.iops).map((g) => seg(g, g.load.iops, `${g.name} (${g.role}): ${g.load.iops} IOPS`))),
    bar('network', 'network (Mbit/s)', 'Mbps', cap.net, false, sorted.filter((g) => g.load.netMbps).map((g) => seg(g, g.load.netMbps, `${g.name} (${g.role}): ${g.load.netMbps} Mbit/s`))),
  ].map((b) => (b.key === 'memory' ? { ...b, used: memUsed, figure: `${formatSize(memUsed)} / ${formatSize(b.capacity)}` } : b));
}

function hostSummary(h: HostSpec): string {
  return `${h.provider} · ${h.cpu.cores} cores / ${h.cpu.threads} threads · ${h.memory.dimmsMiB.length}×DIMM = ${formatSize(h.memory.totalMiB)} in ${h.memory.slots} slots · ${h.disks.map((d) => `${d.name} ${formatSize(d.sizeMiB)} ${d.kind}`).join(', ') || 'no disks'}`;
}

/** Hosts whose guests would all fit elsewhere (first fit, largest first), with where they would go. */
function emptiableHosts(hosts: { spec: HostSpec; guests: GuestSpec[]; installed?: number }[]): { host: string; moves: string[] }[] {
  const out: { host: string; moves: string[] }[] = [];
  const free = (x: (typeof hosts)[number], extra: GuestSpec[]) => {
    const all = [...x.guests, ...extra];
    const s = sumsOf(all, x.spec.capacity);
    const cap = capacitiesOf(x.spec, x.installed);
    return { mem: cap.memory - memoryUsed(x.spec, s), vcpus: cap.vcpus - s.vcpus };
  };
  for (const h of hosts) {
    if (h.guests.length === 0) continue;
    const added = new Map<string, GuestSpec[]>();
    const moves: string[] = [];
    const order = [...h.guests].sort((a, b) => b.memoryMiB - a.memoryMiB || (a.name < b.name ? -1 : 1));
    for (const g of order) {
      const target = hosts.find((t) => {
        if (t === h || t.spec.provider !== h.spec.provider) return false;
        if (!g.disks.every((d) => t.spec.disks.some((td) => td.name === d.on))) return false;
        const f = free(t, [...(added.get(t.spec.name) ?? []), g]);
        return f.mem >= 0 && f.vcpus >= 0;
      });
      if (!target) break;
      added.set(target.spec.name, [...(added.get(target.spec.name) ?? []), g]);
      moves.push(`${g.name} → ${target.spec.name}`);
    }
    if (moves.length === h.guests.length) out.push({ host: h.spec.name, moves });
  }
  return out;
}

function model(fleet: string, source: ReportModel['source'], rows: { spec: HostSpec; guests: GuestSpec[]; before: Bar[] | null; installed?: number; findings: string[] }[]): ReportModel {
  const hosts: HostReport[] = rows.map((r) => {
    const after = barsOf(r.spec, r.guests, r.installed);
    const cap = capacitiesOf(r.spec, r.installed);
    const stranded = findStranded(r.spec, sumsOf(r.guests, r.spec.capacity), cap, r.guests);
    return {
      name: r.spec.name,
      provider: r.spec.provider,
      summary: hostSummary(r.spec),
      guests: [...r.guests].sort((a, b) => (a.name < b.name ? -1 : 1)).map((g) => ({ name: g.name, role: g.role, vcpus: g.vcpus, memoryMiB: g.memoryMiB, tags: g.tags })),
      before: r.before,
      after,
      over: after.some((b) => b.used > b.capacity && b.hard),
      stranded: stranded?.message ?? null,
      findings: r.findings,
    };
  });
  const total = (key: Bar['key']) => hosts.reduce((a, h) => {
    const b = h.after.find((x) => x.key === key)!;
    return { used: a.used + b.used, capacity: a.capacity + b.capacity };
  }, { used: 0, capacity: 0 });
  const utilization = (['memory', 'vcpus', 'disk', 'cpu', 'iops', 'network'] as const).map((key) => {
    const t = total(key);
    const label = hosts[0]?.after.find((b) => b.key === key)?.label ?? key;
    return { label, ...t, figure: `${fmt(key === 'memory' || key === 'disk' ? 'MiB' : '', t.used)} / ${fmt(key === 'memory' || key === 'disk' ? 'MiB' : '', t.capacity)}` };
  });
  return {
    fleet, source, hosts,
    roles: [...new Set(rows.flatMap((r) => r.guests.map((g) => g.role)))].sort(),
    utilization,
    stranded: hosts.filter((h) => h.stranded).map((h) => ({ host: h.name, message: h.stranded! })),
    emptiable: emptiableHosts(rows.map((r) => ({ spec: r.spec, guests: r.guests, installed: r.installed }))),
  };
}

/** The fleet as deployed (state). */
export function modelFromState(state: State): ReportModel {
  const byHost = new Map<string, GuestSpec[]>();
  for (const g of Object.values(state.guests)) byHost.set(g.spec.host, [...(byHost.get(g.spec.host) ?? []), g.spec]);
  return model(state.fleet, 'state', Object.keys(state.hosts).sort().map((n) => ({
    spec: state.hosts[n].spec, guests: byHost.get(n) ?? [], before: null, installed: state.hosts[n].installedMiB, findings: [],
  })));
}

/** A plan's before → after, host by host, with its findings. */
export function modelFromPlan(plan: Plan): ReportModel {
  const specs = new Map<string, { before?: HostSpec; after?: HostSpec }>();
  for (const c of plan.changes) if (c.kind === 'host') specs.set(c.name, { before: c.before ?? undefined, after: c.after ?? undefined });
  const guestsOn = (side: 'before' | 'after', host: string) => plan.changes.flatMap((c) => (c.kind === 'guest' && c[side]?.host === host ? [c[side]!] : []));
  const rows = [...specs.keys()].sort().filter((n) => specs.get(n)!.after).map((n) => {
    const { before, after } = specs.get(n)!;
    const fit = plan.fit.find((f) => f.host === n);
    return {
      spec: after!,
      guests: guestsOn('after', n),
      before: before ? barsOf(before, guestsOn('before', n)) : null,
      findings: fit?.diagnostics.map((d) => `${d.severity}: ${d.message}`) ?? [],
    };
  });
  return model(plan.fleet, 'plan', rows);
}

import { hardBreaches, hostUsage, totalsOf, type HostUsage, type ResourceKey } from '../capacity/admit';
import { emptiableHosts } from '../capacity/emptiable';
import type { Movable } from '../capacity/rebalance';
import { strandedOf } from '../capacity/stranded';
import { guestOverheadMiB } from '../capacity/usage';
import { formatSize } from '../manifest/size';
import type { GuestSpec, HostSpec } from '../manifest/types';
import type { LoadFigures, MeasuredFindings } from '../capacity/measured';
import type { Diagnostic } from '../diagnostics';
import type { MeasuredLoad, Plan } from '../plan/types';
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
  key: ResourceKey;
  label: string;
  capacity: number;
  used: number;
  hard: boolean;
  /** Over the limit, as the capacity engine judges it (for disk: any one disk). */
  over: boolean;
  segments: Segment[];
  /** `3.5GiB / 4GiB`-style figure. */
  figure: string;
  /**
   * The host's measured p95 of this load (CPU, IOPS, network), shown beside
   * the declared `used`; absent without samples and for memory, vCPUs, disk.
   * @default absent
   */
  measured?: number;
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
  /**
   * What `emptiable` assumed may move: `code`, code's placement rules (only
   * guests hvkit placed, within their selectors); `provider`, every guest to
   * any host of its provider (code's pins and selectors unknown).
   */
  emptiableRules: 'code' | 'provider';
  /** Measured p95 beside declared load; absent without samples. @default absent */
  measured?: MeasuredLoad;
}


const fmt = (unit: string, v: number) => (unit === 'MiB' ? formatSize(v) : `${Math.round(v * 100) / 100}`);

/**
 * The six bars of a host: each guest a segment, memory with the reserve and
 * overhead beyond it. Used, capacity and over come from the capacity engine.
 */
export function barsOf(u: HostUsage, guests: readonly GuestSpec[], measured?: LoadFigures): Bar[] {
  const h = u.host;
  const t = totalsOf(u);
  const seg = (g: GuestSpec, value: number, text: string): Segment => ({ kind: 'guest', guest: g.name, role: g.role, value, text });
  const sorted = [...guests].sort((a, b) => (a.name < b.name ? -1 : 1));
  const overheadBeyond = Math.max(0, u.sums.overhead - h.reserve.overheadMiB);
  const p95: Partial<Record<ResourceKey, number>> = measured ? { cpu: measured.cpu, iops: measured.iops, network: measured.netMbps } : {};
  const bar = (key: Bar['key'], label: string, unit: string, hard: boolean, segments: Segment[]): Bar => {
    const { used, capacity, over } = t[key];
    const m = p95[key];
    return { key, label, capacity, used, hard, over, segments, figure: `${fmt(unit, used)} / ${fmt(unit, capacity)}`, ...(m !== undefined ? { measured: m } : {}) };
  };
  return [
    bar('memory', 'memory', 'MiB', true, [
      { kind: 'reserve', value: h.reserve.memoryMiB, text: `reserve ${formatSize(h.reserve.memoryMiB)} (dom0 and hypervisor)` },
      ...(overheadBeyond ? [{ kind: 'overhead' as const, value: overheadBeyond, text: `guest overhead beyond the reserve ${formatSize(overheadBeyond)}` }] : []),
      ...sorted.map((g) => seg(g, g.memoryMiB, `${g.name} (${g.role}): ${formatSize(g.memoryMiB)} + ${guestOverheadMiB(g, h.capacity)}MiB overhead`)),
    ]),
    // The vCPU capacity is already net of the host's reserved vCPUs, so only guests take a share of it.
    bar('vcpus', 'vCPUs', 'vCPU', true, sorted.map((g) => seg(g, g.vcpus, `${g.name} (${g.role}): ${g.vcpus} vCPUs`))),
    bar('disk', 'disk', 'MiB', true, sorted.filter((g) => g.disks.length).map((g) => {
      const v = g.disks.reduce((a, d) => a + d.sizeMiB, 0);
      return seg(g, v, `${g.name} (${g.role}): ${formatSize(v)} on ${g.disks.map((d) => d.on).join(', ')}`);
    })),
    bar('cpu', 'CPU load (cores)', 'cores', false, sorted.filter((g) => g.load.cpu).map((g) => seg(g, g.load.cpu, `${g.name} (${g.role}): ${g.load.cpu} cores`))),
    bar('iops', 'disk IOPS', 'IOPS', false, sorted.filter((g) => g.load.iops).map((g) => seg(g, g.load.iops, `${g.name} (${g.role}): ${g.load.iops} IOPS`))),
    bar('network', 'network (Mbit/s)', 'Mbps', false, sorted.filter((g) => g.load.netMbps).map((g) => seg(g, g.load.netMbps, `${g.name} (${g.role}): ${g.load.netMbps} Mbit/s`))),
  ];
}

function hostSummary(h: HostSpec): string {
  return `${h.provider} · ${h.cpu.cores} cores / ${h.cpu.threads} threads · ${h.memory.dimmsMiB.length}×DIMM = ${formatSize(h.memory.totalMiB)} in ${h.memory.slots} slots · ${h.disks.map((d) => `${d.name} ${formatSize(d.sizeMiB)} ${d.kind}`).join(', ') || 'no disks'}`;
}

function model(fleet: string, source: ReportModel['source'], rows: { spec: HostSpec; guests: GuestSpec[]; before: Bar[] | null; installed?: number; findings: string[] }[], measured?: MeasuredLoad, movable?: Movable): ReportModel {
  const hosts: HostReport[] = rows.map((r) => {
    const usage = hostUsage(r.spec, r.guests, r.installed);
    return {
      name: r.spec.name,
      provider: r.spec.provider,
      summary: hostSummary(r.spec),
      guests: [...r.guests].sort((a, b) => (a.name < b.name ? -1 : 1)).map((g) => ({ name: g.name, role: g.role, vcpus: g.vcpus, memoryMiB: g.memoryMiB, tags: g.tags })),
      before: r.before,
      after: barsOf(usage, r.guests, measured?.hosts.find((m) => m.host === r.spec.name)?.measured),
      over: hardBreaches(usage) !== undefined,
      stranded: strandedOf(usage)?.message ?? null,
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
    ...(measured ? { measured } : {}),
    roles: [...new Set(rows.flatMap((r) => r.guests.map((g) => g.role)))].sort(),
    utilization,
    stranded: hosts.filter((h) => h.stranded).map((h) => ({ host: h.name, message: h.stranded! })),
    emptiable: emptiableHosts(rows.map((r) => ({ spec: r.spec, guests: r.guests, installed: r.installed })), movable)
      .map((e) => ({ host: e.host, moves: e.moves.map((m) => `${m.guest} → ${m.to}`) })),
    emptiableRules: movable ? 'code' : 'provider',
  };
}

/** The fleet as deployed (state), with its measured load when the fleet has samples (overload warnings go on the host's card). */
/**
 * @param movable the guests hvkit placed, with their placement asks (`code.unplaced`), when code is at hand: the
 *   hosts that could be emptied then follow code's placement rules. @default every guest movable within its provider
 */
export function modelFromState(state: State, load?: MeasuredFindings, movable?: Movable): ReportModel {
  const byHost = new Map<string, GuestSpec[]>();
  for (const g of Object.values(state.guests)) byHost.set(g.spec.host, [...(byHost.get(g.spec.host) ?? []), g.spec]);
  return model(state.fleet, 'state', Object.keys(state.hosts).sort().map((n) => ({
    spec: state.hosts[n].spec, guests: byHost.get(n) ?? [], before: null, installed: state.hosts[n].installedMiB,
    findings: hostWarnings(load?.diagnostics ?? [], state.hosts[n].spec.path, byHost.get(n) ?? []),
  })), load?.measured, movable);
}

/** The measured-load warnings for a host's card: its overload, then its guests' measured over declared. */
function hostWarnings(d: readonly Diagnostic[], path: string, guests: readonly GuestSpec[]): string[] {
  const paths = new Set(guests.map((g) => g.path));
  const overload = d.filter((x) => x.code === 'overload' && x.path === path);
  const guestsOver = d.filter((x) => x.code === 'measured-over-declared' && paths.has(x.path));
  return [...overload, ...guestsOver].map((x) => `${x.severity}: ${x.message}`);
}

/**
 * A plan's before → after, host by host, with its findings.
 * @param movable as for {@link modelFromState}: a saved plan does not carry code's selectors. @default every guest movable within its provider
 */
export function modelFromPlan(plan: Plan, movable?: Movable): ReportModel {
  const specs = new Map<string, { before?: HostSpec; after?: HostSpec }>();
  for (const c of plan.changes) if (c.kind === 'host') specs.set(c.name, { before: c.before ?? undefined, after: c.after ?? undefined });
  // Grouped once: a scan of every change per host is quadratic on large fleets.
  const bySide = { before: new Map<string, GuestSpec[]>(), after: new Map<string, GuestSpec[]>() };
  for (const c of plan.changes) {
    if (c.kind !== 'guest') continue;
    for (const side of ['before', 'after'] as const) {
      const g = c[side];
      if (!g) continue;
      const list = bySide[side].get(g.host);
      if (list) list.push(g);
      else bySide[side].set(g.host, [g]);
    }
  }
  const guestsOn = (side: 'before' | 'after', host: string) => bySide[side].get(host) ?? [];
  const fits = new Map(plan.fit.map((f) => [f.host, f]));
  const rows = [...specs.keys()].sort().filter((n) => specs.get(n)!.after).map((n) => {
    const { before, after } = specs.get(n)!;
    const fit = fits.get(n);
    return {
      spec: after!,
      guests: guestsOn('after', n),
      before: before ? barsOf(hostUsage(before, guestsOn('before', n)), guestsOn('before', n)) : null,
      findings: [...(fit?.diagnostics.map((d) => `${d.severity}: ${d.message}`) ?? []), ...hostWarnings(plan.diagnostics, after!.path, guestsOn('after', n))],
    };
  });
  return model(plan.fleet, 'plan', rows, plan.measured, movable);
}

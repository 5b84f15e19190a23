import type { Diagnostic } from '../diagnostics';
import { assertNever } from '../errors';
import type { LoadSummary } from '../load/summary';
import type { GuestSpec, HostSpec } from '../manifest/types';
import { capacitiesOf, round2 } from './usage';

/**
 * Measured load beside declared load: the figures plans and reports show,
 * the warnings they raise, and the load placement weighs a guest by. Pure:
 * the samples are read elsewhere (lib/ops/prepare.ts) and summarized by
 * lib/load/summary.ts.
 */

/** The three load rates code declares (GuestLoad) and placement weighs. */
export interface LoadFigures {
  /** CPU cores. */
  cpu: number;
  iops: number;
  /** Mbit/s. */
  netMbps: number;
}

/** A guest's measured p95 beside what its code declares. */
export interface MeasuredGuest {
  guest: string;
  /** The host code puts the guest on. */
  host: string;
  declared: LoadFigures;
  measured: LoadFigures;
  samples: number;
}

/** A host's measured p95 (its guests together) beside the sum its guests declare and its soft limits. */
export interface MeasuredHost {
  host: string;
  declared: LoadFigures;
  measured: LoadFigures;
  /** The soft limits (capacitiesOf: after the virtualization losses and headroom). */
  capacity: LoadFigures;
  samples: number;
}

/** Measured load as plan data; absent from a plan when no guest or host in it has samples. */
export interface MeasuredLoad {
  /** The oldest and newest sample the figures come from. */
  from: string;
  until: string;
  hosts: MeasuredHost[];
  guests: MeasuredGuest[];
}

/** Measured load with the warnings it calls for. */
export interface MeasuredFindings {
  measured: MeasuredLoad;
  /** `measured-over-declared` about guests, `overload` about hosts. */
  diagnostics: Diagnostic[];
}

/**
 * How far a guest's measured p95 may exceed its declared load before a
 * warning (`capacity.measuredOverDeclared`, per fleet or host).
 */
export const DEFAULT_MEASURED_OVER_DECLARED = 1.5;

/**
 * A guest that declares no load of a rate is warned about when its measured
 * p95 of it exceeds these: below them a guest is idle (an agent, a cron
 * job), and a factor of 0 is meaningless.
 */
export const UNDECLARED_FLOOR: Readonly<LoadFigures> = Object.freeze({ cpu: 0.25, iops: 25, netMbps: 5 });

const RATES = ['cpu', 'iops', 'netMbps'] as const;
type Rate = (typeof RATES)[number];
const LABEL: Record<Rate, string> = { cpu: 'CPU', iops: 'disk I/O', netMbps: 'network' };
const NOUN: Record<Rate, string> = { cpu: 'CPU load', iops: 'IOPS', netMbps: 'network' };

/** "3.25 cores", "210 IOPS", "12.5 Mbit/s": as precise as the fit table. */
export function loadAmount(rate: Rate, n: number): string {
  switch (rate) {
    case 'cpu': return `${round2(n)} ${round2(n) === 1 ? 'core' : 'cores'}`;
    case 'iops': return `${Math.round(n)} IOPS`;
    case 'netMbps': return `${round1(n)} Mbit/s`;
    default: return assertNever(rate, 'load rate');
  }
}

/** Below this many samples a p95 is little more than the samples themselves: messages say how many. */
export const FEW_SAMPLES = 12;

/** "CPU p95 3.5 cores", or "CPU 3.5 cores (p95 of 3 samples)" when there are too few for a p95 to mean much. */
export function p95Phrase(label: string, amount: string, samples: number): string {
  return samples < FEW_SAMPLES ? `${label} ${amount} (p95 of ${samples} sample${samples === 1 ? '' : 's'})` : `${label} p95 ${amount}`;
}

const round1 = (n: number) => String(Math.round(n * 10) / 10);
const figures = (r: LoadFigures): LoadFigures => ({ cpu: round2(r.cpu), iops: round2(r.iops), netMbps: round2(r.netMbps) });

/**
 * The load to weigh each measured guest by in placement and rebalancing: its
 * p95 per rate. Guests without samples are absent (their declared load counts).
 */
export function weighedLoads(summary: LoadSummary | undefined): Record<string, LoadFigures> {
  const out: Record<string, LoadFigures> = {};
  for (const [g, s] of Object.entries(summary?.guests ?? {})) out[g] = { cpu: s.p95.cpu, iops: s.p95.iops, netMbps: s.p95.netMbps };
  return out;
}

/**
 * The guest as placement (and rebalancing, N+1) weighs it: per rate, the
 * larger of its declared load and its measured p95. Never below declared,
 * because the plan's fit check counts declared load: placement must not
 * choose a host that check then refuses (soft limits as errors). Only for the
 * packing: the spec the plan diffs keeps its declared load.
 */
export function weighed(g: GuestSpec, loads: Readonly<Record<string, LoadFigures>> | undefined): GuestSpec {
  const m = loads && Object.hasOwn(loads, g.name) ? loads[g.name] : undefined;
  if (!m) return g;
  const d = g.load;
  if (m.cpu <= d.cpu && m.iops <= d.iops && m.netMbps <= d.netMbps) return g;
  return { ...g, load: { ...d, cpu: Math.max(d.cpu, m.cpu), iops: Math.max(d.iops, m.iops), netMbps: Math.max(d.netMbps, m.netMbps) } };
}

/**
 * Measured beside declared load for the hosts and guests of `hosts`/`guests`
 * (the code, placed), with the warnings it calls for:
 * - `measured-over-declared`: a guest's p95 of a rate exceeds its declared
 *   load × the host's `capacity.measuredOverDeclared` (or, declaring none,
 *   exceeds UNDECLARED_FLOOR);
 * - `overload`: a host's p95 of a rate crosses its soft limit, naming the
 *   (up to) three guests measured to take most of it there.
 * Undefined when none of them has samples, so plans without samples keep their bytes.
 */
export function measuredFindings(hosts: readonly HostSpec[], guests: readonly GuestSpec[], summary: LoadSummary | undefined): MeasuredFindings | undefined {
  if (!summary) return undefined;
  const diagnostics: Diagnostic[] = [];
  const hostSpecs = new Map(hosts.map((h) => [h.name, h]));
  const byName = <T extends { name: string }>(xs: readonly T[]) => [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const times: string[] = [];

  const mGuests: MeasuredGuest[] = [];
  for (const g of byName(guests)) {
    const s = Object.hasOwn(summary.guests, g.name) ? summary.guests[g.name] : undefined;
    if (!s) continue;
    times.push(s.from, s.until);
    const declared = figures(g.load);
    const measured = figures(s.p95);
    mGuests.push({ guest: g.name, host: g.host, declared, measured, samples: s.samples });
    const factor = hostSpecs.get(g.host)?.capacity.measuredOverDeclared ?? DEFAULT_MEASURED_OVER_DECLARED;
    for (const r of RATES) {
      const d = declared[r];
      const m = measured[r];
      if (d > 0 ? m > d * factor : m > UNDECLARED_FLOOR[r]) {
        const beyond = d > 0 ? `exceeds its declared ${loadAmount(r, d)} (×${round1(m / d)})` : `but it declares no ${NOUN[r]}`;
        diagnostics.push({ severity: 'warning', code: 'measured-over-declared', path: g.path, message: `${g.name} measured ${p95Phrase(LABEL[r], loadAmount(r, m), s.samples)} ${beyond}: declare what it uses, so placement and capacity plans count it` });
      }
    }
  }

  const mHosts: MeasuredHost[] = [];
  for (const h of byName(hosts)) {
    const s = Object.hasOwn(summary.hosts, h.name) ? summary.hosts[h.name] : undefined;
    if (!s) continue;
    times.push(s.from, s.until);
    const c = capacitiesOf(h);
    const on = guests.filter((g) => g.host === h.name);
    const declared = figures(on.reduce((a, g) => ({ cpu: a.cpu + g.load.cpu, iops: a.iops + g.load.iops, netMbps: a.netMbps + g.load.netMbps }), { cpu: 0, iops: 0, netMbps: 0 }));
    const measured = figures(s.p95);
    const capacity: LoadFigures = { cpu: c.cpu, iops: c.iops, netMbps: c.net };
    mHosts.push({ host: h.name, declared, measured, capacity, samples: s.samples });
    for (const r of RATES) {
      if (measured[r] <= capacity[r]) continue;
      diagnostics.push({ severity: 'warning', code: 'overload', path: h.path, message: `${h.name} is overloaded: measured ${p95Phrase(LABEL[r], loadAmount(r, measured[r]), s.samples)} crosses its soft limit of ${loadAmount(r, capacity[r])}${contributors(summary, h.name, r, measured[r])}` });
    }
  }
  if (!mGuests.length && !mHosts.length) return undefined;
  times.sort();
  return { measured: { from: times[0], until: times[times.length - 1], hosts: mHosts, guests: mGuests }, diagnostics };
}

/** "; most from web-03 3.2 cores (52%), web-04 …": the guests last measured on the host that take most of the rate. */
function contributors(summary: LoadSummary, host: string, r: Rate, total: number): string {
  const top = Object.entries(summary.guests)
    .filter(([, s]) => s.host === host && s.p95[r] > 0)
    .sort(([a, x], [b, y]) => y.p95[r] - x.p95[r] || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, 3);
  if (!top.length) return '';
  return `; most from ${top.map(([g, s]) => `${g} ${loadAmount(r, s.p95[r])} (${Math.round((100 * s.p95[r]) / total)}%)`).join(', ')}`;
}

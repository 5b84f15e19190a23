/**
 * Seeded VM request traces shaped like public cloud traces (Azure's 2017/2019
 * VM traces, Google's 2019 cluster trace): mostly 1–16 vCPUs with 1–4 GiB per
 * vCPU, Poisson arrivals, lifetimes with a heavy tail (most VMs live minutes
 * to hours, a few for weeks). Used by the simulate and placement benchmarks
 * and by tests; the same seed gives the same trace, byte for byte.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { TraceRow } from '../lib/capacity/trace';

export interface TraceShape {
  seed: number;
  /** VM requests in the trace. */
  arrivals: number;
  /** VMs alive at once in the steady state (sets the arrival rate). @default 4000 */
  concurrency?: number;
}

/** vCPU counts and how often each is asked for (Azure 2019: small VMs dominate). */
const VCPUS: readonly [number, number][] = [[1, 0.28], [2, 0.34], [4, 0.2], [8, 0.12], [16, 0.06]];
/** GiB per vCPU: general purpose 4, compute 2 or 1, memory-ish 3.5 (Azure's D/F/E shapes, trimmed to 1–4). */
const GIB_PER_VCPU: readonly [number, number][] = [[1, 0.15], [1.75, 0.1], [2, 0.3], [3.5, 0.15], [4, 0.3]];

function pick(rnd: () => number, table: readonly [number, number][]): number {
  let x = rnd();
  for (const [v, w] of table) {
    if (x < w) return v;
    x -= w;
  }
  return table[table.length - 1][0];
}

/** Lifetime in seconds: 70% short (exponential, mean 40 min), 30% Pareto(α 1.3) from 2 h, capped at 60 days. */
function lifetime(rnd: () => number): number {
  if (rnd() < 0.7) return Math.max(60, Math.round(-Math.log(1 - rnd()) * 2400));
  return Math.round(Math.min(60 * 86400, 7200 / Math.pow(1 - rnd(), 1 / 1.3)));
}

export function generateTrace(shape: TraceShape): TraceRow[] {
  const rng = xoroshiro128plus(shape.seed);
  const rnd = () => uniformFloat64(rng);
  const lifetimes = Array.from({ length: shape.arrivals }, () => lifetime(rnd));
  const mean = lifetimes.reduce((a, b) => a + b, 0) / Math.max(1, lifetimes.length);
  // Little's law: concurrency = rate × mean lifetime.
  const rate = (shape.concurrency ?? 4000) / mean;
  let t = 0;
  return lifetimes.map((lt, i) => {
    t += -Math.log(1 - rnd()) / rate;
    const vcpus = pick(rnd, VCPUS);
    const gib = vcpus * pick(rnd, GIB_PER_VCPU);
    return { vmid: `vm-${String(i).padStart(7, '0')}`, vcpus, memoryMiB: Math.round(gib * 1024), at: Math.floor(t), lt, line: i + 2 };
  });
}

/** The trace as `hvkit simulate` reads it. */
export function traceCsv(rows: readonly TraceRow[]): string {
  return `vmid,cpu,mem,at,lt\n${rows.map((r) => `${r.vmid},${r.vcpus},${r.memoryMiB / 1024},${r.at},${Number.isFinite(r.lt) ? r.lt : ''}`).join('\n')}\n`;
}

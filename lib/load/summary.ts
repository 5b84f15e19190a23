import type { Rates } from './rates';
import type { SampleStore } from './sample-store';
import { oldestKeptSlot } from './window';
import type { HostLoad } from './rates';

/** A guest's or host's measured load over the kept window. */
export interface LoadStats {
  /** Each rate's 95th percentile over the samples (nearest rank), taken separately per rate. */
  p95: Rates;
  /** The newest sample's rates. */
  latest: Rates;
  /** How many samples the figures come from. */
  samples: number;
  /** The oldest and newest sample's time. */
  from: string;
  until: string;
}

/** Measured load per host and per guest (wherever it ran: a guest moved keeps its history). */
export interface LoadSummary {
  hosts: Record<string, LoadStats>;
  guests: Record<string, LoadStats & { host: string }>;
}

/** The p-th percentile (0 < p ≤ 100) of `values` by nearest rank: a value that was really measured. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

function statsOf(series: readonly { at: string; rates: Rates }[]): LoadStats {
  const pick = (f: (r: Rates) => number) => percentile(series.map((s) => f(s.rates)), 95);
  const memory = series.flatMap((s) => (s.rates.memoryUsedMiB === undefined ? [] : [s.rates.memoryUsedMiB]));
  const p95: Rates = { cpu: pick((r) => r.cpu), iops: pick((r) => r.iops), netMbps: pick((r) => r.netMbps), diskMBps: pick((r) => r.diskMBps) };
  if (memory.length) p95.memoryUsedMiB = percentile(memory, 95);
  return { p95, latest: series[series.length - 1].rates, samples: series.length, from: series[0].at, until: series[series.length - 1].at };
}

/**
 * p95 and latest load per host and per guest over `samples` (as a SampleStore
 * reads them: sorted by time). Pure, for plans and reports that were handed
 * the samples; `measuredLoad` reads them from a store.
 */
export function summarizeLoad(samples: readonly HostLoad[]): LoadSummary {
  const byTime = [...samples].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const hosts = new Map<string, { at: string; rates: Rates }[]>();
  const guests = new Map<string, { at: string; rates: Rates; host: string }[]>();
  for (const s of byTime) {
    hosts.set(s.host, [...(hosts.get(s.host) ?? []), { at: s.at, rates: s.load }]);
    for (const [g, rates] of Object.entries(s.guests)) {
      const list = guests.get(g) ?? [];
      list.push({ at: s.at, rates, host: s.host });
      guests.set(g, list);
    }
  }
  const byName = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    hosts: Object.fromEntries(byName(hosts).map(([h, series]) => [h, statsOf(series)])),
    guests: Object.fromEntries(byName(guests).map(([g, series]) => [g, { ...statsOf(series), host: series[series.length - 1].host }])),
  };
}

/**
 * The measured load of a fleet: p95 and latest per host and guest over the
 * store's window ending at `now`, for plans, reports and placement.
 * @param now the end of the window @default the current time
 */
export async function measuredLoad(store: SampleStore, now: string = new Date().toISOString()): Promise<LoadSummary> {
  const since = new Date(oldestKeptSlot(now, store.window)).toISOString();
  return summarizeLoad((await store.read(since)).filter((s) => Date.parse(s.at) <= Date.parse(now)));
}

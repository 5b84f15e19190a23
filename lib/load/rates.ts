import { COUNTER_KEYS, type Counters, type HostCounters } from './counters';

/**
 * Measured load of a guest or a host over an interval, in the units code
 * declares load in (GuestLoad: `cpu` cores, `iops`, `netMbps`), plus disk
 * throughput and the memory in use at the end of the interval.
 */
export interface Rates {
  /** CPU cores in use (CPU seconds per second). */
  cpu: number;
  /** Disk operations per second, reads and writes. */
  iops: number;
  /** Network Mbit/s, received and sent. */
  netMbps: number;
  /** Disk MB/s (10^6 bytes), read and written. */
  diskMBps: number;
  /** Memory in use at the end of the interval, when the hypervisor tells. */
  memoryUsedMiB?: number;
}

/** One host's measured load over one interval: what a sample round yields per host. */
export interface HostLoad {
  host: string;
  /** The end of the interval (the second read), ISO 8601. */
  at: string;
  /** Length of the interval, by the host's clock. */
  seconds: number;
  /** The host: the sum of its guests' rates. */
  load: Rates;
  /** Each guest that ran through the whole interval without restarting. */
  guests: Record<string, Rates>;
  /**
   * Guests with no rate this interval: restarted (a counter went down), or
   * started or stopped between the two reads. Sorted.
   */
  unmeasured: string[];
}

/** What one sample round measured across a fleet. */
export interface FleetLoad {
  /** When the round ended (the last host's second read), ISO 8601. */
  at: string;
  /** Hosts that answered both reads, by name. */
  hosts: HostLoad[];
  /** The sum over those hosts. */
  total: Rates;
  /** Hosts with no measurement this round, and why (one line each), by name. */
  failed: { host: string; error: string }[];
}

export const ZERO_RATES: Rates = { cpu: 0, iops: 0, netMbps: 0, diskMBps: 0 };

/** Rates are kept to 3 decimals: enough for a fraction of a core, and stored samples stay short. */
const round = (n: number): number => Math.round(n * 1000) / 1000;

/**
 * The rates between two reads of one guest's counters `seconds` apart.
 * Undefined when any counter went down (the guest restarted and its counters
 * began again) or the interval is not positive: no rate is better than a
 * negative or made-up one.
 */
export function ratesBetween(before: Counters, after: Counters, seconds: number): Rates | undefined {
  if (!(seconds > 0)) return undefined;
  for (const k of COUNTER_KEYS) if (after[k] < before[k]) return undefined;
  const d = (k: (typeof COUNTER_KEYS)[number]) => after[k] - before[k];
  const rates: Rates = {
    cpu: round(d('cpuSeconds') / seconds),
    iops: round((d('diskReadOps') + d('diskWriteOps')) / seconds),
    netMbps: round(((d('netRxBytes') + d('netTxBytes')) * 8) / 1e6 / seconds),
    diskMBps: round((d('diskReadBytes') + d('diskWriteBytes')) / 1e6 / seconds),
  };
  return after.memoryUsedMiB === undefined ? rates : { ...rates, memoryUsedMiB: after.memoryUsedMiB };
}

/** Rates added up (a host's load from its guests'). */
export function sumRates(list: readonly Rates[]): Rates {
  const sum = { ...ZERO_RATES };
  let memory: number | undefined;
  for (const r of list) {
    sum.cpu += r.cpu;
    sum.iops += r.iops;
    sum.netMbps += r.netMbps;
    sum.diskMBps += r.diskMBps;
    if (r.memoryUsedMiB !== undefined) memory = (memory ?? 0) + r.memoryUsedMiB;
  }
  const out: Rates = { cpu: round(sum.cpu), iops: round(sum.iops), netMbps: round(sum.netMbps), diskMBps: round(sum.diskMBps) };
  return memory === undefined ? out : { ...out, memoryUsedMiB: memory };
}

/**
 * A host's load from two `stats` reads of it. The host's rates are the sum of
 * its measured guests' rates rather than the delta of its totals: a guest that
 * restarted would make the totals go down, and one that stopped would take its
 * whole history out of them.
 */
export function hostLoadBetween(first: HostCounters, second: HostCounters): HostLoad {
  const seconds = (Date.parse(second.at) - Date.parse(first.at)) / 1000;
  const guests: Record<string, Rates> = {};
  const unmeasured = new Set<string>();
  for (const name of Object.keys(second.guests)) {
    const before = Object.hasOwn(first.guests, name) ? first.guests[name] : undefined;
    const r = before ? ratesBetween(before, second.guests[name], seconds) : undefined;
    if (r) guests[name] = r;
    else unmeasured.add(name);
  }
  for (const name of Object.keys(first.guests)) if (!Object.hasOwn(second.guests, name)) unmeasured.add(name);
  const sorted = Object.fromEntries(Object.entries(guests).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const load = sumRates(Object.values(sorted));
  // Memory is a gauge, not a rate: the host's is what all its guests hold at the second read (a guest
  // started in the interval has no rate but does hold memory), and 0 when it runs none.
  if (second.totals.memoryUsedMiB !== undefined) load.memoryUsedMiB = second.totals.memoryUsedMiB;
  else if (Object.keys(second.guests).length === 0) load.memoryUsedMiB = 0;
  return { host: second.host, at: second.at, seconds: round(seconds), load, guests: sorted, unmeasured: [...unmeasured].sort() };
}

import { HvkitError } from '../errors';

/**
 * Cumulative counters of one guest (or of a host: the sum over its guests), as
 * a provider's `stats` verb reports them. Counters only grow while the domain
 * runs; one that went down means the domain restarted (see rates.ts).
 */
export interface Counters {
  /** CPU time used, in seconds, over all vCPUs. */
  cpuSeconds: number;
  diskReadOps: number;
  diskWriteOps: number;
  diskReadBytes: number;
  diskWriteBytes: number;
  netRxBytes: number;
  netTxBytes: number;
  /** Memory the guest really uses now (a gauge, not a counter); absent when the hypervisor cannot tell. */
  memoryUsedMiB?: number;
}

/** The counters a `stats` call reported for one host, at the host's own clock. */
export interface HostCounters {
  host: string;
  /** When the counters were read (ISO 8601, milliseconds). */
  at: string;
  /** Running guests only, by name. */
  guests: Record<string, Counters>;
  /** The same counters summed over the host's guests. */
  totals: Counters;
}

export const COUNTER_KEYS = ['cpuSeconds', 'diskReadOps', 'diskWriteOps', 'diskReadBytes', 'diskWriteBytes', 'netRxBytes', 'netTxBytes'] as const;

/**
 * Reads a `stats` answer (`{"at", "guests": [{"name", ...Counters}], "totals"}`)
 * into HostCounters; throws a one-line HvkitError naming the host and the field
 * when the provider broke the contract.
 */
export function parseStats(host: string, result: Record<string, unknown> | undefined): HostCounters {
  const bad = (what: string): never => {
    throw new HvkitError(`the stats answer of ${host} is not what the provider contract says: ${what} (see providers/README.md)`);
  };
  if (!result) return bad('no JSON result');
  const at = result.at;
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) return bad('"at" is not an ISO 8601 time');
  if (!Array.isArray(result.guests)) return bad('"guests" is not a list');
  const guests: Record<string, Counters> = {};
  for (const [i, g] of (result.guests as unknown[]).entries()) {
    if (typeof g !== 'object' || g === null || typeof (g as { name?: unknown }).name !== 'string') return bad(`guests[${i}] has no name`);
    const name = (g as { name: string }).name;
    guests[name] = countersOf(g as Record<string, unknown>, `guests[${i}] (${name})`, bad);
  }
  const totals = result.totals === undefined ? sumCounters(Object.values(guests)) : countersOf(result.totals as Record<string, unknown>, 'totals', bad);
  return { host, at: new Date(at).toISOString(), guests: Object.fromEntries(Object.entries(guests).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), totals };
}

function countersOf(o: Record<string, unknown>, where: string, bad: (what: string) => never): Counters {
  if (typeof o !== 'object' || o === null) return bad(`${where} is not an object`);
  const c = {} as Counters;
  for (const k of COUNTER_KEYS) {
    const v = o[k] ?? 0;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return bad(`${where}.${k} is not a non-negative number`);
    c[k] = v;
  }
  if (o.memoryUsedMiB !== undefined) {
    if (typeof o.memoryUsedMiB !== 'number' || !Number.isFinite(o.memoryUsedMiB) || o.memoryUsedMiB < 0) return bad(`${where}.memoryUsedMiB is not a non-negative number`);
    c.memoryUsedMiB = o.memoryUsedMiB;
  }
  return c;
}

/** The counters of several guests added up (a host's totals). */
export function sumCounters(list: readonly Counters[]): Counters {
  const sum: Counters = { cpuSeconds: 0, diskReadOps: 0, diskWriteOps: 0, diskReadBytes: 0, diskWriteBytes: 0, netRxBytes: 0, netTxBytes: 0 };
  let memory: number | undefined;
  for (const c of list) {
    for (const k of COUNTER_KEYS) sum[k] += c[k];
    if (c.memoryUsedMiB !== undefined) memory = (memory ?? 0) + c.memoryUsedMiB;
  }
  return memory === undefined ? sum : { ...sum, memoryUsedMiB: memory };
}

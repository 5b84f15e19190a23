import { describe, expect, it } from 'vitest';
import { parseStats, type Counters, type HostCounters } from '../../lib/load/counters';
import { hostLoadBetween, ratesBetween } from '../../lib/load/rates';

const c = (over: Partial<Counters> = {}): Counters => ({ cpuSeconds: 0, diskReadOps: 0, diskWriteOps: 0, diskReadBytes: 0, diskWriteBytes: 0, netRxBytes: 0, netTxBytes: 0, ...over });
const read = (at: string, guests: Record<string, Counters>): HostCounters => ({ host: 'host-a', at, guests, totals: c() });

describe('ratesBetween', () => {
  it('turns counter deltas over 5 s into cores, IOPS, Mbit/s and MB/s', () => {
    const before = c({ cpuSeconds: 100, diskReadOps: 1000, diskWriteOps: 500, diskReadBytes: 4e6, netRxBytes: 1e6, netTxBytes: 2e6 });
    const after = c({ cpuSeconds: 117.5, diskReadOps: 1600, diskWriteOps: 900, diskReadBytes: 9e6, diskWriteBytes: 5e6, netRxBytes: 4.125e6, netTxBytes: 5.125e6, memoryUsedMiB: 3000 });
    expect(ratesBetween(before, after, 5)).toEqual({ cpu: 3.5, iops: 200, netMbps: 10, diskMBps: 2, memoryUsedMiB: 3000 });
  });

  it('gives no rate when a counter went down (the guest restarted), rather than a negative one', () => {
    expect(ratesBetween(c({ cpuSeconds: 500, netRxBytes: 10 }), c({ cpuSeconds: 2, netRxBytes: 20 }), 5)).toBeUndefined();
    expect(ratesBetween(c({ diskWriteOps: 9 }), c({ cpuSeconds: 9, diskWriteOps: 8 }), 5)).toBeUndefined();
  });

  it('gives no rate over an interval that is not positive', () => {
    expect(ratesBetween(c(), c({ cpuSeconds: 1 }), 0)).toBeUndefined();
    expect(ratesBetween(c(), c({ cpuSeconds: 1 }), -5)).toBeUndefined();
  });
});

describe('hostLoadBetween', () => {
  it("sums the host's load over its guests with a rate, and names those without one", () => {
    const first = read('2026-11-27T10:00:00.000Z', { 'web-01': c({ cpuSeconds: 10 }), 'db-01': c({ cpuSeconds: 900 }), 'old-01': c() });
    const second = read('2026-11-27T10:00:05.000Z', { 'web-01': c({ cpuSeconds: 20 }), 'db-01': c({ cpuSeconds: 1 }), 'new-01': c({ cpuSeconds: 3 }), 'mc-01': c() });
    // mc-01 was not in the first read either: it started in between.
    const load = hostLoadBetween({ ...first, guests: { ...first.guests, 'mc-01': c() } }, second);
    expect(load).toEqual({
      host: 'host-a', at: '2026-11-27T10:00:05.000Z', seconds: 5,
      load: { cpu: 2, iops: 0, netMbps: 0, diskMBps: 0 },
      guests: { 'mc-01': { cpu: 0, iops: 0, netMbps: 0, diskMBps: 0 }, 'web-01': { cpu: 2, iops: 0, netMbps: 0, diskMBps: 0 } },
      unmeasured: ['db-01', 'new-01', 'old-01'],
    });
  });

  it("takes the host's memory in use from the second read's totals, a guest started in the interval included", () => {
    const first = read('2026-11-27T10:00:00.000Z', { 'web-01': c({ memoryUsedMiB: 2048 }) });
    const second: HostCounters = {
      ...read('2026-11-27T10:00:05.000Z', { 'web-01': c({ cpuSeconds: 5, memoryUsedMiB: 2048 }), 'new-01': c({ memoryUsedMiB: 4096 }) }),
      totals: c({ cpuSeconds: 5, memoryUsedMiB: 6144 }),
    };
    const load = hostLoadBetween(first, second);
    expect(load.unmeasured).toEqual(['new-01']);
    expect(load.load).toEqual({ cpu: 1, iops: 0, netMbps: 0, diskMBps: 0, memoryUsedMiB: 6144 });
  });

  it('gives a host that runs no guest zero load, memory included', () => {
    expect(hostLoadBetween(read('2026-11-27T10:00:00.000Z', {}), read('2026-11-27T10:00:05.000Z', {})).load).toEqual({ cpu: 0, iops: 0, netMbps: 0, diskMBps: 0, memoryUsedMiB: 0 });
  });
});

describe('parseStats', () => {
  it('reads a stats answer, summing totals when the provider left them out', () => {
    const got = parseStats('host-a', { ok: true, at: '2026-11-27T10:00:00Z', guests: [{ name: 'web-01', cpuSeconds: 1.5, netRxBytes: 10, memoryUsedMiB: 512 }, { name: 'db-01', cpuSeconds: 2 }] });
    expect(Object.keys(got.guests)).toEqual(['db-01', 'web-01']);
    expect(got.at).toBe('2026-11-27T10:00:00.000Z');
    expect(got.totals).toEqual(c({ cpuSeconds: 3.5, netRxBytes: 10, memoryUsedMiB: 512 }));
  });

  it('refuses an answer that breaks the contract in one line naming the host and field', () => {
    expect(() => parseStats('host-a', { at: 'yesterday', guests: [] })).toThrow('the stats answer of host-a is not what the provider contract says: "at" is not an ISO 8601 time');
    expect(() => parseStats('host-a', { at: '2026-11-27T10:00:00Z', guests: [{ name: 'web-01', cpuSeconds: -1 }] })).toThrow('guests[0] (web-01).cpuSeconds is not a non-negative number');
  });
});

import { describe, expect, it } from 'vitest';
import type { HostLoad, Rates } from '../../lib/load/rates';
import type { SampleStore } from '../../lib/load/sample-store';
import { measuredLoad } from '../../lib/load/summary';

const T0 = Date.parse('2026-11-20T00:00:00.000Z');
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const at = (ms: number) => new Date(ms).toISOString();

/**
 * hvkit's clock for the appends of these tests: after every sample they take (the latest is T0 + 7 days
 * 5 minutes), so a store refuses none as "ahead of the clock" whatever the date of the machine running
 * them; left to the real clock, a run before T0 + 7 days would refuse them.
 */
export const CLOCK = at(T0 + 8 * DAY);

/** A sample of `host` at T0 + `offsetMs`, its one guest `web-01` using `cpu` cores. */
export function sample(host: string, offsetMs: number, cpu: number): HostLoad {
  const rates: Rates = { cpu, iops: 10 * cpu, netMbps: cpu / 2, diskMBps: 0.5, memoryUsedMiB: 1024 };
  return { host, at: at(T0 + offsetMs), seconds: 5, load: rates, guests: { [`${host}-web`]: rates }, unmeasured: [] };
}

/**
 * What every measured-load store must do (lib/load/sample-store.ts): the
 * file, pg and memory stores each call this with a factory of empty stores
 * for one fleet, using the default window (5-minute slots, 7 days).
 */
export function sampleStoreConformance(name: string, make: () => Promise<SampleStore>): void {
  describe(`SampleStore conformance: ${name}`, () => {
    const withStore = async (fn: (s: SampleStore) => Promise<void>) => {
      const s = await make();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    };

    it('reads nothing before the first sample, and a sample back exactly as appended', () =>
      withStore(async (s) => {
        expect(await s.read()).toEqual([]);
        const a = { ...sample('host-a', 0, 1.25), unmeasured: ['db-01'] };
        await s.append([a], CLOCK);
        expect(await s.read()).toEqual([a]);
      }));

    it('keeps one sample per host per 5-minute slot: a later one in the slot replaces it, other hosts stay', () =>
      withStore(async (s) => {
        await s.append([sample('host-a', 1 * MIN, 1), sample('host-b', 1 * MIN, 2)], CLOCK);
        await s.append([sample('host-a', 4 * MIN, 3)], CLOCK);
        await s.append([sample('host-a', 6 * MIN, 4)], CLOCK);
        expect((await s.read()).map((x) => [x.host, x.at, x.load.cpu])).toEqual([
          ['host-a', at(T0 + 4 * MIN), 3],
          ['host-b', at(T0 + 1 * MIN), 2],
          ['host-a', at(T0 + 6 * MIN), 4],
        ]);
      }));

    it('keeps the newer sample of a slot when an older one arrives after it, in one batch or the next', () =>
      withStore(async (s) => {
        await s.append([sample('host-a', 4 * MIN, 3)], CLOCK);
        await s.append([sample('host-a', 1 * MIN, 1)], CLOCK);
        await s.append([sample('host-b', 3 * MIN, 5), sample('host-b', 2 * MIN, 6)], CLOCK);
        expect((await s.read()).map((x) => [x.host, x.at, x.load.cpu])).toEqual([
          ['host-a', at(T0 + 4 * MIN), 3],
          ['host-b', at(T0 + 3 * MIN), 5],
        ]);
      }));

    it('drops samples more than 7 days older than the one appended', () =>
      withStore(async (s) => {
        await s.append([sample('host-a', 0, 1)], CLOCK);
        await s.append([sample('host-a', 1 * DAY, 2)], CLOCK);
        await s.append([sample('host-a', 7 * DAY, 3)], CLOCK);
        expect((await s.read()).map((x) => x.load.cpu)).toEqual([1, 2, 3]);
        await s.append([sample('host-a', 7 * DAY + 5 * MIN, 4)], CLOCK);
        expect((await s.read()).map((x) => x.load.cpu)).toEqual([2, 3, 4]);
      }));

    it('keeps a real sample appended after one from a clock a year ahead (the window ends at the sample appended, not the newest kept)', () =>
      withStore(async (s) => {
        // Kept by a hvkit whose own clock was skewed too (HVKIT_LOCAL_NOW, a CI runner's clock).
        const ahead = T0 + 365 * DAY;
        await s.append([sample('host-a', 365 * DAY, 9)], at(ahead));
        await s.append([sample('host-a', 0, 1)], at(T0 + 1 * MIN));
        await s.append([sample('host-a', 5 * MIN, 2)], at(T0 + 6 * MIN));
        expect((await s.read()).map((x) => [x.at, x.load.cpu])).toEqual([[at(T0), 1], [at(T0 + 5 * MIN), 2]]);
      }));

    it('refuses, answering them, samples more than 5 minutes ahead of its clock, and keeps the rest', () =>
      withStore(async (s) => {
        const late = sample('host-b', 365 * DAY, 7);
        const r = await s.append([sample('host-a', 4 * MIN, 1), late, sample('host-c', 0, 3)], at(T0));
        expect(r.refused).toEqual([late]);
        expect((await s.read()).map((x) => x.host)).toEqual(['host-a', 'host-c']);
      }));

    it('prunes by an explicit now, answering how many samples went', () =>
      withStore(async (s) => {
        await s.append([sample('host-a', 0, 1), sample('host-b', 0, 1), sample('host-a', 2 * DAY, 2)], CLOCK);
        expect(await s.prune(at(T0 + 8 * DAY))).toBe(2);
        expect((await s.read()).map((x) => x.load.cpu)).toEqual([2]);
        expect(await s.prune(at(T0 + 8 * DAY))).toBe(0);
      }));

    it('reads from a slot on', () =>
      withStore(async (s) => {
        await s.append([sample('host-a', 0, 1), sample('host-a', 10 * MIN, 2), sample('host-a', 20 * MIN, 3)], CLOCK);
        expect((await s.read(at(T0 + 12 * MIN))).map((x) => x.load.cpu)).toEqual([2, 3]);
      }));

    it('gives p95 and latest per host and guest over the window', () =>
      withStore(async (s) => {
        // 20 samples 5 minutes apart, cpu 1..20: p95 by nearest rank is the 19th.
        for (let i = 1; i <= 20; i++) await s.append([sample('host-a', i * 5 * MIN, i)], CLOCK);
        const m = await measuredLoad(s, at(T0 + 101 * MIN));
        expect(m.hosts['host-a']).toMatchObject({ samples: 20, p95: { cpu: 19, iops: 190 }, latest: { cpu: 20 } });
        expect(m.guests['host-a-web']).toMatchObject({ host: 'host-a', samples: 20, p95: { cpu: 19, memoryUsedMiB: 1024 } });
      }));
  });
}

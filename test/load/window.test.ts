import { describe, expect, it } from 'vitest';
import type { HostLoad } from '../../lib/load/rates';
import { mergeIntoWindow } from '../../lib/load/window';

const T0 = Date.parse('2026-11-20T00:00:00.000Z');
const MIN = 60_000;
const sample = (host: string, ms: number, cpu = 0): HostLoad => ({
  host,
  at: new Date(ms).toISOString(),
  seconds: 5,
  load: { cpu, iops: 0, netMbps: 0, diskMBps: 0, memoryUsedMiB: 0 },
  guests: {},
  unmeasured: [],
});

describe('mergeIntoWindow', () => {
  it('merges into a week of 5-minute samples of 120 hosts (over 200k kept) without throwing', () => {
    const kept: HostLoad[] = [];
    for (let slot = 0; slot < 2016; slot++) for (let h = 0; h < 120; h++) kept.push(sample(`h${String(h).padStart(3, '0')}`, T0 + slot * 5 * MIN));
    expect(kept.length).toBeGreaterThan(200_000);
    const next = [sample('h000', T0 + 2017 * 5 * MIN, 1), sample('h001', T0 + 2017 * 5 * MIN, 2)];
    const out = mergeIntoWindow(kept, next);
    // The new slot pushes the oldest slot (all 120 hosts) out of the 7 days.
    expect(out.length).toBe(kept.length - 120 + 2);
    expect(out.slice(-2).map((s) => s.load.cpu)).toEqual([1, 2]);
    expect(out[0].at).toBe(new Date(T0 + 5 * MIN).toISOString());
  });

  it('merges a batch in one call: several hosts and slots, sorted by slot then host', () => {
    const out = mergeIntoWindow([sample('b', T0 + MIN, 1)], [sample('a', T0 + 6 * MIN, 2), sample('b', T0 + 2 * MIN, 3), sample('a', T0, 4)]);
    expect(out.map((s) => [s.host, s.load.cpu])).toEqual([
      ['a', 4],
      ['b', 3],
      ['a', 2],
    ]);
  });
});

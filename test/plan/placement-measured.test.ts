import { describe, expect, it } from 'vitest';
import { weighedLoads } from '../../lib/capacity/measured';
import type { HostLoad, Rates } from '../../lib/load/rates';
import { summarizeLoad } from '../../lib/load/summary';
import { buildManifest } from '../../lib/manifest/build';
import type { GuestProps, HostProps } from '../../lib/manifest/props';
import type { Manifest, UnplacedGuestSpec } from '../../lib/manifest/types';
import { placeUnplaced } from '../../lib/plan/placement';
import { createPlan } from '../../lib/plan/planner';
import { rebalancePlaced } from '../../lib/plan/rebalance';

/** 4 cores (CPU soft limit 3.1 cores), 8 GiB, one SSD. */
const server: HostProps = { cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['2GiB', '2GiB', '2GiB', '2GiB'] }, disks: [{ name: 'sda', size: '500GiB', kind: 'ssd' }] };
const quiet = (memory: string): GuestProps => ({ role: 'app', vcpus: 1, memory });
const cpuHeavy: GuestProps = { role: 'batch', vcpus: 2, memory: '1GiB', load: { cpu: 2 } };

/** host-a is the fuller one in memory, so with declared load alone the new guest packs onto it. */
function fleet(): Manifest {
  return buildManifest({
    name: 'tokyo', path: 'tokyo', props: {},
    hosts: [
      { name: 'host-a', path: 'tokyo/host-a', props: server, guests: [{ name: 'a-01', path: 'tokyo/host-a/a-01', props: quiet('3GiB') }] },
      { name: 'host-b', path: 'tokyo/host-b', props: server, guests: [{ name: 'b-01', path: 'tokyo/host-b/b-01', props: quiet('1GiB') }] },
    ],
    guests: [{ name: 'new-01', path: 'tokyo/new-01', props: cpuHeavy }],
  });
}

const rates = (cpu: number): Rates => ({ cpu, iops: 0, netMbps: 0, diskMBps: 0 });
const sample = (host: string, at: string, guests: Record<string, number>): HostLoad => ({
  host, at, seconds: 5, guests: Object.fromEntries(Object.entries(guests).map(([g, c]) => [g, rates(c)])),
  load: rates(Object.values(guests).reduce((a, b) => a + b, 0)), unmeasured: [],
});

describe('placement weighs measured load', () => {
  it('puts a new CPU-heavy guest on host-a while declared load says it is idle', () => {
    const r = placeUnplaced(fleet(), undefined);
    expect(r.placements.map((p) => [p.guest, p.host])).toEqual([['new-01', 'host-a']]);
  });

  it('puts it on host-b once host-a is measured CPU-busy, and the guest keeps the load its code declares', () => {
    const m = fleet();
    const measured = summarizeLoad([
      sample('host-a', '2026-11-27T10:00:00.000Z', { 'a-01': 2.6 }),
      sample('host-a', '2026-11-27T10:05:00.000Z', { 'a-01': 2.8 }),
      sample('host-b', '2026-11-27T10:05:00.000Z', { 'b-01': 0.1 }),
    ]);
    const r = placeUnplaced(m, undefined, { measured: weighedLoads(measured) });
    expect(r.diagnostics).toEqual([]);
    expect(r.placements.map((p) => [p.guest, p.host])).toEqual([['new-01', 'host-b']]);
    // The measured load only weighs: the specs the plan diffs are the code's.
    const byName = new Map(r.manifest.guests.map((g) => [g.name, g]));
    expect(byName.get('new-01')!.load).toEqual(m.unplaced![0].load);
    expect(byName.get('a-01')).toBe(m.guests.find((g) => g.name === 'a-01'));
  });
});

describe('placement weighs the larger of declared and measured load', () => {
  it('never picks a host the plan\'s fit check refuses under softLimitsAreErrors: a guest measured idle still counts its declared CPU', () => {
    const strict: HostProps = { ...server, capacity: { softLimitsAreErrors: true } };
    // host-a (fuller in memory) runs a-01, which declares 2 cores but is measured at 0.1; 2 + 2 declared crosses its 3.1-core limit.
    const m = buildManifest({
      name: 'tokyo', path: 'tokyo', props: {},
      hosts: [
        { name: 'host-a', path: 'tokyo/host-a', props: strict, guests: [{ name: 'a-01', path: 'tokyo/host-a/a-01', props: { ...quiet('3GiB'), load: { cpu: 2 } } }] },
        { name: 'host-b', path: 'tokyo/host-b', props: strict, guests: [{ name: 'b-01', path: 'tokyo/host-b/b-01', props: quiet('1GiB') }] },
      ],
      guests: [{ name: 'new-01', path: 'tokyo/new-01', props: cpuHeavy }],
    });
    const idle = summarizeLoad([sample('host-a', '2026-11-27T10:00:00.000Z', { 'a-01': 0.1 }), sample('host-b', '2026-11-27T10:00:00.000Z', { 'b-01': 0.1 })]);
    const r = placeUnplaced(m, undefined, { measured: weighedLoads(idle) });
    expect(r.placements.map((p) => [p.guest, p.host])).toEqual([['new-01', 'host-b']]);
    const plan = createPlan({ manifest: r.manifest, load: idle });
    expect(plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});

describe('rebalancing weighs measured load', () => {
  /** Two hosts whose soft limits are errors, each running one guest hvkit placed; consolidating them empties a host. */
  function spread(): { placed: Manifest; unplaced: UnplacedGuestSpec[] } {
    const strict: HostProps = { ...server, capacity: { softLimitsAreErrors: true } };
    const placed = buildManifest({
      name: 'tokyo', path: 'tokyo', props: {},
      hosts: [
        { name: 'host-a', path: 'tokyo/host-a', props: strict, guests: [{ name: 'a-01', path: 'tokyo/a-01', props: quiet('1GiB') }] },
        { name: 'host-b', path: 'tokyo/host-b', props: strict, guests: [{ name: 'b-01', path: 'tokyo/b-01', props: quiet('1GiB') }] },
      ],
      guests: [],
    });
    return { placed, unplaced: placed.guests.map((g) => ({ ...g, placement: { provider: 'local', selector: {}, group: null } })) };
  }

  it('empties a host while declared load says both guests are idle', () => {
    const { placed, unplaced } = spread();
    expect(rebalancePlaced(placed, unplaced).data.emptied).toHaveLength(1);
  });

  it('moves nothing once the guests are measured too busy to share a host, and never shows their measured load as code', () => {
    const { placed, unplaced } = spread();
    const busy = summarizeLoad([sample('host-a', '2026-11-27T10:00:00.000Z', { 'a-01': 2 }), sample('host-b', '2026-11-27T10:00:00.000Z', { 'b-01': 2 })]);
    const r = rebalancePlaced(placed, unplaced, { measured: weighedLoads(busy) });
    expect(r.data.moves).toEqual([]);
    expect(r.manifest.guests).toEqual(placed.guests);
  });
});


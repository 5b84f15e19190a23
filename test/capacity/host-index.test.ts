import { describe, expect, it } from 'vitest';
import { HostIndex } from '../../lib/capacity/host-index';
import { Packing, type WeighPolicy } from '../../lib/capacity/placement';
import { simGuest, simHost, simulate, type SimulateOptions } from '../../lib/capacity/simulate';
import type { TraceRow } from '../../lib/capacity/trace';
import { generateTrace } from '../../bench/trace';
import { seededRandom } from '../helpers/random';

const POLICIES: WeighPolicy[] = ['hvkit', 'first-fit', 'best-fit'];

/** Hosts small against the guests (16 vCPUs), so a few hundred guests spread over dozens of hosts and every bucket fills. */
const SMALL: SimulateOptions = { host: { cpus: 16, memoryMiB: 64 * 1024 } };
/** Hosts as hvkit's capacity model sees them: reserve and per-guest overhead, vCPU overcommit. */
const MODELLED: SimulateOptions = { host: { cpus: 16, memoryMiB: 64 * 1024 }, overcommit: 2, reserveMiB: 1024 };

/**
 * Random arrivals and departures on two packings kept equal: one asked
 * through `Packing.choose` over every host, one through the index. Hosts are
 * opened as the simulator opens them (one empty host always ready) or fixed.
 */
function compareDecisions(seed: number, policy: WeighPolicy, opts: SimulateOptions, fixedHosts?: number): number {
  const rnd = seededRandom(seed);
  const start = fixedHosts ?? 1;
  const make = () => new Packing(Array.from({ length: start }, (_, i) => ({ spec: simHost(i, opts), guests: [] })));
  const plain = make();
  const indexed = make();
  const index = new HostIndex(indexed, policy);
  let opened = start;
  const placed: { name: string; host: string }[] = [];
  let decisions = 0;
  for (let step = 0; step < 1500; step++) {
    if (placed.length && rnd() < 0.4) {
      const [gone] = placed.splice(Math.floor(rnd() * placed.length), 1);
      plain.remove(gone.host, gone.name);
      indexed.remove(gone.host, gone.name);
      index.update(gone.host);
      continue;
    }
    const vcpus = [1, 2, 4, 8, 16][Math.floor(rnd() * 5)];
    // Whole MiB and, a third of the time, a size seen before: ties between hosts are common.
    const memoryMiB = rnd() < 0.3 ? vcpus * 2048 : Math.max(1, Math.round(vcpus * 1024 * (1 + rnd() * 3)));
    const row: TraceRow = { vmid: `g${step}`, vcpus, memoryMiB, at: step, lt: 1, line: step + 2 };
    const g = simGuest(row);
    const want = plain.choose({ guest: g, provider: 'local' }, { weigh: policy, explain: false });
    const got = index.choose(g);
    decisions++;
    expect(got?.host, `${policy} seed ${seed} step ${step}`).toBe(want.ok ? want.host : undefined);
    if (!want.ok || !got) continue;
    expect(got.usage).toEqual(want.usage);
    const wasEmpty = !plain.inUse(want.host);
    plain.add(want.host, want.guest, want.usage);
    indexed.add(got.host, got.guest, got.usage);
    index.update(got.host);
    placed.push({ name: g.name, host: got.host });
    if (fixedHosts === undefined && wasEmpty && plain.hosts.every((h) => plain.inUse(h))) {
      const spec = simHost(opened++, opts);
      plain.addHost({ spec, guests: [] });
      indexed.appendHost({ spec, guests: [] });
      index.addHost(spec.name);
    }
  }
  return decisions;
}

describe('HostIndex', () => {
  for (const policy of POLICIES) {
    it(`picks the host Packing.choose picks for ${policy}, decision by decision, as hosts fill, empty and open`, () => {
      for (const seed of [1, 2, 3]) expect(compareDecisions(seed, policy, SMALL)).toBeGreaterThan(500);
    });

    it(`picks the host Packing.choose picks for ${policy} with reserve, per-guest overhead and overcommit`, () => {
      for (const seed of [4, 5]) compareDecisions(seed, policy, MODELLED);
    });

    it(`agrees with Packing.choose for ${policy} on a fixed fleet, including which arrivals fit nowhere`, () => {
      for (const seed of [6, 7]) compareDecisions(seed, policy, SMALL, 12);
    });
  }
});

describe('simulate with the host index', () => {
  const strip = (s: ReturnType<typeof simulate>) => JSON.stringify(s, (k, v) => (k === 'decisionsPerSecond' ? undefined : v));
  const variants: [string, SimulateOptions][] = [
    ['unlimited fleet', SMALL],
    ['fixed fleet short of hosts', { ...SMALL, hosts: 40 }],
    ['rebalance', { ...SMALL, rebalance: true }],
    ['reserve and overcommit', MODELLED],
  ];
  for (const [name, opts] of variants) {
    it(`gives the figures Packing.choose over every host gives, for hvkit, First-Fit and Best-Fit (${name}, seeded traces)`, () => {
      for (const seed of [11, 12]) {
        const rows = generateTrace({ seed, arrivals: 2500, concurrency: 500 });
        const indexed = simulate(rows, opts);
        const plain = simulate(rows, { ...opts, index: false });
        expect(strip(indexed)).toBe(strip(plain));
        expect(indexed.peakHosts).toBeGreaterThan(30);
      }
    });
  }
});

import { describe, expect, it } from 'vitest';
import { simulate, type SimulateOptions } from '../../lib/capacity/simulate';
import { parseTrace } from '../../lib/capacity/trace';
import { generateTrace } from '../../bench/trace';

/** Hosts of 4 vCPUs and 8 GiB with nothing held back: textbook bin packing. */
const TEXTBOOK: SimulateOptions = { host: { cpus: 4, memoryMiB: 8192 }, overcommit: 1, reserveMiB: 0, clock: () => 0 };

/**
 * Every VM takes 1 GiB, so vCPUs decide (memory stays at most 4 of 8 GiB).
 *   t=0 A 2 vCPUs (leaves at t=3), B 3 vCPUs: neither host takes both → h0 {A}, h1 {B}.
 *   t=1 C 1 vCPU: First-Fit takes the first host that fits, h0 (3 of 4);
 *       Best-Fit takes the one left fullest, h1 (4 of 4); so does hvkit (h1 ends fuller,
 *       and its stranded memory grows no more than h0's would).
 *   t=2 D 2 vCPUs: First-Fit: h0 has 3, h1 3 → a third host. Best-Fit: h0 has 2 → h0.
 *   t=3 A leaves before E (2 vCPUs) arrives in the same second: Best-Fit puts E where A was (h0);
 *       had E come first, it would have needed a third host.
 * Lower bound at each arrival (⌈Σ vCPUs / 4⌉; memory ⌈Σ GiB / 8⌉ is never larger):
 *   A 2→1, B 5→2, C 6→2, D 8→2, E (A gone) 3+1+2+2=8→2; peak 2.
 * Hosts in use at each arrival: First-Fit 1,2,2,3,3 → peak 3, mean of in-use/bound = (1+1+1+1.5+1.5)/5 = 1.2;
 * Best-Fit and hvkit 1,2,2,2,2 → peak 2, mean 1.
 */
const HAND = `vmid,cpu,mem,at,lt
A,2,1,0,3
B,3,1,0,100
C,1,1,1,100
D,2,1,2,100
E,2,1,3,100
`;

describe('simulate', () => {
  it('gives the hand-worked answers for First-Fit, Best-Fit, hvkit and the lower bound', () => {
    const r = simulate(parseTrace(HAND, 'hand.csv'), TEXTBOOK);
    expect(r).toEqual({
      peakHosts: 2, peakLowerBound: 2, meanHostsOverLowerBound: 1, decisionsPerSecond: expect.any(Number),
      reference: {
        firstFit: { peakHosts: 3, meanHostsOverLowerBound: 1.2, decisionsPerSecond: expect.any(Number) },
        bestFit: { peakHosts: 2, meanHostsOverLowerBound: 1, decisionsPerSecond: expect.any(Number) },
      },
    });
  });

  it('on a fixed fleet of 2 counts what found no room: First-Fit loses D (3 placed before), Best-Fit none', () => {
    const r = simulate(parseTrace(HAND, 'hand.csv'), { ...TEXTBOOK, hosts: 2 });
    expect([r.failedPlacements, r.placedBeforeFirstFailure]).toEqual([0, 5]);
    expect(r.reference.firstFit).toMatchObject({ peakHosts: 2, failedPlacements: 1, placedBeforeFirstFailure: 3 });
    expect(r.reference.bestFit).toMatchObject({ failedPlacements: 0, placedBeforeFirstFailure: 5 });
  });

  /**
   * t=0 P 2 vCPUs, Q 3 vCPUs (leaves at t=10), R 1 vCPU: h0 {P}, h1 {Q, R} (R fills h1).
   * t=10 Q leaves: h1 holds R alone (1 of 4). With --rebalance R moves to h0 (3 of 4): h1 is empty.
   * t=11 T 4 vCPUs: it needs an empty host. Rebalanced: h1 → 2 hosts in use; without: h0 3, h1 1 → a third.
   * Lower bound: at R ⌈6/4⌉ = 2, at T ⌈(2+1+4)/4⌉ = 2.
   */
  it('with rebalance migrates the lone guest off a host so the next large VM needs no new host', () => {
    const trace = parseTrace('vmid,cpu,mem,at,lt\nP,2,1,0,100\nQ,3,1,0,10\nR,1,1,0,100\nT,4,1,11,100\n', 'r.csv');
    const plain = simulate(trace, TEXTBOOK);
    expect([plain.peakHosts, plain.peakLowerBound, plain.migrations]).toEqual([3, 2, undefined]);
    const r = simulate(trace, { ...TEXTBOOK, rebalance: true });
    expect([r.peakHosts, r.migrations]).toEqual([2, 1]);
    // The references never migrate.
    expect(r.reference.bestFit).toEqual(plain.reference.bestFit);
  });

  it('is deterministic: the same trace gives the same figures, all but decisionsPerSecond', () => {
    const rows = generateTrace({ seed: 7, arrivals: 3000, concurrency: 400 });
    const strip = (s: ReturnType<typeof simulate>) => JSON.stringify(s, (k, v) => (k === 'decisionsPerSecond' ? undefined : v));
    const a = simulate(rows, { host: { cpus: 80, memoryMiB: 180 * 1024 }, rebalance: true });
    const b = simulate(generateTrace({ seed: 7, arrivals: 3000, concurrency: 400 }), { host: { cpus: 80, memoryMiB: 180 * 1024 }, rebalance: true });
    expect(strip(a)).toBe(strip(b));
    expect(a.peakHosts).toBeGreaterThanOrEqual(a.peakLowerBound);
  });

  it('leaves out a VM no empty host could take, from every figure, naming its line', () => {
    const s = simulate(parseTrace('vmid,cpu,mem,at,lt\nok,2,1,0,5\nbig,8,1,1,5\n', 'big.csv'), { ...TEXTBOOK, file: 'big.csv' });
    expect(s).toMatchObject({ peakHosts: 1, peakLowerBound: 1, oversized: { count: 1, first: 'big.csv:3', vmid: 'big' } });
    expect(s.reference.bestFit.peakHosts).toBe(1);
    // An unlimited fleet could not have bought a host for it either: it is no failed placement there.
    expect(s.failedPlacements).toBeUndefined();
  });

  /**
   * One host of 16 vCPUs and 64 GiB. t0 #1 5 vCPUs: placed (5). t1 #2 12 vCPUs: 17 > 16, fails.
   * t2 #3 5 vCPUs 40 GiB: placed (10 vCPUs, 41 GiB). t3 #4 5 vCPUs: placed (15).
   * Placed demand never needs more than the one host: bound 1 at every arrival, mean 1.
   * Counting the failed VM too would say 2 hosts (⌈17/16⌉) are needed, above the fleet.
   */
  it('on a fixed fleet bounds only the demand that was placed: one host never has a lower bound of 2', () => {
    const trace = parseTrace('vmid,cpu,mem,at,lt\n1,5,1,0,\n2,12,1,1,\n3,5,40,2,\n4,5,1,3,\n', 'c.csv');
    const s = simulate(trace, { host: { cpus: 16, memoryMiB: 64 * 1024 }, hosts: 1, clock: () => 0 });
    expect(s).toMatchObject({ peakHosts: 1, peakLowerBound: 1, meanHostsOverLowerBound: 1, failedPlacements: 1, placedBeforeFirstFailure: 1 });
    expect(s.reference.firstFit).toMatchObject({ meanHostsOverLowerBound: 1, failedPlacements: 1 });
    expect(s.reference.bestFit).toMatchObject({ meanHostsOverLowerBound: 1, failedPlacements: 1 });
  });

  it('on a fixed fleet short of hosts keeps the lower bound within the fleet and every mean at 1 or more', () => {
    const s = simulate(generateTrace({ seed: 5, arrivals: 2000, concurrency: 500 }), { host: { cpus: 16, memoryMiB: 64 * 1024 }, hosts: 20 });
    expect(s.failedPlacements).toBeGreaterThan(0);
    expect(s.peakLowerBound).toBeLessThanOrEqual(20);
    for (const run of [s, s.reference.firstFit, s.reference.bestFit]) expect(run.meanHostsOverLowerBound).toBeGreaterThanOrEqual(1);
  });

  it('on a fixed fleet counts a VM larger than a host as a failed placement, in arrival order, still naming it as oversized', () => {
    // ok1 placed, big (8 vCPUs > 4) fails, ok2 placed: 1 failure, 1 placed before it.
    const s = simulate(parseTrace('vmid,cpu,mem,at,lt\nok1,2,1,0,5\nbig,8,1,1,5\nok2,1,1,2,5\n', 'big.csv'), { ...TEXTBOOK, hosts: 1, file: 'big.csv' });
    expect([s.failedPlacements, s.placedBeforeFirstFailure]).toEqual([1, 1]);
    expect(s.oversized).toEqual({ count: 1, first: 'big.csv:3', vmid: 'big' });
    expect(s.reference.firstFit).toMatchObject({ failedPlacements: 1, placedBeforeFirstFailure: 1 });
    expect(s.reference.bestFit).toMatchObject({ failedPlacements: 1, placedBeforeFirstFailure: 1 });
  });
});

import { describe, expect, it, vi } from 'vitest';
import { nPlusOne, type AskOf } from '../../lib/capacity/n-plus-one';
import { Packing, type PackHost } from '../../lib/capacity/placement';
import { DEFAULT_CAPACITY } from '../../lib/manifest/defaults';
import type { GuestSpec, HostSpec } from '../../lib/manifest/types';
import { seededRandom } from '../helpers/random';

/*
 * nPlusOne starts each First-Fit scan past hosts known to refuse the guest's
 * shape (on the fleet as it stands, or earlier in the same loss). It must
 * give exactly what scanning every host gives: random fleets whose sizes sit
 * near the guests' (so hosts refuse often), with anti-affinity, soft limits
 * as errors, several disks, two providers and selectors.
 */

function randomHost(rnd: () => number, i: number): HostSpec {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const disks = ['sda', 'sdb'].slice(0, 1 + Math.floor(rnd() * 2)).map((name) => ({ name, sizeMiB: pick([10240, 20480, 51200]), kind: 'ssd' as const, iops: pick([150, 5000]), mbps: 500 }));
  const memoryMiB = pick([4096, 8192, 16384]);
  return {
    name: `h${String(i).padStart(2, '0')}`, path: `f/h${i}`, provider: rnd() < 0.85 ? 'local' : 'xen', address: '', storageDir: '', tags: { rack: pick(['a', 'b']) },
    cpu: { sockets: 1, cores: pick([2, 4]), threads: pick([4, 8]) },
    memory: { slots: 1, maxDimmMiB: memoryMiB, dimmsMiB: [memoryMiB], totalMiB: memoryMiB },
    disks, nics: [{ name: 'eth0', gbps: pick([0.1, 1]) }],
    reserve: { memoryMiB: 512, overheadMiB: 128, vcpus: 0 },
    capacity: { ...DEFAULT_CAPACITY, cpuOvercommit: pick([1, 2, 4]), softLimitsAreErrors: rnd() < 0.5 },
  };
}

function randomGuest(rnd: () => number, name: string, host: HostSpec): GuestSpec {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const vcpus = pick([1, 2, 4]);
  // Few shapes, so many guests share one and the skip is taken often.
  const memoryMiB = pick([1024, 2048, 2048, 3584]);
  return {
    name, path: `f/${name}`, host: host.name, role: 'web', uuid: '', mode: 'pv',
    vcpus, maxVcpus: vcpus, memoryMiB, maxMemoryMiB: memoryMiB,
    disks: Array.from({ length: pick([0, 1, 1, 1, 2]) }, () => ({ sizeMiB: pick([5120, 10240]), on: pick(host.disks).name })),
    nics: [], load: { cpu: pick([0.3, 1.2]), iops: pick([40, 300]), netMbps: pick([10, 80]) },
    antiAffinity: rnd() < 0.2 ? pick(['db', 'web']) : null,
    kernel: null, bootloader: null, cpuWeight: null, cpuCap: null, power: 'running', tags: {},
    lifecycle: { ignoreChanges: [], preventDestroy: false }, movedFrom: null,
  };
}

function randomFleet(seed: number): { hosts: PackHost[]; askOf: AskOf } {
  const rnd = seededRandom(seed);
  const specs = Array.from({ length: 4 + Math.floor(rnd() * 20) }, (_, i) => randomHost(rnd, i));
  let n = 0;
  const hosts = specs.map((spec) => ({ spec, guests: Array.from({ length: Math.floor(rnd() * 8) }, () => randomGuest(rnd, `g${String(n++).padStart(3, '0')}`, spec)) }));
  const provider = new Map(specs.map((h) => [h.name, h.provider]));
  const selected = new Set(hosts.flatMap((h) => h.guests).filter(() => rnd() < 0.3).map((g) => g.name));
  const askOf: AskOf = (guest) => ({ guest, provider: provider.get(guest.host)!, selector: selected.has(guest.name) ? { rack: 'a' } : ({} as Record<string, string>) });
  return { hosts, askOf };
}

/** nPlusOne's answer, and every (host, guest) it re-placed a guest on, in order. */
function run(f: () => ReturnType<typeof nPlusOne>): { losses: ReturnType<typeof nPlusOne>; adds: string[] } {
  const spy = vi.spyOn(Packing.prototype, 'add');
  try {
    const losses = f();
    return { losses, adds: spy.mock.calls.map(([h, g]) => `${h}:${g.name}`) };
  } finally {
    spy.mockRestore();
  }
}

describe('nPlusOne skipping hosts known to refuse', () => {
  it('re-places every guest where scanning every host does, with the same losses, homeless guests and reasons, on 200 random fleets (seeded)', () => {
    let losses = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const { hosts, askOf } = randomFleet(seed);
      const slow = run(() => nPlusOne(new Packing(hosts), askOf, { skipRefused: false }));
      const fast = run(() => nPlusOne(new Packing(hosts), askOf));
      expect(fast.losses, `seed ${seed}`).toEqual(slow.losses);
      // Not only the verdict: every guest of every loss goes where scanning every host sends it.
      expect(fast.adds, `seed ${seed}`).toEqual(slow.adds);
      losses += slow.losses.length;
    }
    // The fleets must be tight enough that losses happen, or the comparison proves little.
    expect(losses).toBeGreaterThan(50);
  });

  it('leaves the packing as it found it', () => {
    const { hosts, askOf } = randomFleet(7);
    const p = new Packing(hosts);
    const before = p.hosts.map((h) => [h, p.usage(h), p.guestsOn(h)]);
    nPlusOne(p, askOf);
    expect(p.hosts.map((h) => [h, p.usage(h), p.guestsOn(h)])).toEqual(before);
  });
});

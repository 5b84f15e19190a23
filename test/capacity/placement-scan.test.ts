import { describe, expect, it } from 'vitest';
import { admit } from '../../lib/capacity/admit';
import { crossesSoft } from '../../lib/capacity/fits';
import { onHost, Packing, type PackHost, type WeighPolicy } from '../../lib/capacity/placement';
import { bestFitScore, hvkitScore } from '../../lib/capacity/weigh';
import { DEFAULT_CAPACITY } from '../../lib/manifest/defaults';
import type { GuestSpec, HostSpec } from '../../lib/manifest/types';
import { seededRandom } from '../helpers/random';

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];

/** Mostly one-disk hosts (the scan's quick figures), some with none or two (the full `admits`); sizes near the guests'. */
function randomHost(rnd: Rnd, name: string): HostSpec {
  const disks = ['sda', 'sdb'].slice(0, pick(rnd, [0, 1, 1, 1, 1, 2])).map((d) => ({ name: d, sizeMiB: pick(rnd, [20480, 51200, 102400]), kind: 'ssd' as const, iops: pick(rnd, [150, 5000]), mbps: 500 }));
  const memoryMiB = pick(rnd, [4096, 8192, 16384]);
  const reserve = pick(rnd, [0, 512]);
  return {
    name, path: `f/${name}`, provider: 'local', address: '', storageDir: '', tags: { rack: pick(rnd, ['a', 'b']) },
    cpu: { sockets: 1, cores: pick(rnd, [2, 4, 8]), threads: pick(rnd, [4, 8, 16]) },
    memory: { slots: 1, maxDimmMiB: memoryMiB, dimmsMiB: [memoryMiB], totalMiB: memoryMiB },
    disks, nics: [{ name: 'eth0', gbps: pick(rnd, [0.1, 1]) }],
    reserve: { memoryMiB: reserve, overheadMiB: Math.min(reserve, pick(rnd, [0, 128])), vcpus: 0 },
    capacity: { ...DEFAULT_CAPACITY, cpuOvercommit: pick(rnd, [1, 2, 4]), overheadPerVcpuMiB: pick(rnd, [0, 3]), softLimitsAreErrors: rnd() < 0.3 },
  };
}

/** A guest of a shape nearly its own (memory, disks and load vary continuously), or one of two repeated shapes. */
function randomGuest(rnd: Rnd, name: string): GuestSpec {
  const repeated = rnd() < 0.2;
  const vcpus = repeated ? 2 : pick(rnd, [1, 2, 4]);
  const memoryMiB = repeated ? pick(rnd, [1024, 2048]) : 256 + Math.floor(rnd() * 3000);
  return {
    name, path: `f/${name}`, host: '', role: 'web', uuid: '', mode: pick(rnd, ['pv', 'hvm'] as const),
    vcpus, maxVcpus: vcpus, memoryMiB, maxMemoryMiB: memoryMiB,
    disks: repeated ? [{ sizeMiB: 10240, on: '' }] : Array.from({ length: pick(rnd, [0, 1, 1, 2]) }, () => ({ sizeMiB: 1024 + Math.floor(rnd() * 20000), on: rnd() < 0.85 ? '' : 'sda' })),
    nics: [], load: repeated ? { cpu: 0.5, iops: 50, netMbps: 10 } : { cpu: Math.floor(rnd() * 25) / 10, iops: pick(rnd, [0, Math.floor(rnd() * 400)]), netMbps: pick(rnd, [0, Math.floor(rnd() * 100)]) },
    antiAffinity: rnd() < 0.1 ? pick(rnd, ['db', 'web']) : null,
    kernel: null, bootloader: null, cpuWeight: null, cpuCap: null, power: 'running', tags: {},
    lifecycle: { ignoreChanges: [], preventDestroy: false }, movedFrom: null,
  };
}

/**
 * The choice by definition: every host in name order through `admit`, ranked
 * by soft limits crossed, in use, then the policy's figure, the earlier name
 * winning a tie. What `choose` must agree with, host and count alike.
 */
function fullScan(p: Packing, g: GuestSpec, policy: WeighPolicy, rack?: string): { host: string; candidates: number } | undefined {
  let best: { host: string; rank: number[] } | undefined;
  let candidates = 0;
  for (const h of p.hosts) {
    if (rack && p.spec(h).tags.rack !== rack) continue;
    const u = p.usage(h);
    if (!admit(u, onHost(g, u)).ok) continue;
    candidates++;
    const rank = policy === 'hvkit' ? [crossesSoft(u, g) ? 1 : 0, p.inUse(h) ? 0 : 1, hvkitScore(u, g)] : [0, 0, bestFitScore(u, g)];
    const before = best === undefined || rank[0] < best.rank[0] || (rank[0] === best.rank[0] && (rank[1] < best.rank[1] || (rank[1] === best.rank[1] && rank[2] < best.rank[2])));
    if (before) best = { host: h, rank };
  }
  return best && { host: best.host, candidates };
}

describe('Packing.choose with a shape per guest', () => {
  it('chooses the host and counts the candidates a full scan through admit does, across placements, departures, restores and added hosts (seeded)', () => {
    const rnd = seededRandom(4242);
    // Every fourth host is of one shape, so hosts tie and the earlier name must win.
    const twin = randomHost(rnd, 'twin');
    const hostAt = (name: string, i: number) => (i % 4 === 0 ? { ...twin, name, path: `f/${name}` } : randomHost(rnd, name));
    const hosts: PackHost[] = Array.from({ length: 60 }, (_, i) => ({ spec: hostAt(`h${String(i * 2).padStart(3, '0')}`, i), guests: [] }));
    const packing = new Packing(hosts);
    const placed: { host: string; name: string }[] = [];
    let agreed = 0;
    let added = 0;
    for (let step = 0; step < 4000; step++) {
      const r = rnd();
      if (placed.length && r < 0.25) {
        const [gone] = placed.splice(Math.floor(rnd() * placed.length), 1);
        packing.remove(gone.host, gone.name);
        continue;
      }
      if (r < 0.27 && placed.length) {
        // A trial undone: the restored hosts must be weighed as they were.
        const hs = [placed[0].host, placed[placed.length - 1].host];
        const snap = packing.snapshot(hs);
        for (const h of hs) for (const g of packing.guestsOn(h)) packing.remove(h, g.name);
        packing.restore(snap);
        continue;
      }
      if (r < 0.28 && added < 20) {
        // Odd names land between the existing hosts.
        packing.addHost({ spec: hostAt(`h${String(added * 6 + 1).padStart(3, '0')}`, added), guests: [] });
        added++;
        continue;
      }
      const g = randomGuest(rnd, `g${step}`);
      const policy: WeighPolicy = rnd() < 0.85 ? 'hvkit' : 'best-fit';
      const rack = rnd() < 0.2 ? 'a' : undefined;
      const got = packing.choose({ guest: g, provider: 'local', ...(rack ? { selector: { rack } } : {}) }, { weigh: policy });
      const want = fullScan(packing, g, policy, rack);
      expect(got.ok ? [got.host, got.why.candidates] : undefined, `step ${step}`).toEqual(want ? [want.host, want.candidates] : undefined);
      if (got.ok) {
        packing.add(got.host, got.guest, got.usage);
        placed.push({ host: got.host, name: g.name });
        agreed++;
      }
    }
    expect(agreed).toBeGreaterThan(1000);
  });

  it('chooses as a full scan does when guests come in runs of one shape, and runs of shapes that differ in one figure (seeded)', () => {
    const rnd = seededRandom(9191);
    const packing = new Packing(Array.from({ length: 40 }, (_, i) => ({ spec: randomHost(rnd, `h${String(i).padStart(3, '0')}`), guests: [] })));
    // Each variant changes one thing `shapeKey` reads, so a shape recognised from the last ask must be the very same.
    const variants: ((g: GuestSpec) => GuestSpec)[] = [
      (g) => g,
      (g) => ({ ...g, memoryMiB: g.memoryMiB + 1 }),
      (g) => ({ ...g, maxMemoryMiB: g.maxMemoryMiB * 2 }),
      (g) => ({ ...g, vcpus: g.vcpus + 1, maxVcpus: g.maxVcpus + 1 }),
      (g) => ({ ...g, mode: g.mode === 'pv' ? 'hvm' : 'pv' }),
      (g) => ({ ...g, load: { ...g.load, iops: g.load.iops + 7 } }),
      (g) => ({ ...g, antiAffinity: g.antiAffinity === null ? 'db' : null }),
      (g) => ({ ...g, disks: g.disks.map((d) => ({ ...d, sizeMiB: d.sizeMiB + 512 })) }),
    ];
    let base = randomGuest(rnd, 'base');
    let n = 0;
    for (let run = 0; run < 300; run++) {
      if (rnd() < 0.3) base = randomGuest(rnd, 'base');
      const shape = pick(rnd, variants)(base);
      for (let k = Math.floor(rnd() * 6); k >= 0; k--) {
        const g = { ...shape, name: `g${n++}` };
        const got = packing.choose({ guest: g, provider: 'local' });
        const want = fullScan(packing, g, 'hvkit');
        expect(got.ok ? [got.host, got.why.candidates] : undefined, `guest ${g.name}`).toEqual(want ? [want.host, want.candidates] : undefined);
        if (got.ok) packing.add(got.host, got.guest, got.usage);
        // Guests leave too, so hosts admit again what they refused.
        if (rnd() < 0.4) {
          const h = pick(rnd, packing.hosts);
          const gone = packing.guestsOn(h)[0];
          if (gone) packing.remove(h, gone.name);
        }
      }
    }
    expect(n).toBeGreaterThan(800);
  });

  it('gives a tie to the earlier name even when the host chosen last (weighed first) is the later one', () => {
    const base = randomHost(seededRandom(7), 'a');
    const spec: HostSpec = { ...base, memory: { slots: 1, maxDimmMiB: 16384, dimmsMiB: [16384], totalMiB: 16384 }, disks: [{ name: 'sda', sizeMiB: 102400, kind: 'ssd', iops: 5000, mbps: 500 }], capacity: { ...base.capacity, softLimitsAreErrors: false } };
    const packing = new Packing([{ spec, guests: [] }, { spec: { ...spec, name: 'b', path: 'f/b' }, guests: [] }]);
    const g: GuestSpec = { ...randomGuest(seededRandom(8), 'first'), vcpus: 1, maxVcpus: 1, memoryMiB: 1000, maxMemoryMiB: 1000, disks: [{ sizeMiB: 5000, on: '' }], load: { cpu: 0.2, iops: 10, netMbps: 1 }, antiAffinity: null };
    const onB = packing.choose({ guest: g, provider: 'local' }, { exclude: new Set(['a']) });
    expect(onB.ok && onB.host).toBe('b');
    packing.add('b', onB.ok ? onB.guest : g);
    packing.remove('b', 'first');
    const r = packing.choose({ guest: { ...g, name: 'second', memoryMiB: 1001 }, provider: 'local' });
    expect(r.ok && r.host).toBe('a');
  });
});

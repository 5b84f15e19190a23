import { describe, expect, it } from 'vitest';
import { admit, hostUsage } from '../../lib/capacity/admit';
import { admits } from '../../lib/capacity/fits';
import { onHost } from '../../lib/capacity/placement';
import { DEFAULT_CAPACITY } from '../../lib/manifest/defaults';
import type { GuestSpec, HostSpec } from '../../lib/manifest/types';
import { seededRandom } from '../helpers/random';

/** A host of random shape: sizes near the guests' so every limit is hit often. */
function randomHost(rnd: () => number, i: number): HostSpec {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const disks = ['sda', 'sdb', 'nvme0'].slice(0, Math.floor(rnd() * 4)).map((name) => ({ name, sizeMiB: pick([0, 10240, 20480, 51200, 102400]), kind: 'ssd' as const, iops: pick([0, 150, 5000]), mbps: 500 }));
  const memoryMiB = pick([1024, 4096, 8192, 16384]);
  const reserve = pick([0, 512, 1024]);
  return {
    name: `h${i}`, path: `f/h${i}`, provider: 'local', address: '', storageDir: '', tags: {},
    cpu: { sockets: 1, cores: pick([1, 2, 4]), threads: pick([2, 4, 8]) },
    memory: { slots: 1, maxDimmMiB: memoryMiB, dimmsMiB: [memoryMiB], totalMiB: memoryMiB },
    disks, nics: rnd() < 0.8 ? [{ name: 'eth0', gbps: pick([0.1, 1]) }] : [],
    reserve: { memoryMiB: reserve, overheadMiB: Math.min(reserve, pick([0, 64, 128])), vcpus: pick([0, 0, 1]) },
    capacity: { ...DEFAULT_CAPACITY, cpuOvercommit: pick([1, 2, 4]), overheadPerVcpuMiB: pick([0, 1, 3]), overheadMemoryDivisor: pick([64, 128, Infinity]), softLimitsAreErrors: rnd() < 0.5 },
  };
}

/** A guest of random shape; its disks name a host disk, one the host lacks, or none ('': placement picks). */
function randomGuest(rnd: () => number, name: string, host: string, placed: boolean): GuestSpec {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const vcpus = pick([1, 2, 4]);
  const memoryMiB = pick([256, 512, 1024, 1536, 2048, 3584]);
  return {
    name, path: `f/${name}`, host, role: 'web', uuid: '', mode: pick(['pv', 'pvh', 'hvm'] as const),
    vcpus, maxVcpus: vcpus + pick([0, 2]), memoryMiB, maxMemoryMiB: memoryMiB * pick([1, 2]),
    disks: Array.from({ length: Math.floor(rnd() * 3) }, () => ({ sizeMiB: pick([1024, 5120, 10240, 20480]), on: placed ? pick(['sda', 'sdb']) : pick(['', '', 'sda', 'sdb', 'sdz']) })),
    nics: [], load: { cpu: pick([0, 0.3, 1.2, 2.5]), iops: pick([0, 40, 300]), netMbps: pick([0, 10, 80]) },
    antiAffinity: rnd() < 0.3 ? pick(['db', 'web']) : null,
    kernel: null, bootloader: null, cpuWeight: null, cpuCap: null, power: 'running', tags: {},
    lifecycle: { ignoreChanges: [], preventDestroy: false }, movedFrom: null,
  };
}

describe('admits (the pre-check placement runs on every host)', () => {
  it('agrees with admit().ok on 20,000 random hosts and guests (seeded)', () => {
    const rnd = seededRandom(14);
    let yes = 0;
    for (let i = 0; i < 20000; i++) {
      const host = randomHost(rnd, i);
      const existing = Array.from({ length: Math.floor(rnd() * 5) }, (_, k) => randomGuest(rnd, `g${k}`, host.name, true));
      const u = hostUsage(host, existing, rnd() < 0.2 ? host.memory.totalMiB / 2 : undefined);
      const guest = randomGuest(rnd, 'new', '', false);
      const expected = admit(u, onHost(guest, u)).ok;
      if (admits(u, guest) !== expected) throw new Error(`case ${i} disagrees: admit says ${expected}\n${JSON.stringify({ host, existing, guest }, null, 1)}`);
      if (expected) yes++;
    }
    // Both verdicts are well represented, or the agreement would mean little.
    expect(yes).toBeGreaterThan(1000);
    expect(yes).toBeLessThan(18000);
  });
});

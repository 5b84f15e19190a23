import { describe, expect, it } from 'vitest';
import { asksOf, keepsNPlusOne, keepsNPlusOneByFullCheck } from '../../lib/capacity/n-plus-one';
import { Packing, type PackHost } from '../../lib/capacity/placement';
import { DEFAULT_CAPACITY } from '../../lib/manifest/defaults';
import type { GuestSpec, HostSpec } from '../../lib/manifest/types';
import { seededRandom } from '../helpers/random';

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];

/** Small hosts, so losses are often only just absorbed and a guest more tips some of them over. */
function randomHost(rnd: Rnd, name: string): HostSpec {
  const memoryMiB = pick(rnd, [6144, 8192, 12288]);
  return {
    name, path: `f/${name}`, provider: 'local', address: '', storageDir: '', tags: {},
    cpu: { sockets: 1, cores: 4, threads: pick(rnd, [4, 8]) },
    memory: { slots: 1, maxDimmMiB: memoryMiB, dimmsMiB: [memoryMiB], totalMiB: memoryMiB },
    disks: [{ name: 'sda', sizeMiB: pick(rnd, [40960, 102400]), kind: 'ssd', iops: 5000, mbps: 500 }], nics: [{ name: 'eth0', gbps: 1 }],
    reserve: { memoryMiB: 512, overheadMiB: 128, vcpus: 0 },
    capacity: { ...DEFAULT_CAPACITY },
  };
}

function randomGuest(rnd: Rnd, name: string, host: string): GuestSpec {
  const memoryMiB = pick(rnd, [512, 1024, 1536, 2048, 3072]);
  const vcpus = pick(rnd, [1, 2]);
  return {
    name, path: `f/${name}`, host, role: 'web', uuid: '', mode: 'pv',
    vcpus, maxVcpus: vcpus, memoryMiB, maxMemoryMiB: memoryMiB,
    disks: [{ sizeMiB: pick(rnd, [5120, 10240]), on: host ? 'sda' : '' }], nics: [], load: { cpu: 0.2, iops: 20, netMbps: 5 },
    antiAffinity: rnd() < 0.1 ? 'db' : null, kernel: null, bootloader: null, cpuWeight: null, cpuCap: null, power: 'running', tags: {},
    lifecycle: { ignoreChanges: [], preventDestroy: false }, movedFrom: null,
  };
}

/** A fleet of a few hosts, filled at random: some hosts' loss absorbed, some (often) beyond it from the start. */
function randomFleet(rnd: Rnd): PackHost[] {
  const hosts = Array.from({ length: 3 + Math.floor(rnd() * 6) }, (_, i) => randomHost(rnd, `h${i}`));
  let n = 0;
  return hosts.map((spec) => ({ spec, guests: Array.from({ length: Math.floor(rnd() * 4) }, () => randomGuest(rnd, `p${n++}`, spec.name)) }));
}

describe("keepsNPlusOne (nPlusOne: 'require' placement)", () => {
  it('answers every host and guest as the full check does, while guests are placed, taken away and tried (seeded random fleets)', () => {
    const rnd = seededRandom(1414);
    let asked = 0;
    let refused = 0;
    for (let fleet = 0; fleet < 60; fleet++) {
      const hosts = randomFleet(rnd);
      // One packing per answer-giver, changed alike: each must see the packing placement hands it.
      const fast = new Packing(hosts);
      const slow = new Packing(hosts);
      const askOf = asksOf(hosts.map((h) => h.spec), {});
      const keeps = keepsNPlusOne(askOf);
      const byDefinition = keepsNPlusOneByFullCheck(askOf);
      for (let step = 0; step < 25; step++) {
        if (rnd() < 0.1) {
          // A guest taken away: the watch cannot catch up on that and must start again.
          const h = pick(rnd, fast.hosts);
          const g = fast.guestsOn(h)[0];
          if (g) {
            fast.remove(h, g.name);
            slow.remove(h, g.name);
          }
          continue;
        }
        const g = randomGuest(rnd, `n${fleet}-${step}`, '');
        const answers = fast.hosts.map((h) => keeps(h, g, fast));
        expect(answers, `fleet ${fleet} step ${step}`).toEqual(slow.hosts.map((h) => byDefinition(h, g, slow)));
        asked += answers.length;
        refused += answers.filter((a) => !a).length;
        // Placed as placement places it: the best host the answers accept, added to both packings.
        const c = fast.choose({ guest: g, provider: 'local' }, { accept: (h, x) => keeps(h, x, fast) });
        const d = slow.choose({ guest: g, provider: 'local' }, { accept: (h, x) => byDefinition(h, x, slow) });
        expect(c.ok ? c.host : c.failure.code).toEqual(d.ok ? d.host : d.failure.code);
        if (c.ok && d.ok) {
          fast.add(c.host, c.guest, c.usage);
          slow.add(d.host, d.guest, d.usage);
        }
      }
    }
    // Both answers occur often enough for the agreement to mean something.
    expect(asked).toBeGreaterThan(5000);
    expect(refused).toBeGreaterThan(asked / 10);
    expect(refused).toBeLessThan(asked * 0.9);
  });

  it('leaves the packing it is asked about as it was (the trials run on its own copy)', () => {
    const rnd = seededRandom(7);
    const hosts = randomFleet(rnd);
    const p = new Packing(hosts);
    const keeps = keepsNPlusOne(asksOf(hosts.map((h) => h.spec), {}));
    const version = p.version;
    for (const h of p.hosts) keeps(h, randomGuest(rnd, 'x', ''), p);
    expect(p.version).toBe(version);
  });
});

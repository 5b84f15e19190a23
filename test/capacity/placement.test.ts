import { describe, expect, it } from 'vitest';
import { Packing, type PackHost } from '../../lib/capacity/placement';
import type { GuestSpec, Manifest } from '../../lib/manifest/types';
import type { HostProps } from '../../lib/manifest/props';
import { WEB_HOST_8G, manifestOf, web, type HostDef } from '../helpers/fleet';
import { seededRandom } from '../helpers/random';

function packingOf(hosts: Record<string, HostDef>): { packing: Packing; m: Manifest } {
  const m = manifestOf(hosts);
  const pack: PackHost[] = m.hosts.map((h) => ({ spec: h, guests: m.guests.filter((g) => g.host === h.name) }));
  return { packing: new Packing(pack), m };
}

/** A guest spec built through the manifest, taken off its host so placement chooses. */
function guestOf(props: Parameters<typeof web>[1] & object, name = 'new'): GuestSpec {
  const m = manifestOf({ tmp: { props: DB_HOST, guests: { [name]: props as never } } });
  return { ...m.guests[0], host: '', disks: m.guests[0].disks.map((d) => ({ ...d, on: '' })) };
}

const DB_HOST: HostProps = { ...WEB_HOST_8G, cpu: { sockets: 1, cores: 8, threads: 16 }, memory: { slots: 4, maxDimm: '8GiB', dimms: ['8GiB', '8GiB'] }, disks: [{ name: 'sda', size: '1TiB', kind: 'ssd', iops: 5000 }] };

describe('Packing.choose', () => {
  it('puts a CPU-heavy web guest on the memory-busy DB host with idle CPU and I/O, not on a memory-only fit', () => {
    const { packing } = packingOf({
      // db-host-01: 16 GiB, the database takes 12 GiB but hardly any CPU.
      'db-host-01': { props: DB_HOST, guests: { db: { role: 'db', vcpus: 2, memory: '12GiB', disks: [{ size: '100GiB', on: 'sda' }], load: { cpu: 0.5, iops: 300 } } } },
      // web-host-01: 8 GiB with a CPU-busy web guest; after the new guest its memory would be the tighter fit.
      'web-host-01': { props: WEB_HOST_8G, guests: { w1: web('3GiB', { load: { cpu: 2.4, iops: 40, netMbps: 80 } }) } },
    });
    const g = guestOf({ role: 'web', vcpus: 2, memory: '2GiB', load: { cpu: 1.5, iops: 20, netMbps: 50 } });
    const r = packing.choose({ guest: g, provider: 'local' });
    expect(r.ok && r.host).toBe('db-host-01');
    expect(r.ok && r.why.uses).toContain('cpu');
  });

  it('without soft limits deciding, prefers the host whose idle CPU the guest uses over one as full whose CPU is busy (Best-Fit cannot tell them apart)', () => {
    const { packing } = packingOf({
      // Both hosts: 4 GiB of guests and 2 vCPUs, so memory and vCPUs are as full on each.
      // a-busy: CPU load 1.6 of 3.1 cores. b-db: CPU load 0.3: its CPU idles beside its memory.
      'a-busy': { props: WEB_HOST_8G, guests: { app: { role: 'app', vcpus: 2, memory: '4GiB', load: { cpu: 1.6 } } } },
      'b-db': { props: WEB_HOST_8G, guests: { pg: { role: 'db', vcpus: 2, memory: '4GiB', load: { cpu: 0.3 } } } },
    });
    const ask = { guest: guestOf({ role: 'web', vcpus: 1, memory: '512MiB', load: { cpu: 1 } }), provider: 'local' as const };
    const r = packing.choose(ask);
    expect(r.ok && [r.host, r.why.softCrossed]).toEqual(['b-db', []]);
    // Best-Fit sees a tie on memory and vCPUs and takes the first name.
    const bf = packing.choose(ask, { weigh: 'best-fit' });
    expect(bf.ok && bf.host).toBe('a-busy');
  });

  it('gives the reason for a choice as it stood when chosen, though it is read after more guests went to that host', () => {
    const fleet = { 'db-host-01': { props: DB_HOST, guests: { db: { role: 'db', vcpus: 2, memory: '12GiB', load: { cpu: 0.5, iops: 300 } } } }, 'web-host-01': { props: WEB_HOST_8G } } as const;
    const g = guestOf({ role: 'web', vcpus: 2, memory: '2GiB', load: { cpu: 1.5, iops: 20, netMbps: 50 } });
    const read = packingOf(fleet).packing;
    const first = read.choose({ guest: g, provider: 'local' });
    const atOnce = JSON.stringify(first.ok && first.why);
    const late = packingOf(fleet).packing;
    const c = late.choose({ guest: g, provider: 'local' });
    if (!c.ok) throw new Error('no host');
    late.add(c.host, c.guest, c.usage);
    // Another guest on the chosen host, so its usage now is not what the reason describes.
    const t = late.tryPlace(c.host, { ...g, name: 'w2', memoryMiB: 256, maxMemoryMiB: 256, load: { cpu: 0.1, iops: 1, netMbps: 1 } });
    if (t.ok) late.add(c.host, t.guest, t.usage);
    expect(late.guestCount(c.host)).toBe(3);
    expect(JSON.parse(atOnce).after.memory).toBeGreaterThan(0.8);
    expect(JSON.stringify(c.why)).toBe(atOnce);
  });

  it('keeps the sticky host while it still admits the guest', () => {
    const { packing } = packingOf({ a: { props: WEB_HOST_8G }, b: { props: WEB_HOST_8G, guests: { w: web('1GiB') } } });
    const g = guestOf({ role: 'web', vcpus: 1, memory: '1GiB' });
    const r = packing.choose({ guest: g, provider: 'local' }, { sticky: 'a' });
    expect(r.ok && [r.host, r.why.sticky]).toEqual(['a', true]);
  });

  it('names the closest host and what it lacks when the guest fits nowhere', () => {
    const { packing } = packingOf({ a: { props: WEB_HOST_8G, guests: { w: web('5GiB') } }, b: { props: WEB_HOST_8G, guests: { x: web('5.5GiB') } } });
    const g = guestOf({ role: 'web', vcpus: 1, memory: '6GiB' });
    const r = packing.choose({ guest: g, provider: 'local' });
    expect(r.ok).toBe(false);
    if (r.ok || r.failure.code !== 'no-fit') throw new Error('expected no-fit');
    expect(r.failure.detail.closest).toBe('a');
    expect(r.failure.detail.short[0]).toMatchObject({ resource: 'memory' });
  });

  it('refuses a host that runs a guest of the same anti-affinity group', () => {
    const db = { role: 'db', vcpus: 1, memory: '1GiB', antiAffinity: 'db' };
    const { packing } = packingOf({ a: { props: WEB_HOST_8G, guests: { 'db-01': db } }, b: { props: WEB_HOST_8G } });
    const r = packing.choose({ guest: guestOf(db, 'db-02'), provider: 'local' });
    expect(r.ok && r.host).toBe('b');
  });

  it('only considers hosts carrying every tag of the selector', () => {
    const tagged = { ...WEB_HOST_8G, tags: { rack: 'b' } };
    const { packing } = packingOf({ a: { props: WEB_HOST_8G, guests: { w: web('1GiB') } }, b: { props: tagged } });
    const r = packing.choose({ guest: guestOf({ role: 'web', vcpus: 1, memory: '1GiB' }), provider: 'local', selector: { rack: 'b' } });
    expect(r.ok && r.host).toBe('b');
    const none = packing.choose({ guest: guestOf({ role: 'web', vcpus: 1, memory: '1GiB' }), provider: 'local', selector: { rack: 'z' } });
    expect(!none.ok && none.failure.code).toBe('no-candidates');
  });

  it('tells a selector apart from one whose tag value spells the other\'s keys (rack "a|zone=b" is not rack a, zone b)', () => {
    const { packing } = packingOf({
      x: { props: { ...WEB_HOST_8G, tags: { rack: 'a|zone=b' } } },
      y: { props: { ...WEB_HOST_8G, tags: { rack: 'a', zone: 'b' } } },
    });
    const g = guestOf({ role: 'web', vcpus: 1, memory: '1GiB' });
    const first = packing.choose({ guest: { ...g, name: 'g1' }, provider: 'local', selector: { rack: 'a|zone=b' } });
    const second = packing.choose({ guest: { ...g, name: 'g2' }, provider: 'local', selector: { rack: 'a', zone: 'b' } });
    expect(first.ok && first.host).toBe('x');
    expect(second.ok && second.host).toBe('y');
  });

  it('prefers a host in use over an empty one', () => {
    const { packing } = packingOf({ a: { props: WEB_HOST_8G }, b: { props: WEB_HOST_8G, guests: { w: web('1GiB') } } });
    const r = packing.choose({ guest: guestOf({ role: 'web', vcpus: 1, memory: '1GiB' }), provider: 'local' });
    expect(r.ok && [r.host, r.why.inUse]).toEqual(['b', true]);
  });

  it('gives a disk without a host disk the one with the most room', () => {
    const two = { ...WEB_HOST_8G, disks: [{ name: 'sda', size: '100GiB' }, { name: 'sdb', size: '200GiB' }] };
    const { packing } = packingOf({ a: { props: two as HostProps } });
    const r = packing.choose({ guest: guestOf({ role: 'web', vcpus: 1, memory: '1GiB', disks: [{ size: '20GiB', on: 'sda' }] }), provider: 'local' });
    expect(r.ok && r.guest.disks).toEqual([{ sizeMiB: 20480, on: 'sdb' }]);
  });

  it('places a guest\'s disks without a host disk largest first, so 100 + 150 GiB fit sda 160 GiB + sdb 110 GiB, in the guest\'s disk order', () => {
    const two = { ...WEB_HOST_8G, disks: [{ name: 'sda', size: '160GiB' }, { name: 'sdb', size: '110GiB' }] };
    const { packing } = packingOf({ a: { props: two as HostProps } });
    const g = guestOf({ role: 'web', vcpus: 1, memory: '1GiB', disks: [{ size: '100GiB', on: 'sda' }, { size: '150GiB', on: 'sda' }] });
    expect(packing.tryPlace('a', g).ok).toBe(true);
    const r = packing.choose({ guest: g, provider: 'local' });
    expect(r.ok && r.guest.disks).toEqual([{ sizeMiB: 102400, on: 'sdb' }, { sizeMiB: 153600, on: 'sda' }]);
  });
});

describe('Packing.choose on many hosts', () => {
  it('picks what a fresh Packing of the same hosts and guests picks, through thousands of random placements, departures, undone trials and added hosts (seeded)', () => {
    const rnd = seededRandom(2026);
    const hostProps = (i: number): HostDef => ({ props: { ...WEB_HOST_8G, memory: { slots: 4, maxDimm: '4GiB', dimms: i % 3 ? ['4GiB', '4GiB'] : ['2GiB', '2GiB', '2GiB', '2GiB'] }, tags: { rack: i % 2 ? 'a' : 'b' } } });
    // 46 hosts in code; the packing starts with 40 and is given the rest along the way (addHost).
    const m = manifestOf(Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`h${String(i).padStart(2, '0')}`, hostProps(i)])));
    const later = m.hosts.slice(40);
    // The truth the cached packing must match: each host's guests, rebuilt from scratch at every step.
    const model = new Map(m.hosts.slice(0, 40).map((h) => [h.name, { spec: h, guests: new Map<string, GuestSpec>() }]));
    const packing = new Packing([...model.values()].map((h) => ({ spec: h.spec, guests: [] })));
    const fresh = () => new Packing([...model.values()].map((h) => ({ spec: h.spec, guests: [...h.guests.values()] })));
    // 0.75, not 0.8: a sum of binary fractions comes back exactly when guests leave, so a fresh packing's figures are the cached one's to the bit.
    const shapes = [guestOf({ role: 'web', vcpus: 1, memory: '512MiB' }), guestOf({ role: 'web', vcpus: 2, memory: '1.5GiB', load: { cpu: 0.75 } }), guestOf({ role: 'db', vcpus: 4, memory: '3GiB', disks: [{ size: '20GiB', on: 'sda' }] })];
    const placed: { host: string; name: string }[] = [];
    let agreed = 0;
    for (let step = 0; step < 3000; step++) {
      if (step % 500 === 499 && later.length) {
        const spec = later.shift()!;
        packing.addHost({ spec, guests: [] });
        model.set(spec.name, { spec, guests: new Map() });
        continue;
      }
      if (placed.length && rnd() < 0.4) {
        const [gone] = placed.splice(Math.floor(rnd() * placed.length), 1);
        packing.remove(gone.host, gone.name);
        model.get(gone.host)!.guests.delete(gone.name);
        continue;
      }
      const shape = shapes[Math.floor(rnd() * shapes.length)];
      const ask = { guest: { ...shape, name: `g${step}` }, provider: 'local' as const, ...(rnd() < 0.3 ? { selector: { rack: 'a' } } : {}) };
      if (rnd() < 0.1) {
        // A trial placement, undone: the cache must forget it.
        const t = packing.choose(ask);
        if (t.ok) {
          const snap = packing.snapshot([t.host]);
          packing.add(t.host, t.guest, t.usage);
          packing.choose(ask);
          packing.restore(snap);
        }
      }
      const cached = packing.choose(ask);
      const truth = fresh().choose(ask);
      expect(cached.ok ? [cached.host, cached.why.candidates] : cached.failure.code, `step ${step}`).toEqual(truth.ok ? [truth.host, truth.why.candidates] : truth.failure.code);
      if (cached.ok) {
        packing.add(cached.host, cached.guest, cached.usage);
        model.get(cached.host)!.guests.set(cached.guest.name, { ...cached.guest, host: cached.host });
        placed.push({ host: cached.host, name: cached.guest.name });
        agreed++;
      }
    }
    expect(agreed).toBeGreaterThan(1000);
    expect(later).toEqual([]);
  });
});

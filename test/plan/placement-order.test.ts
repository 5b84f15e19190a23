import { describe, expect, it } from 'vitest';
import { Packing } from '../../lib/capacity/placement';
import { buildManifest } from '../../lib/manifest/build';
import type { FleetInput, GuestProps, HostProps } from '../../lib/manifest/props';
import type { Manifest } from '../../lib/manifest/types';
import { placeUnplaced } from '../../lib/plan/placement';
import { stateOf } from '../helpers/fleet';

/** 4 cores / 8 threads, 2×4 GiB (or the DIMMs given), one disk: the trial's hosts. */
const server = (tags: Record<string, string>, dimms = ['4GiB', '4GiB']): HostProps => ({
  cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms }, disks: [{ name: 'sda', size: '500GiB' }], tags,
});
const guest = (memory: string, hostSelector?: Record<string, string>, vcpus = 2): GuestProps => ({ role: 'app', vcpus, memory, ...(hostSelector ? { hostSelector } : {}) });

interface Def { hosts: Record<string, { props: HostProps; guests?: Record<string, GuestProps> }>; guests: Record<string, GuestProps> }

/** The fleet as code declares it; `order` permutes hosts and guests (declaration order must not matter). */
function manifest(def: Def, order: <T>(xs: T[]) => T[] = (xs) => xs): Manifest {
  const input: FleetInput = {
    name: 'g', path: 'g', props: {},
    hosts: order(Object.entries(def.hosts)).map(([name, h]) => ({ name, path: `g/${name}`, props: h.props, guests: order(Object.entries(h.guests ?? {})).map(([n, props]) => ({ name: n, path: `g/${name}/${n}`, props })) })),
    guests: order(Object.entries(def.guests)).map(([name, props]) => ({ name, path: `g/${name}`, props })),
  };
  return buildManifest(input);
}

/** p and q each have two hosts they may use; placed greedily, p takes the host q needs, so q fits only after a repair. */
const ROOM: Def = {
  hosts: {
    x: { props: server({ zone: '1', kind: 'p' }), guests: { 'x-pinned': guest('1GiB', undefined, 1) } },
    y: { props: server({ zone: '1', kind: 'q' }), guests: { 'y-pinned': guest('2GiB', undefined, 1) } },
    z: { props: server({ zone: '2', kind: 'q' }), guests: { 'z-pinned': guest('6GiB', undefined, 1) } },
  },
  guests: { p: guest('5GiB', { zone: '1' }), q: guest('5GiB', { kind: 'q' }) },
};

const hostsOf = (r: ReturnType<typeof placeUnplaced>) => Object.fromEntries(r.placements.map((d) => [d.guest, d.host]));

/** A seeded PRNG (LCG): generated fleets are the same on every run. */
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('placeUnplaced: order and repair', () => {
  it('places a guest only one rack can take before a guest any host takes, so both fit (the new-user trial\'s greedy case)', () => {
    const def: Def = {
      hosts: { 'host-a': { props: server({ rack: 'a' }) }, 'host-b': { props: server({ rack: 'b' }) } },
      guests: { big: guest('6GiB'), 'pinned-ish': guest('4GiB', { rack: 'a' }) },
    };
    const r = placeUnplaced(manifest(def), undefined);
    expect(r.diagnostics).toEqual([]);
    expect(hostsOf(r)).toEqual({ big: 'host-b', 'pinned-ish': 'host-a' });
  });

  it('gives the one host carrying two selected tags to the guest that needs both, not to one a second host could take', () => {
    // The trial's p1: a rack-b guest took kvm-02's last room that a rack-b + ssd=yes guest needed.
    const def: Def = {
      hosts: { 'kvm-02': { props: server({ rack: 'b', ssd: 'yes' }) }, 'kvm-03': { props: server({ rack: 'b' }) } },
      guests: { 'api-02': guest('5GiB', { rack: 'b' }), 'db-02': guest('5GiB', { rack: 'b', ssd: 'yes' }) },
    };
    const r = placeUnplaced(manifest(def), undefined);
    expect(r.diagnostics).toEqual([]);
    expect(hostsOf(r)).toEqual({ 'api-02': 'kvm-03', 'db-02': 'kvm-02' });
  });

  it('moves a guest this plan placed to another host to make room for one that fits nowhere else', () => {
    // p and q each have two hosts, so neither goes first for that; p (first by name) takes y, the fuller host,
    // leaving q room nowhere. Moving p to x, which also admits it, lets q have y.
    const def = ROOM;
    const m = manifest(def);
    const r = placeUnplaced(m, undefined);
    expect(r.diagnostics).toEqual([]);
    expect(hostsOf(r)).toEqual({ p: 'x', q: 'y' });
    // The decision and the manifest agree on where the moved guest runs, and pinned guests stayed.
    expect(r.manifest.guests.map((g) => [g.name, g.host])).toEqual([['p', 'x'], ['q', 'y'], ['x-pinned', 'x'], ['y-pinned', 'y'], ['z-pinned', 'z']]);
    expect(r.placements.find((d) => d.guest === 'p')?.why.after.memory).toBeGreaterThan(0.5);
    // Every host admits what it was given: the repair went through the capacity engine.
    const hosts = r.manifest.hosts.map((h) => ({ spec: h, guests: [] }));
    const check = new Packing(hosts);
    for (const g of r.manifest.guests) {
      const t = check.tryPlace(g.host, g);
      expect(t.ok, `${g.name} on ${g.host}`).toBe(true);
      if (t.ok) check.add(g.host, t.guest, t.usage);
    }
  });

  it("moves a guest only where the plan's policy accepts it (nPlusOne 'require' is such a policy)", () => {
    const def = ROOM;
    const r = placeUnplaced(manifest(def), undefined, { accept: (host, g) => !(g.name === 'p' && host === 'x') });
    expect(hostsOf(r)).toEqual({ p: 'y' });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['unplaceable']);
  });

  it('never moves a guest state keeps on its host to make room', () => {
    const def: Def = {
      hosts: { 'host-a': { props: server({ rack: 'a' }) }, 'host-b': { props: server({ rack: 'b' }) } },
      guests: { big: guest('6GiB') },
    };
    // big was placed on host-a when it was alone, and state records it there.
    const first = placeUnplaced(manifest(def), undefined);
    expect(hostsOf(first)).toEqual({ big: 'host-a' });
    const state = stateOf(first.manifest);
    const r = placeUnplaced(manifest({ ...def, guests: { ...def.guests, 'pinned-ish': guest('4GiB', { rack: 'a' }) } }), state);
    expect(r.placements.find((d) => d.guest === 'big')).toMatchObject({ code: 'kept', host: 'host-a' });
    expect(r.diagnostics.map((d) => d.message)).toEqual(['pinned-ish fits no host: needs 4GiB memory, best host host-a has 1.5GiB free']);
  });

  it('says which guests this plan placed took the room, and what to do, when none can move', () => {
    // b is nearly full with a pinned guest; y can only go on a; x then fits nowhere, and y cannot move.
    const def: Def = {
      hosts: { a: { props: server({ rack: 'a' }) }, b: { props: server({ rack: 'b' }), guests: { 'b-pinned': guest('6GiB', undefined, 1) } } },
      guests: { x: guest('5GiB'), y: guest('5GiB', { rack: 'a' }) },
    };
    const r = placeUnplaced(manifest(def), undefined);
    expect(hostsOf(r)).toEqual({ y: 'a' });
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      'x fits no host: needs 5GiB memory, best host a has 2.5GiB free; a would take it without y, placed there by this plan: pin x there (declare it in Host a: pinned guests go first), give y a hostSelector that keeps it off a, or add capacity',
    ]);
  });

  it('says nothing of other guests when the closest host would not take the guest even without them', () => {
    const def: Def = {
      hosts: { a: { props: server({ rack: 'a' }) } },
      guests: { huge: guest('9GiB'), small: guest('1GiB') },
    };
    const r = placeUnplaced(manifest(def), undefined);
    expect(r.diagnostics.map((d) => d.message)).toEqual(['huge fits no host: needs 9GiB memory, best host a has 6.5GiB free']);
  });

  it('places every guest of a generated rack fleet that has a feasible placement (seeded, 60 hosts, about 450 guests)', () => {
    // Feasible by construction: every host is filled to 12 of its 16 GiB with guests made for it; the large ones
    // mostly carry no selector, the small ones mostly that host's rack (or rack and disk kind). Placement then
    // gets them all with no host: largest first alone lets the unbound large guests fill the racks' room.
    const next = rng(7);
    const hosts: Def['hosts'] = {};
    const guests: Def['guests'] = {};
    let n = 0;
    for (let i = 0; i < 60; i++) {
      const t = { rack: `r${i % 6}`, disk: i % 4 === 0 ? 'ssd' : 'hdd' };
      hosts[`hv-${String(i).padStart(2, '0')}`] = { props: server(t, ['4GiB', '4GiB', '4GiB', '4GiB']) };
      let free = 12 * 1024;
      while (free >= 512) {
        const mib = Math.min(free, 512 * (1 + Math.floor(next() * 8)));
        free -= mib;
        const pick = next();
        const bound = mib >= 2048 ? pick < 0.2 : pick < 0.8;
        const selector: Record<string, string> | undefined = !bound ? undefined : next() < 0.7 ? { rack: t.rack } : { rack: t.rack, disk: t.disk };
        guests[`vm-${String(n++).padStart(3, '0')}`] = guest(`${mib}MiB`, selector, 1);
      }
    }
    expect(Object.keys(guests).length).toBeGreaterThan(300);
    const r = placeUnplaced(manifest({ hosts, guests }), undefined);
    expect(r.diagnostics).toEqual([]);
    expect(r.placements.length).toBe(Object.keys(guests).length);
  });

  it('gives a byte-identical placement whatever order code declares hosts and guests in, repair included', () => {
    const def: Def = {
      hosts: { ...ROOM.hosts, w: { props: server({ zone: '2', kind: 'p' }) } },
      guests: { ...ROOM.guests, s: guest('3GiB'), t: guest('1GiB', { zone: '2' }), u: guest('2GiB', { kind: 'p' }) },
    };
    const a = JSON.stringify(placeUnplaced(manifest(def), undefined));
    const shuffle = (seed: number) => <T,>(xs: T[]) => {
      const r = rng(seed);
      return xs.map((x) => [r(), x] as const).sort((p, q) => p[0] - q[0]).map(([, x]) => x);
    };
    for (const seed of [1, 2, 3, 4]) expect(JSON.stringify(placeUnplaced(manifest(def, shuffle(seed)), undefined))).toBe(a);
    expect(JSON.stringify(placeUnplaced(manifest(def, (xs) => [...xs].reverse()), undefined))).toBe(a);
  });
});

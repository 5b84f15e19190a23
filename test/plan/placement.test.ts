import { describe, expect, it } from 'vitest';
import { Packing } from '../../lib/capacity/placement';
import { buildManifest } from '../../lib/manifest/build';
import type { FleetInput, GuestProps, HostProps } from '../../lib/manifest/props';
import type { Manifest } from '../../lib/manifest/types';
import { asksOf, keepsNPlusOne } from '../../lib/capacity/n-plus-one';
import { placedView, placeUnplaced, shortfallText } from '../../lib/plan/placement';
import { stateOf } from '../helpers/fleet';

/** 4 cores / 8 threads, 8 GiB, one SSD: the chapter's homemade server. */
const server = (tags: Record<string, string> = {}, dimms = ['2GiB', '2GiB', '2GiB', '2GiB']): HostProps => ({
  cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms }, disks: [{ name: 'sda', size: '500GiB', kind: 'ssd' }], tags,
});
/** Memory-busy, CPU and I/O idle. */
const db = (memory = '5GiB'): GuestProps => ({ role: 'db', vcpus: 2, memory, disks: [{ size: '100GiB', on: 'sda' }], load: { cpu: 0.3, iops: 200 } });
/** Fuller in memory than the DB host, and busy in CPU (one more web guest crosses its soft limit), I/O and network. */
const busyWeb: GuestProps = { role: 'web', vcpus: 2, memory: '5.75GiB', disks: [{ size: '20GiB', on: 'sda' }], load: { cpu: 2.4, iops: 3000, netMbps: 200 } };
const newWeb = (memory = '1.5GiB', extra: Partial<GuestProps> = {}): GuestProps => ({ role: 'web', vcpus: 2, memory, disks: [{ size: '20GiB' }], load: { cpu: 1, iops: 400, netMbps: 100 }, ...extra });

interface Def { hosts: Record<string, { props: HostProps; guests?: Record<string, GuestProps> }>; guests?: Record<string, GuestProps> }

function manifest(def: Def, reverse = false): Manifest {
  const order = <T,>(xs: T[]) => (reverse ? [...xs].reverse() : xs);
  const input: FleetInput = {
    name: 'tokyo', path: 'tokyo', props: {},
    hosts: order(Object.entries(def.hosts)).map(([name, h]) => ({ name, path: `tokyo/${name}`, props: h.props, guests: order(Object.entries(h.guests ?? {})).map(([g, props]) => ({ name: g, path: `tokyo/${name}/${g}`, props })) })),
    guests: order(Object.entries(def.guests ?? {})).map(([name, props]) => ({ name, path: `tokyo/${name}`, props })),
  };
  return buildManifest(input);
}

const CHAPTER: Def = {
  hosts: { 'db-host-01': { props: server(), guests: { 'db-01': db() } }, 'web-host-02': { props: server(), guests: { 'web-01': busyWeb } } },
  guests: { 'web-09': newWeb() },
};

describe('placeUnplaced', () => {
  it('puts a web guest on the DB host whose CPU and I/O sit idle, not on the memory-only best fit', () => {
    const m = manifest(CHAPTER);
    // Best-Fit on memory alone would pick web-host-02: its hard limits admit the guest and it has less memory left
    // (but its CPU would cross the soft limit, while the DB host's CPU and I/O sit idle).
    const p = new Packing(m.hosts.map((h) => ({ spec: h, guests: m.guests.filter((g) => g.host === h.name) })));
    const there = p.tryPlace('web-host-02', m.unplaced![0]);
    expect(there.ok && there.warnings.map((w) => w.mode)).toEqual(['cpu-load']);
    expect(p.usage('web-host-02').sums.memory).toBeGreaterThan(p.usage('db-host-01').sums.memory);

    const r = placeUnplaced(m, undefined);
    expect(r.diagnostics).toEqual([]);
    expect(r.placements.map((d) => [d.guest, d.code, d.host])).toEqual([['web-09', 'placed', 'db-host-01']]);
    expect(r.placements[0].why.uses).toEqual(expect.arrayContaining(['cpu', 'iops']));
    // Downstream sees an ordinary manifest: the guest on its host, its disk on a host disk, no placement key.
    expect(r.manifest.unplaced).toBeUndefined();
    const g = r.manifest.guests.find((x) => x.name === 'web-09')!;
    expect(g.host).toBe('db-host-01');
    expect(g.disks).toEqual([{ on: 'sda', sizeMiB: 20480 }]);
    expect('placement' in g).toBe(false);
    expect(r.manifest.guests.map((x) => x.name)).toEqual(['db-01', 'web-01', 'web-09']);
  });

  for (const webVcpus of [6, 2]) {
    it(`puts a CPU/IO-heavy web guest on the DB host whose CPU and I/O idle, not on the busy web host with an empty disk (web-01 ${webVcpus} vCPUs)`, () => {
      // The new-user run's fleet: the web host is emptier in disk and network, and fuller in CPU and IOPS.
      const dbHost: HostProps = { cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['4GiB', '4GiB', '4GiB', '4GiB'] }, disks: [{ name: 'sda', size: '1TiB', kind: 'ssd', iops: 2000 }] };
      const webHost: HostProps = { cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['2GiB', '2GiB', '2GiB', '2GiB'] }, disks: [{ name: 'sda', size: '500GiB', kind: 'hdd', iops: 150 }] };
      const m = manifest({
        hosts: {
          'db-host-01': { props: dbHost, guests: { 'db-01': { role: 'db', vcpus: 2, memory: '14GiB', disks: [{ size: '200GiB', on: 'sda' }], load: { cpu: 0.3, iops: 150, netMbps: 40 } } } },
          'web-host-01': { props: webHost, guests: { 'web-01': { role: 'web', vcpus: webVcpus, memory: '6GiB', disks: [{ size: '20GiB', on: 'sda' }], load: { cpu: 1.5, iops: 40, netMbps: 80 } } } },
        },
        guests: { 'web-09': { role: 'web', vcpus: 2, memory: '1GiB', disks: [{ size: '20GiB' }], load: { cpu: 1, iops: 60, netMbps: 50 } } },
      });
      const r = placeUnplaced(m, undefined);
      expect(r.diagnostics).toEqual([]);
      expect(r.placements.map((d) => [d.guest, d.host])).toEqual([['web-09', 'db-host-01']]);
      expect(r.placements[0].why.uses).toEqual(expect.arrayContaining(['cpu', 'iops']));
      expect(r.placements[0].why.uses).not.toContain('disk');
    });
  }

  it('returns a manifest without unplaced guests as it is', () => {
    const m = manifest({ hosts: CHAPTER.hosts });
    const r = placeUnplaced(m, undefined);
    expect(r.manifest).toBe(m);
    expect(r.placements).toEqual([]);
  });

  it('keeps a guest on the host state records, even when a better host is added later (sticky)', () => {
    const first = placeUnplaced(manifest(CHAPTER), undefined).manifest;
    const state = stateOf(first);
    expect(placeUnplaced(manifest(CHAPTER), state).placements.map((d) => [d.code, d.host, d.why.sticky])).toEqual([['kept', 'db-host-01', true]]);
    const bigger = manifest({ ...CHAPTER, hosts: { ...CHAPTER.hosts, 'aa-big-01': { props: server({}, ['4GiB', '4GiB', '4GiB', '4GiB']) } } });
    // Without state the new empty host would not take it either way; what matters is that state keeps it.
    const r = placeUnplaced(bigger, state);
    expect(r.placements.map((d) => [d.code, d.host])).toEqual([['kept', 'db-host-01']]);
    expect(r.manifest.guests.find((g) => g.name === 'web-09')).toEqual(first.guests.find((g) => g.name === 'web-09'));
  });

  it('keeps the host disk state records for a disk code leaves to placement', () => {
    const twoDisks = server();
    const withSdb: HostProps = { ...twoDisks, disks: [...twoDisks.disks, { name: 'sdb', size: '900GiB', kind: 'ssd' }] };
    const def: Def = { hosts: { h1: { props: withSdb } }, guests: { a: newWeb() } };
    const placed = placeUnplaced(manifest(def), undefined).manifest;
    expect(placed.guests[0].disks[0].on).toBe('sdb');
    const recordedOnSda = stateOf({ ...placed, guests: [{ ...placed.guests[0], disks: [{ on: 'sda', sizeMiB: 20480 }] }] });
    expect(placeUnplaced(manifest(def), recordedOnSda).manifest.guests[0].disks).toEqual([{ on: 'sda', sizeMiB: 20480 }]);
  });

  it('re-places a guest whose recorded host can no longer take it, saying what that host lacks', () => {
    const state = stateOf(placeUnplaced(manifest(CHAPTER), undefined).manifest);
    const grown: Def = { ...CHAPTER, hosts: { ...CHAPTER.hosts, 'db-host-01': { props: server(), guests: { 'db-01': db('7GiB') } } }, guests: { 'web-09': newWeb('1GiB') } };
    const r = placeUnplaced(manifest(grown), state);
    expect(r.diagnostics).toEqual([]);
    const [d] = r.placements;
    expect([d.code, d.host, d.from?.host, d.from?.cause.code]).toEqual(['re-placed', 'web-host-02', 'db-host-01', 'no-longer-fits']);
    expect(d.from?.cause).toMatchObject({ short: [{ resource: 'memory', need: expect.any(Number), free: expect.any(Number) }] });
  });

  it('re-places a guest whose recorded host left code', () => {
    const state = stateOf(placeUnplaced(manifest(CHAPTER), undefined).manifest);
    const r = placeUnplaced(manifest({ hosts: { 'web-host-02': CHAPTER.hosts['web-host-02'] }, guests: CHAPTER.guests }), state);
    expect(r.placements.map((d) => [d.code, d.host, d.from])).toEqual([['re-placed', 'web-host-02', { host: 'db-host-01', cause: { code: 'host-gone' } }]]);
  });

  describe('re-placing onto a host whose disks have other names', () => {
    const nvme: HostProps = { ...server(), disks: [{ name: 'nvme0', size: '500GiB', kind: 'ssd' }] };
    const withSdb: HostProps = { ...server(), disks: [{ name: 'sdb', size: '500GiB', kind: 'ssd' }] };
    const recordedOnSdb = () => stateOf(placeUnplaced(manifest({ hosts: { h1: { props: withSdb } }, guests: { a: newWeb() } }), undefined).manifest);

    it('puts the disk code leaves to placement on the new host\'s disk when the old host left code', () => {
      const r = placeUnplaced(manifest({ hosts: { h2: { props: nvme } }, guests: { a: newWeb() } }), recordedOnSdb());
      expect(r.diagnostics).toEqual([]);
      expect(r.placements.map((d) => [d.code, d.host, d.from?.cause.code])).toEqual([['re-placed', 'h2', 'host-gone']]);
      expect(r.manifest.guests[0].disks).toEqual([{ on: 'nvme0', sizeMiB: 20480 }]);
    });

    it('puts it on the new host\'s disk when the old host no longer fits the guest', () => {
      const r = placeUnplaced(manifest({ hosts: { h1: { props: withSdb, guests: { big: { ...db('7GiB'), disks: [] } } }, h2: { props: nvme } }, guests: { a: newWeb() } }), recordedOnSdb());
      expect(r.diagnostics).toEqual([]);
      expect(r.placements.map((d) => [d.code, d.host, d.from?.cause.code])).toEqual([['re-placed', 'h2', 'no-longer-fits']]);
      expect(r.manifest.guests.find((g) => g.name === 'a')!.disks).toEqual([{ on: 'nvme0', sizeMiB: 20480 }]);
    });
  });

  it("keeps a guest on its recorded host under nPlusOne 'require' even where the fleet is then not N+1 (sticky: the N+1 finding says so, placement does not move it)", () => {
    const app = (memory: string): GuestProps => ({ role: 'app', vcpus: 1, memory });
    // 7.5GiB for guests per host. a: 4 + 2; b: 4; c: 3. A 1GiB guest keeps the fleet N+1 only on a; state has it on b.
    const def: Def = {
      hosts: { a: { props: server(), guests: { g1: app('4GiB'), g2: app('2GiB') } }, b: { props: server(), guests: { g3: app('4GiB') } }, c: { props: server(), guests: { g4: app('3GiB') } } },
      guests: { g6: app('1GiB') },
    };
    const m = manifest(def);
    const placed = placeUnplaced(m, undefined).manifest;
    const onB = stateOf({ ...placed, guests: placed.guests.map((g) => (g.name === 'g6' ? { ...g, host: 'b' } : g)) });
    const r = placeUnplaced(m, onB, { accept: keepsNPlusOne(asksOf(m.hosts, m)) });
    expect(r.placements.map((d) => [d.code, d.host])).toEqual([['kept', 'b']]);
    // A new guest of the same size is still placed only where the fleet stays N+1.
    expect(placeUnplaced(m, undefined, { accept: keepsNPlusOne(asksOf(m.hosts, m)) }).placements.map((d) => d.host)).toEqual(['a']);
  });

  it('counts a host at the memory it reports while its DIMMs change, not at what code gives it', () => {
    const app = (memory: string): GuestProps => ({ role: 'app', vcpus: 1, memory });
    const m = manifest({ hosts: { a: { props: server(), guests: { p1: app('1GiB') } }, b: { props: server(), guests: { p2: app('1GiB') } } }, guests: { u1: app('4GiB') } });
    expect(placeUnplaced(m, undefined).placements.map((d) => d.host)).toEqual(['a']);
    const state = stateOf({ ...m, guests: m.guests });
    // a reports 4GiB of its coded 8GiB (two DIMMs failed or not yet fitted): 3.5GiB for guests, 1 taken.
    state.hosts.a.installedMiB = 4096;
    const r = placeUnplaced(m, state);
    expect(r.diagnostics).toEqual([]);
    expect(r.placements.map((d) => d.host)).toEqual(['b']);
  });

  it('gives byte-identical results for the same code and state, whatever order code declares hosts and guests in', () => {
    const def: Def = { ...CHAPTER, guests: { 'web-09': newWeb(), 'web-10': newWeb('1GiB'), 'api-01': newWeb('512MiB', { load: { cpu: 0.2 } }) } };
    const a = placeUnplaced(manifest(def), undefined);
    const b = placeUnplaced(manifest(def, true), undefined);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(placeUnplaced(manifest(def), undefined))).toBe(JSON.stringify(a));
  });

  it('places the largest guest first, so two guests that fit only that way both fit', () => {
    const def: Def = {
      hosts: { h1: { props: server({}, ['2GiB', '2GiB']) }, h2: { props: server({}, ['2GiB']) } },
      guests: { small: newWeb('1GiB', { load: {} }), large: newWeb('3GiB', { load: {} }) },
    };
    const r = placeUnplaced(manifest(def), undefined);
    expect(r.diagnostics).toEqual([]);
    expect(r.placements.map((d) => [d.guest, d.host])).toEqual([['large', 'h1'], ['small', 'h2']]);
  });

  it('never puts two guests of one anti-affinity group on a host', () => {
    const def: Def = {
      hosts: { h1: { props: server() }, h2: { props: server() } },
      guests: { 'db-a': { ...db('1GiB'), disks: [], antiAffinity: 'db' }, 'db-b': { ...db('1GiB'), disks: [], antiAffinity: 'db' } },
    };
    const r = placeUnplaced(manifest(def), undefined);
    expect(new Set(r.placements.map((d) => d.host)).size).toBe(2);
  });

  it('only uses hosts carrying the selected tags, even when another host scores better', () => {
    const def: Def = { hosts: { ...CHAPTER.hosts, 'web-host-02': { ...CHAPTER.hosts['web-host-02'], props: server({ rack: 'b' }) } }, guests: { 'web-09': newWeb('1.5GiB', { hostSelector: { rack: 'b' } }) } };
    expect(placeUnplaced(manifest(def), undefined).placements.map((d) => d.host)).toEqual(['web-host-02']);
  });

  it('is an error naming the guest, the closest host and what it lacks when the guest fits nowhere', () => {
    const r = placeUnplaced(manifest({ ...CHAPTER, guests: { 'web-09': newWeb('6GiB') } }), undefined);
    expect(r.placements).toEqual([]);
    expect(r.manifest.guests.map((g) => g.name)).toEqual(['db-01', 'web-01']);
    expect(r.diagnostics).toEqual([{ severity: 'error', code: 'unplaceable', path: 'tokyo/web-09', message: 'web-09 fits no host: needs 6GiB memory, best host db-host-01 has 2.5GiB free' }]);
  });

  it('names the closest host and its shortfall after every other guest is placed, as the plan\'s fit table shows the hosts', () => {
    // big-01 (6 GiB) is tried first, while db-host-01 still has 2.5 GiB free; web-10 then takes 1 GiB of it, leaving web-host-02 closest.
    const r = placeUnplaced(manifest({ ...CHAPTER, guests: { 'big-01': newWeb('6GiB'), 'web-10': newWeb('1GiB') } }), undefined);
    expect(r.placements.map((d) => [d.guest, d.host])).toEqual([['web-10', 'db-host-01']]);
    expect(r.diagnostics.map((d) => d.message)).toEqual(['big-01 fits no host: needs 6GiB memory, best host web-host-02 has 1.75GiB free']);
  });

  it('writes a shortfall\'s need and free size in one unit', () => {
    expect(shortfallText([{ resource: 'memory', need: 6446, free: 1280 }], 'best host h-a1')).toBe('needs 6.29GiB memory, best host h-a1 has 1.25GiB free');
    expect(shortfallText([{ resource: 'disk', need: 1025, free: 1024, detail: 'sdb' }], 'best host h-a1')).toBe('needs 1025MiB on disk sdb, best host h-a1 has 1024MiB free');
  });

  it("names a selector key no host carries and the host tag it most likely meant ('sdd' for 'ssd')", () => {
    const def: Def = { hosts: { ...CHAPTER.hosts, 'web-host-02': { ...CHAPTER.hosts['web-host-02'], props: server({ rack: 'a', ssd: 'yes' }) } }, guests: { 'web-09': newWeb('1GiB', { hostSelector: { rack: 'a', sdd: 'yes' } }) } };
    const r = placeUnplaced(manifest(def), undefined);
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      "web-09 fits no host: no host of provider local carries tags rack=a, sdd=yes (no host has a tag 'sdd'; did you mean 'ssd'?); add one, or change the guest's hostSelector",
    ]);
  });

  it('is an error saying no host carries the tags when none matches the selector', () => {
    const r = placeUnplaced(manifest({ ...CHAPTER, guests: { 'web-09': newWeb('1GiB', { hostSelector: { rack: 'c' } }) } }), undefined);
    expect(r.diagnostics.map((d) => d.message)).toEqual(["web-09 fits no host: no host of provider local carries tags rack=c (no host has a tag 'rack'); add one, or change the guest's hostSelector"]);
  });

  it('keeps a recorded guest that fits nowhere on its host, so the plan shows the trouble rather than deleting it', () => {
    const state = stateOf(placeUnplaced(manifest(CHAPTER), undefined).manifest);
    const r = placeUnplaced(manifest({ ...CHAPTER, guests: { 'web-09': newWeb('7GiB') } }), state);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['unplaceable']);
    expect(r.manifest.guests.find((g) => g.name === 'web-09')?.host).toBe('db-host-01');
  });
});

describe('placedView', () => {
  it("places as the plan does under nPlusOne 'require', so capacity, parent and start see the plan's hosts", () => {
    const app = (memory: string): GuestProps => ({ role: 'app', vcpus: 1, memory });
    // 7.5GiB for guests per host. a: 5 + 2; b: 1; c: 5. A new 1GiB guest weighs best on c (the fuller host in use),
    // but with it there losing a leaves a1 (2GiB) nowhere: a0 takes b down to 1.5GiB free, c has 1.5. On b the fleet stays N+1.
    const warn = manifest({
      hosts: { a: { props: server(), guests: { a0: app('5GiB'), a1: app('2GiB') } }, b: { props: server(), guests: { b0: app('1GiB') } }, c: { props: server(), guests: { c0: app('5GiB') } } },
      guests: { g6: app('1GiB') },
    });
    const required: Manifest = { ...warn, nPlusOne: 'require' };
    const host = (m: Manifest) => m.guests.find((g) => g.name === 'g6')!.host;
    expect(host(placedView(warn, undefined))).toBe('c');
    expect(host(placeUnplaced(required, undefined, { accept: keepsNPlusOne(asksOf(required.hosts, required)) }).manifest)).toBe('b');
    expect(host(placedView(required, undefined))).toBe('b');
  });
});

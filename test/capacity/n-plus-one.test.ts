import { describe, expect, it } from 'vitest';
import { asksOf, homelessText, keepsNPlusOne, nPlusOne, NPlusOneWatch, packingOf } from '../../lib/capacity/n-plus-one';
import type { GuestProps } from '../../lib/manifest/props';
import type { GuestSpec, Manifest, UnplacedGuestSpec } from '../../lib/manifest/types';
import { manifestOf, WEB_HOST_8G, type HostDef } from '../helpers/fleet';

/*
 * Every host below is WEB_HOST_8G: 8GiB, of which the 512MiB reserve leaves
 * 7.5GiB for guests (one-vCPU guests' overhead, 1 + 8MiB per GiB, stays
 * inside the reserve's 128MiB allowance here), 32 vCPUs, a 500GiB disk sda.
 */
const app = (memory: string, extra: Partial<GuestProps> = {}): GuestProps => ({ role: 'app', vcpus: 1, memory, ...extra });
const fleet = (hosts: Record<string, Record<string, GuestProps>>, other: Record<string, HostDef> = {}): Manifest =>
  manifestOf({ ...Object.fromEntries(Object.entries(hosts).map(([h, guests]) => [h, { props: WEB_HOST_8G, guests }])), ...other });
const losses = (m: Manifest) => nPlusOne(packingOf(m), asksOf(m.hosts, m)).map((l) => ({ host: l.host, homeless: l.homeless.map(homelessText) }));

// a: g1 4GiB + g2 2GiB (1.5GiB free); b: g3 4GiB (3.5 free); c: g4 3GiB (4.5 free).
const N_PLUS_ONE = { a: { g1: app('4GiB'), g2: app('2GiB') }, b: { g3: app('4GiB') }, c: { g4: app('3GiB') } };

describe('nPlusOne: can the fleet recreate any one host’s guests on the others', () => {
  it('absorbs every loss of a fleet worked by hand', () => {
    // lose a: g1 4GiB → c (4.5 free; b has 3.5), g2 2GiB → b (3.5 free).
    // lose b: g3 4GiB → c (4.5 free). lose c: g4 3GiB → b (3.5 free).
    expect(losses(fleet(N_PLUS_ONE))).toEqual([]);
  });

  it('names each host whose loss cannot be absorbed, the guests left homeless and what they lack', () => {
    // g5 2GiB on c: c has 2.5GiB free.
    // lose a: g1 4GiB fits neither b (3.5 free) nor c (2.5): closest b, short 0.5GiB; g2 2GiB still finds a host.
    // lose b: g3 4GiB fits neither a (1.5 free) nor c (2.5): closest c.
    // lose c: g4 3GiB → b (3.5 free, 0.5 left); then g5 2GiB fits neither a (1.5) nor b (0.5): closest a.
    const m = fleet({ ...N_PLUS_ONE, c: { g4: app('3GiB'), g5: app('2GiB') } });
    expect(losses(m)).toEqual([
      { host: 'a', homeless: ['g1 (closest b: needs 4GiB memory, 3.5GiB free)'] },
      { host: 'b', homeless: ['g3 (closest c: needs 4GiB memory, 2.5GiB free)'] },
      { host: 'c', homeless: ['g5 (closest a: needs 2GiB memory, 1.5GiB free)'] },
    ]);
  });

  it('leaves the packing exactly as it found it, usage figures included', () => {
    const m = fleet({ ...N_PLUS_ONE, c: { g4: app('3GiB'), g5: app('2GiB') } });
    const p = packingOf(m);
    const before = p.hosts.map((h) => p.usage(h));
    nPlusOne(p, asksOf(m.hosts, m));
    expect(p.hosts.map((h) => p.usage(h))).toEqual(before);
    p.hosts.forEach((h, i) => expect(p.usage(h)).toBe(before[i]));
  });

  it('keeps anti-affinity when recreating: a db guest cannot join the other db guest', () => {
    const m = fleet({ a: { 'db-01': app('1GiB', { antiAffinity: 'db' }) }, b: { 'db-02': app('1GiB', { antiAffinity: 'db' }) } });
    expect(losses(m)).toEqual([
      { host: 'a', homeless: ['db-01 (closest b: already runs a guest of anti-affinity group db)'] },
      { host: 'b', homeless: ['db-02 (closest a: already runs a guest of anti-affinity group db)'] },
    ]);
    // A third host takes either one.
    expect(losses(fleet({ a: { 'db-01': app('1GiB', { antiAffinity: 'db' }) }, b: { 'db-02': app('1GiB', { antiAffinity: 'db' }) }, c: {} }))).toEqual([]);
  });

  it('recreates guest disks on whichever host disk the other host has', () => {
    const nvme = { ...WEB_HOST_8G, disks: [{ name: 'nvme0', size: '500GiB', kind: 'nvme' as const }] };
    const m = fleet({ a: { g1: app('1GiB', { disks: [{ size: '100GiB', on: 'sda' }] }) } }, { b: { props: nvme } });
    expect(losses(m)).toEqual([]);
    // The disk counts: 600GiB fits no 500GiB disk.
    const big = fleet({ a: { g1: app('1GiB', { disks: [{ size: '300GiB', on: 'sda' }, { size: '300GiB', on: 'sda' }] }) } }, { b: { props: nvme } });
    expect(losses(big)[0].homeless).toEqual(['g1 (closest b: needs 600GiB on disk nvme0, 500GiB free)']);
  });

  it('recreates a placed guest\'s disk that code puts on sda only on a host with an sda; one code leaves to placement anywhere', () => {
    const nvme = { ...WEB_HOST_8G, disks: [{ name: 'nvme0', size: '500GiB', kind: 'nvme' as const }] };
    const m = fleet({ a: { g1: app('1GiB', { disks: [{ size: '100GiB', on: 'sda' }] }) } }, { b: { props: nvme } });
    const asPlaced = (on: string): UnplacedGuestSpec => ({ ...m.guests[0], host: '', disks: [{ sizeMiB: 102400, on }], placement: { provider: 'local', selector: {}, group: null } });
    const homeless = (on: string) => nPlusOne(packingOf(m), asksOf(m.hosts, { unplaced: [asPlaced(on)] })).map((l) => l.homeless.map((h) => h.guest));
    expect(homeless('sda')).toEqual([['g1']]);
    expect(homeless('')).toEqual([]);
  });

  it('recreates a pinned guest only on a host of the same provider', () => {
    const m = fleet({ a: { g1: app('1GiB') } }, { x: { props: { ...WEB_HOST_8G, provider: 'xen' } } });
    expect(losses(m)).toEqual([{ host: 'a', homeless: ['g1 (no other local host)'] }]);
  });

  it('recreates a guest hvkit placed only on hosts its selector allows', () => {
    const m = fleet({ a: { g1: app('1GiB') } }, { b: { props: { ...WEB_HOST_8G, tags: { rack: 'r2' } } } });
    const g1 = m.guests[0];
    const placed: UnplacedGuestSpec = { ...g1, host: '', placement: { provider: 'local', selector: { rack: 'r1' }, group: null } };
    expect(nPlusOne(packingOf(m), asksOf(m.hosts, { unplaced: [placed] })).map((l) => l.homeless.map(homelessText))).toEqual([['g1 (no other local host with rack=r1)']]);
    expect(nPlusOne(packingOf(m), asksOf(m.hosts, m))).toEqual([]);
  });
});

describe('keeping the fleet N+1 while adding guests', () => {
  const extra = (m: Manifest, name: string, memoryMiB: number): GuestSpec => ({ ...m.guests[0], name, path: name, memoryMiB, maxMemoryMiB: memoryMiB, host: '' });

  it('accepts a 1GiB guest only on a, the one host where every loss is still absorbed', () => {
    const m = fleet(N_PLUS_ONE);
    const g6 = extra(m, 'g6', 1024);
    const p = packingOf(m);
    const keeps = keepsNPlusOne(asksOf(m.hosts, m));
    const accept = (h: string, g: GuestSpec) => keeps(h, g, p);
    // On a (0.5 free after): lose a → g1 to c, g2 and g6 to b (3.5 free); lose b → g3 to c; lose c → g4 to b.
    expect(accept('a', g6)).toBe(true);
    // On b (2.5 free after): lose c → g4 3GiB fits neither a (1.5) nor b (2.5).
    expect(accept('b', g6)).toBe(false);
    // On c (3.5 free after): lose a → g1 4GiB fits neither b (3.5) nor c (3.5).
    expect(accept('c', g6)).toBe(false);
    const watch = new NPlusOneWatch(packingOf(m), asksOf(m.hosts, m));
    expect(['a', 'b', 'c'].map((h) => watch.keeps(h, g6))).toEqual([true, false, false]);
  });

  it('refuses a 2GiB guest everywhere: placement then fails as not accepted', () => {
    const m = fleet(N_PLUS_ONE);
    const p = packingOf(m);
    const g5 = extra(m, 'g5', 2048);
    const keeps = keepsNPlusOne(asksOf(m.hosts, m));
    expect(p.choose({ guest: g5, provider: 'local' }, { accept: (h, g) => keeps(h, g, p) })).toEqual({ ok: false, failure: { code: 'not-accepted', detail: { candidates: 2 } } });
  });

  it('does not hold hosts already beyond N+1 against every new guest', () => {
    // lose a: g1 7GiB fits neither b (3.5 free) nor c (4.5 free).
    const m = fleet({ a: { g1: app('7GiB') }, b: { g3: app('4GiB') }, c: { g4: app('3GiB') } });
    const watch = new NPlusOneWatch(packingOf(m), asksOf(m.hosts, m));
    expect(watch.beyond).toEqual(['a']);
    // A 512MiB guest on c (4GiB free after): lose b → g3 4GiB to c; lose c → g4 and it to b. a stays beyond, as it was.
    expect(watch.keeps('c', extra(m, 'small', 512))).toBe(true);
    expect(keepsNPlusOne(asksOf(m.hosts, m))('c', extra(m, 'small', 512), packingOf(m))).toBe(true);
  });
});

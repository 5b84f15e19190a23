import { describe, expect, it } from 'vitest';
import { emptiableHosts, type FleetHost } from '../../lib/capacity/emptiable';
import { Packing } from '../../lib/capacity/placement';
import { evacuate, rebalance } from '../../lib/capacity/rebalance';
import type { Manifest } from '../../lib/manifest/types';
import { WEB_HOST_8G, manifestOf, memcached, web, type HostDef } from '../helpers/fleet';

const SMALL_DISK = { ...WEB_HOST_8G, disks: [{ name: 'sda', size: '100GiB', kind: 'hdd' as const, iops: 150 }] };

function hostsOf(m: Manifest): FleetHost[] {
  return m.hosts.map((h) => ({ spec: h, guests: m.guests.filter((g) => g.host === h.name) }));
}
const emptiable = (hosts: Record<string, HostDef>) => emptiableHosts(hostsOf(manifestOf(hosts)));

describe('emptiable hosts: whose guests would all fit elsewhere', () => {
  it('empties a host onto another in use with room, saying where each guest goes', () => {
    // a: 512MiB reserve + 1GiB; b: 512MiB + 1GiB: either takes the other's guest.
    expect(emptiable({ a: { props: WEB_HOST_8G, guests: { g1: web('1GiB') } }, b: { props: WEB_HOST_8G, guests: { g2: web('1GiB') } } })).toEqual([
      { host: 'a', moves: [{ guest: 'g1', to: 'b' }] },
      { host: 'b', moves: [{ guest: 'g2', to: 'a' }] },
    ]);
  });

  it("follows code's placement rules when given the guests hvkit placed: a pinned guest stays, a selector limits where one goes", () => {
    const m = manifestOf({
      a: { props: { ...WEB_HOST_8G, tags: { rack: 'r1' } }, guests: { g1: web('1GiB') } },
      b: { props: { ...WEB_HOST_8G, tags: { rack: 'r2' } }, guests: { g2: web('1GiB') } },
    });
    // Every guest movable within its provider: either host empties onto the other.
    expect(emptiableHosts(hostsOf(m)).map((e) => e.host)).toEqual(['a', 'b']);
    // g1 was placed by hvkit with selector rack=r1 (only a carries it); g2 is pinned in code on b.
    const movable = new Map([['g1', { provider: 'local' as const, selector: { rack: 'r1' } }]]);
    expect(emptiableHosts(hostsOf(m), movable)).toEqual([]);
    expect(emptiableHosts(hostsOf(m), new Map([['g1', { provider: 'local' as const }]]))).toEqual([{ host: 'a', moves: [{ guest: 'g1', to: 'b' }] }]);
  });

  it('does not count emptying a host onto one that runs nothing: the hosts in use would not go down', () => {
    expect(emptiable({ a: { props: WEB_HOST_8G, guests: { g1: web('1GiB') } }, b: { props: WEB_HOST_8G } })).toEqual([]);
  });

  it('agrees with the rebalancer: the first host plan --rebalance empties moves exactly as the report says', () => {
    const hosts = {
      a: { props: WEB_HOST_8G, guests: { g1: web('1GiB') } },
      b: { props: WEB_HOST_8G, guests: { g2: web('2GiB'), g3: memcached() } },
      c: { props: WEB_HOST_8G, guests: { g4: web('3GiB') } },
    };
    const m = manifestOf(hosts);
    const fleet = hostsOf(m);
    const movable = new Map(m.guests.map((g) => [g.name, { provider: 'local' as const }]));
    const r = rebalance(new Packing(fleet), movable, { stranded: false });
    expect(r.emptied.length).toBeGreaterThan(0);
    const first = r.emptied[0];
    const report = emptiableHosts(fleet).find((e) => e.host === first);
    expect(report?.moves).toEqual(r.moves.filter((mv) => mv.from === first).map((mv) => ({ guest: mv.guest, to: mv.to })));
    for (const e of emptiableHosts(fleet)) expect(evacuate(new Packing(fleet), e.host, movable)).toMatchObject({ ok: true, moves: e.moves.map((mv) => expect.objectContaining(mv)) });
  });

  it('rejects a target whose disk is too small for the guest’s disk', () => {
    // b runs a guest with a 20GiB disk (80GiB of its 100GiB free): a's 200GiB disk fits nowhere; b's guest fits on a.
    const hosts = { a: { props: WEB_HOST_8G, guests: { g1: web('1GiB', { disks: [{ size: '200GiB', on: 'sda' }] }) } }, b: { props: SMALL_DISK, guests: { g2: web('1GiB') } } };
    expect(emptiable(hosts)).toEqual([{ host: 'b', moves: [{ guest: 'g2', to: 'a' }] }]);
  });

  it('rejects a target that already runs a guest of the same anti-affinity group', () => {
    const db = { role: 'db', vcpus: 1, memory: '1GiB', antiAffinity: 'db' };
    expect(emptiable({ a: { props: WEB_HOST_8G, guests: { 'db-01': db } }, b: { props: WEB_HOST_8G, guests: { 'db-02': db } } })).toEqual([]);
  });

  it('counts the guests already sent to a target: two 3 GiB guests do not both fit in 4 GiB of room', () => {
    // b commits 512 MiB reserve + 3.5 GiB of web: 4 GiB of 8 GiB left, room for g1 or g2 but not both;
    // a, with 6.5 GiB committed, has no room for b's guest either.
    const hosts = { a: { props: WEB_HOST_8G, guests: { g1: web('3GiB'), g2: web('3GiB') } }, b: { props: WEB_HOST_8G, guests: { w: web('3.5GiB') } } };
    expect(emptiable(hosts)).toEqual([]);
  });

  it('spreads a host’s guests over several targets, largest first', () => {
    const hosts = {
      a: { props: WEB_HOST_8G, guests: { big: web('5.5GiB'), small: memcached() } },
      b: { props: WEB_HOST_8G, guests: { w: web('3.5GiB') } },
      c: { props: WEB_HOST_8G, guests: { x: web('1GiB') } },
    };
    expect(emptiable(hosts).find((e) => e.host === 'a')).toEqual({ host: 'a', moves: [{ guest: 'big', to: 'c' }, { guest: 'small', to: 'b' }] });
  });
});

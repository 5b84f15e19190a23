import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../lib/manifest/build';
import type { GuestProps } from '../../lib/manifest/props';
import type { Manifest } from '../../lib/manifest/types';
import { WEB_HOST_8G, manifestOf, problemsOf, web } from '../helpers/fleet';

const small: GuestProps = { role: 'web', vcpus: 1, memory: '64MiB' };

/** One fleet of `names.length` guests, 100 to a host (fit is not checked here). */
function fleetOf(names: string[], fleet = 'tokyo'): Manifest {
  const hosts = [];
  for (let i = 0; i < names.length; i += 100) {
    const h = `h${i / 100}`;
    hosts.push({ name: h, path: `${fleet}/${h}`, props: WEB_HOST_8G, guests: names.slice(i, i + 100).map((g) => ({ name: g, path: `${fleet}/${h}/${g}`, props: small })) });
  }
  return buildManifest({ name: fleet, path: fleet, props: {}, hosts });
}

describe('guest identities', () => {
  it('are derived as they were released: a UUID or MAC that changed would replace every guest in state', async () => {
    const { DerivedIds } = await import('../../lib/manifest/identities');
    const xen = new DerivedIds('xen', 'tokyo', 'web-01');
    const local = new DerivedIds('local', 'tokyo', 'web-01');
    expect([xen.uuid(0), xen.uuid(1), xen.mac(0, 0), xen.mac(4, 0), xen.mac(5, 0), xen.mac(0, 1), local.mac(0, 0)]).toEqual([
      'f22b45a0-fa05-56bf-a580-aea0f00118c5', 'cd57b8c2-9a98-5024-b9d2-7e87cb30748c',
      '00:16:3e:29:d5:46', '00:16:3e:32:2b:fc', '00:16:3e:40:8f:9f', '00:16:3e:65:7b:75', '52:54:00:29:d5:46',
    ]);
  });

  it('gives 20,000 generated guests 20,000 different MACs and UUIDs', () => {
    const m = fleetOf(Array.from({ length: 20_000 }, (_, i) => `web-${String(i).padStart(5, '0')}`));
    expect(new Set(m.guests.map((g) => g.nics[0].mac)).size).toBe(20_000);
    expect(new Set(m.guests.map((g) => g.uuid)).size).toBe(20_000);
  });

  it('gives web-00111 and web-02450 different MACs (the old derivation gave both 52:54:00:02:4e:1d)', () => {
    const m = fleetOf(['web-00111', 'web-02450']);
    expect(m.guests[0].nics[0].mac).not.toBe(m.guests[1].nics[0].mac);
  });

  it('gives the same guest name in two fleets different MACs and UUIDs', () => {
    const [a, b] = [fleetOf(['web-01'], 'tokyo').guests[0], fleetOf(['web-01'], 'osaka').guests[0]];
    expect(a.uuid).not.toBe(b.uuid);
    expect(a.nics[0].mac).not.toBe(b.nics[0].mac);
  });

  it('gives the NICs of one guest different MACs', () => {
    const m = manifestOf({ h1: { props: WEB_HOST_8G, guests: { g: web('1GiB', { nics: Array.from({ length: 8 }, () => ({})) }) } } });
    expect(new Set(m.guests[0].nics.map((n) => n.mac)).size).toBe(8);
  });

  it('derives the same identities from the same code, whatever order the hosts come in', () => {
    const names = Array.from({ length: 3000 }, (_, i) => `g-${i}`);
    const m1 = fleetOf(names);
    const m2 = fleetOf([...names].reverse());
    const ids = (m: Manifest) => Object.fromEntries(m.guests.map((g) => [g.name, [g.uuid, g.nics[0].mac]]));
    expect(ids(m2)).toEqual(ids(m1));
  });

  it('moves a derived MAC that a MAC written in code takes', () => {
    const derived = manifestOf({ h1: { props: WEB_HOST_8G, guests: { b: web('1GiB') } } }).guests[0].nics[0].mac;
    const m = manifestOf({ h1: { props: WEB_HOST_8G, guests: { a: web('1GiB', { nics: [{ mac: derived.toUpperCase() }] }), b: web('1GiB') } } });
    expect(m.guests[0].nics[0].mac).toBe(derived);
    expect(m.guests[1].nics[0].mac).not.toBe(derived);
    expect(m.explicitMacs).toEqual([derived]);
  });

  it('rejects one MAC written in code on two NICs, naming both', () => {
    const mac = '52:54:00:12:34:56';
    expect(problemsOf(() => manifestOf({ h1: { props: WEB_HOST_8G, guests: { a: web('1GiB', { nics: [{ mac }] }), b: web('1GiB', { nics: [{}, { mac }] }) } } }))).toEqual([
      "tokyo/h1/b: nics[1].mac '52:54:00:12:34:56' is also set on tokyo/h1/a nics[0]: a MAC must be unique in the fleet; change one of them (or leave it out to have one derived)",
    ]);
  });

  it('rejects a multicast MAC written in code', () => {
    expect(problemsOf(() => manifestOf({ h1: { props: WEB_HOST_8G, guests: { a: web('1GiB', { nics: [{ mac: '01:00:5e:00:00:01' }] }) } } }))).toEqual([
      "tokyo/h1/a: nics[0].mac '01:00:5e:00:00:01' is a multicast address: a NIC needs a unicast MAC (first byte even), such as '52:54:00:12:34:56'",
    ]);
  });
});

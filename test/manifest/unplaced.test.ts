import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../lib/manifest/build';
import { manifestDigest } from '../../lib/manifest/canonical';
import { parseManifest } from '../../lib/manifest/load';
import type { FleetInput, GuestProps, HostGroupProps, HostProps } from '../../lib/manifest/props';
import { WEB_HOST_8G, manifestOf, problemsOf, web } from '../helpers/fleet';

const tagged = (tags: Record<string, string>, extra: Partial<HostProps> = {}): HostProps => ({ ...WEB_HOST_8G, tags, ...extra });
const floating = (memory = '1GiB', extra: Partial<GuestProps> = {}): GuestProps => ({ ...web(memory, { maxMemory: memory }), disks: [{ size: '20GiB' }], ...extra }) as GuestProps;

/** A fleet with hosts (name → props), guests in the Fleet and HostGroups (name → props and guests). */
function fleet(opts: { hosts?: Record<string, HostProps>; pinned?: Record<string, Record<string, GuestProps>>; guests?: Record<string, GuestProps>; groups?: Record<string, { props: HostGroupProps; guests: Record<string, GuestProps> }> }): FleetInput {
  return {
    name: 'tokyo', path: 'tokyo', props: {},
    hosts: Object.entries(opts.hosts ?? {}).map(([name, props]) => ({
      name, path: `tokyo/${name}`, props,
      guests: Object.entries(opts.pinned?.[name] ?? {}).map(([g, p]) => ({ name: g, path: `tokyo/${name}/${g}`, props: p })),
    })),
    ...(opts.guests ? { guests: Object.entries(opts.guests).map(([name, props]) => ({ name, path: `tokyo/${name}`, props })) } : {}),
    ...(opts.groups ? {
      groups: Object.entries(opts.groups).map(([name, g]) => ({
        name, path: `tokyo/${name}`, props: g.props,
        guests: Object.entries(g.guests).map(([n, props]) => ({ name: n, path: `tokyo/${name}/${n}`, props })),
      })),
    } : {}),
  };
}

describe('guests code creates without a host (manifest.unplaced)', () => {
  it('leaves every existing fleet’s manifest as it was: no unplaced key', () => {
    const m = manifestOf({ h1: { props: WEB_HOST_8G, guests: { a: web('1GiB') } } });
    expect('unplaced' in m).toBe(false);
    expect(JSON.stringify(m)).not.toContain('unplaced');
  });

  it('builds guests of the Fleet and of HostGroups, sorted by name, with their provider, merged selector and group', () => {
    const m = buildManifest(fleet({
      hosts: { h1: tagged({ rack: 'a' }), h2: tagged({ rack: 'b', ssd: 'yes' }) },
      guests: { 'web-09': floating('1GiB', { hostSelector: { rack: 'a' } }) },
      groups: { 'rack-b': { props: { selector: { rack: 'b' } }, guests: { 'web-02': floating('2GiB', { hostSelector: { ssd: 'yes' } }) } } },
    }));
    expect(m.guests).toEqual([]);
    expect(m.unplaced!.map((g) => [g.name, g.host, g.placement])).toEqual([
      ['web-02', '', { group: 'rack-b', provider: 'local', selector: { rack: 'b', ssd: 'yes' } }],
      ['web-09', '', { group: null, provider: 'local', selector: { rack: 'a' } }],
    ]);
    expect(m.unplaced![0].disks).toEqual([{ on: '', sizeMiB: 20480 }]);
    // Canonical: keys in sorted order, so the digest is of canonical JSON and the file reads back.
    expect(Object.keys(m.unplaced![0])).toEqual([...Object.keys(m.unplaced![0])].sort());
    expect(parseManifest('m.json', JSON.stringify(m))).toEqual(m);
  });

  it('gives a guest the same UUID and MACs whether code pins it on a host or leaves it to placement', () => {
    const pinned = buildManifest(fleet({ hosts: { h1: WEB_HOST_8G }, pinned: { h1: { a: web('1GiB'), c: web('1GiB') } }, guests: { b: floating() } }));
    const all = buildManifest(fleet({ hosts: { h1: WEB_HOST_8G }, pinned: { h1: { a: web('1GiB'), b: { ...floating(), disks: [{ size: '20GiB', on: 'sda' }] }, c: web('1GiB') } } }));
    const ids = (g: { name: string; uuid: string; nics: { mac: string }[] }) => [g.name, g.uuid, g.nics.map((n) => n.mac)];
    expect([...pinned.guests, ...pinned.unplaced!].map(ids).sort()).toEqual(all.guests.map(ids));
  });

  it('takes the HostGroup’s provider and lifecycle, else the fleet’s', () => {
    const m = buildManifest(fleet({
      hosts: { h1: WEB_HOST_8G },
      groups: { xen: { props: { provider: 'xen', lifecycle: { preventDestroy: true } }, guests: { a: floating() } } },
      guests: { b: floating() },
    }));
    expect(m.unplaced!.map((g) => [g.name, g.placement.provider, g.lifecycle.preventDestroy])).toEqual([['a', 'xen', true], ['b', 'local', false]]);
  });

  it('refuses a guest name used by a pinned guest too, naming both paths', () => {
    expect(problemsOf(() => buildManifest(fleet({ hosts: { h1: WEB_HOST_8G }, pinned: { h1: { a: web('1GiB') } }, guests: { a: floating() } })))).toEqual([
      "tokyo/a: guest name 'a' is already used by tokyo/h1/a: guest names must be unique across the fleet",
    ]);
  });

  it('refuses a disk no candidate host has, naming the candidates and the disks they have', () => {
    expect(problemsOf(() => buildManifest(fleet({ hosts: { h1: tagged({ rack: 'a' }) }, guests: { a: floating('1GiB', { disks: [{ size: '1GiB', on: 'sdz' }], hostSelector: { rack: 'a' } }) } })))).toEqual([
      "tokyo/a: disks[0] is on 'sdz', which no host hvkit may place this guest on has (hosts of provider local with tags rack=a): use one of sda, or leave 'on' out to let placement pick the disk",
    ]);
  });

  it('refuses hostSelector on a guest created inside a Host', () => {
    expect(problemsOf(() => manifestOf({ h1: { props: WEB_HOST_8G, guests: { a: web('1GiB', { hostSelector: { rack: 'a' } }) } } }))).toEqual([
      'tokyo/h1/a: hostSelector is for guests hvkit places, but this guest is created inside host h1: remove hostSelector, or create the guest in the Fleet (or a HostGroup) to have it placed',
    ]);
  });

  it('refuses typos in HostGroup and hostSelector props like every other prop', () => {
    expect(problemsOf(() => buildManifest(fleet({ hosts: { h1: WEB_HOST_8G }, groups: { g: { props: { selectr: { rack: 'a' } } as never, guests: {} } } })))).toEqual([
      "tokyo/g: unknown prop 'selectr': did you mean 'selector'?",
    ]);
    expect(problemsOf(() => buildManifest(fleet({ hosts: { h1: WEB_HOST_8G }, guests: { a: { ...floating(), hostSelectr: {} } as never } })))).toEqual([
      "tokyo/a: unknown prop 'hostSelectr': did you mean 'hostSelector'?",
    ]);
  });

  it('refuses a hostSelector that contradicts its HostGroup’s selector, and a selector that is not tags', () => {
    expect(problemsOf(() => buildManifest(fleet({ hosts: { h1: WEB_HOST_8G }, groups: { g: { props: { selector: { rack: 'b' } }, guests: { a: floating('1GiB', { hostSelector: { rack: 'a' } }) } } } })))).toEqual([
      "tokyo/g/a: hostSelector rack=a contradicts tokyo/g's selector rack=b: no host carries both; drop one of them",
    ]);
    expect(problemsOf(() => buildManifest(fleet({ hosts: { h1: WEB_HOST_8G }, groups: { g: { props: { selector: 'rack=b' as never }, guests: {} } } })))).toEqual([
      "tokyo/g: selector must be an object of key: 'value' strings such as { rack: 'b2' }, got the string 'rack=b'",
    ]);
  });

  it('changes nothing of the pinned guests when unplaced ones are added: the manifest gains the unplaced key only', () => {
    const before = manifestOf({ h1: { props: WEB_HOST_8G, guests: { a: web('1GiB') } } });
    const after = buildManifest(fleet({ hosts: { h1: WEB_HOST_8G }, pinned: { h1: { a: web('1GiB') } }, guests: { z: floating() } }));
    const { unplaced: _, ...rest } = after;
    expect(manifestDigest(rest)).toBe(manifestDigest(before));
  });

  it('takes disk I/O limits on a guest hvkit places, as on one in a Host, and keeps them in the manifest', () => {
    const m = buildManifest(fleet({
      hosts: { h1: tagged({ rack: 'a' }) },
      guests: { 'db-01': floating('1GiB', { disks: [{ size: '10GiB', mbps: 40 }, { size: '5GiB', on: 'sda', iops: 500 }] }) },
    }));
    expect(m.unplaced?.[0].disks).toEqual([{ sizeMiB: 10240, on: '', mbps: 40 }, { sizeMiB: 5120, on: 'sda', iops: 500 }]);
  });

  it('has a schema for guests hvkit places that accepts every disk field one in a Host may have', async () => {
    const { default: schema } = await import('../../lib/manifest/manifest.schema.json', { with: { type: 'json' } });
    const defs = schema.$defs as unknown as Record<string, { properties: Record<string, { items: { properties: Record<string, unknown> } }> }>;
    expect(Object.keys(defs.unplacedGuest.properties.disks.items.properties).sort()).toEqual(Object.keys(defs.guest.properties.disks.items.properties).sort());
  });
});

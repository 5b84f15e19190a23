import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../lib/manifest/build';
import { WEB_HOST_8G, manifestOf, problemsOf, web } from '../helpers/fleet';
import { ManifestAssert, Match } from '../helpers/assertions';

describe('buildManifest validation', () => {
  it('rejects memory above maxMemory, naming the construct path', () => {
    expect(problemsOf(() => manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB', { maxMemory: '4GiB' }) } } }))).toEqual([
      'tokyo/web-host-01/web-01: memory 5.5GiB exceeds maxMemory 4GiB: raise maxMemory or lower memory',
    ]);
  });

  it('rejects vcpus above maxVcpus', () => {
    expect(problemsOf(() => manifestOf({ h1: { props: WEB_HOST_8G, guests: { g1: web('1GiB', { vcpus: 4, maxVcpus: 2 }) } } }))).toEqual([
      'tokyo/h1/g1: vcpus 4 exceeds maxVcpus 2: raise maxVcpus or lower vcpus',
    ]);
  });

  it('rejects names that are not DNS labels', () => {
    expect(problemsOf(() => manifestOf({ Web_Host: { props: WEB_HOST_8G, guests: { 'web-': web('1GiB') } } }))).toEqual([
      "tokyo/Web_Host: host name 'Web_Host' is not a DNS label: use 1–63 lowercase letters, digits and '-', not starting or ending with '-'",
      "tokyo/Web_Host/web-: guest name 'web-' is not a DNS label: use 1–63 lowercase letters, digits and '-', not starting or ending with '-'",
    ]);
  });

  it('rejects a guest name used twice across the fleet', () => {
    expect(problemsOf(() => manifestOf({ h1: { props: WEB_HOST_8G, guests: { web: web('1GiB') } }, h2: { props: WEB_HOST_8G, guests: { web: web('1GiB') } } }))).toEqual([
      "tokyo/h2/web: guest name 'web' is already used by tokyo/h1/web: guest names must be unique across the fleet",
    ]);
  });

  it('rejects more DIMMs than slots and DIMMs above maxDimm', () => {
    const props = { ...WEB_HOST_8G, memory: { slots: 2, maxDimm: '2GiB', dimms: ['2GiB', '4GiB', '2GiB'] } };
    expect(problemsOf(() => manifestOf({ h1: { props } }))).toEqual([
      'tokyo/h1: 3 DIMMs do not fit in 2 slots: remove DIMMs or raise memory.slots',
      'tokyo/h1: memory.dimms[1] 4GiB exceeds maxDimm 2GiB: use DIMMs the mainboard takes',
    ]);
  });

  it("rejects '8 gigs' as a size instead of producing NaN", () => {
    expect(problemsOf(() => manifestOf({ h1: { props: WEB_HOST_8G, guests: { g: web('8 gigs') } } }))).toEqual([
      "tokyo/h1/g: memory: size '8 gigs' is not a size like '512MiB' or '5.5GiB'",
    ]);
  });

  it('suggests binary units for decimal ones', () => {
    expect(problemsOf(() => manifestOf({ h1: { props: WEB_HOST_8G, guests: { g: web('4GB') } } }))[0]).toContain("write '4GiB'");
  });

  it('rejects a guest disk on a disk the host does not have', () => {
    expect(problemsOf(() => manifestOf({ h1: { props: WEB_HOST_8G, guests: { g: web('1GiB', { disks: [{ size: '10GiB', on: 'sdb' }] }) } } }))).toEqual([
      "tokyo/h1/g: disks[0] is on 'sdb', which host h1 does not have: use one of sda",
    ]);
  });

  it('asks a guest in a Host which host disk each disk goes on, when code leaves it out', () => {
    expect(problemsOf(() => manifestOf({ h1: { props: WEB_HOST_8G, guests: { g: web('1GiB', { disks: [{ size: '10GiB' }] }) } } }))).toEqual([
      "tokyo/h1/g: disks[0] has no 'on': name the disk of host h1 it goes on (on: 'sda'), or create the guest in the Fleet or a HostGroup to let placement pick",
    ]);
  });

  it('rejects negative loads', () => {
    expect(problemsOf(() => manifestOf({ h1: { props: WEB_HOST_8G, guests: { g: web('1GiB', { load: { cpu: -1, iops: -5 } }) } } }))).toEqual([
      'tokyo/h1/g: load.cpu must be a number ≥ 0, got -1',
      'tokyo/h1/g: load.iops must be a number ≥ 0, got -5',
    ]);
  });

  it('collects every problem of the fleet at once', () => {
    const problems = problemsOf(() => manifestOf({
      h1: { props: { ...WEB_HOST_8G, memory: { slots: 1, maxDimm: '1GiB', dimms: ['2GiB'] } }, guests: { 'a': web('9GiB', { maxMemory: '1GiB' }), 'b': web('lots') } },
    }));
    expect(problems).toHaveLength(3);
  });

  it('rejects values that could break out of XML or xl syntax before any rendering', () => {
    const problems = problemsOf(() => manifestOf({
      h1: {
        props: { ...WEB_HOST_8G, storageDir: "/var/lib/'x'" },
        guests: { g: web('1GiB', { kernel: '/boot/$(reboot)', nics: [{ mac: '52:54:00:00:00:0"', bridge: 'br0\n<x>' }] }) },
      },
    }));
    expect(problems).toEqual([
      "tokyo/h1: storageDir '/var/lib/'x'' is refused: use an absolute path of letters, digits and . _ / - such as '/var/lib/hvkit/images', with no segment that is empty or starts with '.' and no trailing '/'",
      "tokyo/h1/g: nics[0].bridge 'br0\\n<x>' is invalid: use a Linux interface name of at most 15 characters",
      "tokyo/h1/g: nics[0].mac '52:54:00:00:00:0\\\"' is invalid: write it as six hex pairs such as '52:54:00:12:34:56'",
      "tokyo/h1/g: kernel '/boot/$(reboot)' has characters hvkit does not pass to hypervisors: use letters, digits and _ . / : @ + = , ? & % ~ -",
    ]);
  });

  it('does not check fit: an over-full host still builds', () => {
    const m = manifestOf({ h1: { props: WEB_HOST_8G, guests: { a: web('5.5GiB'), b: web('5.5GiB') } } });
    expect(m.guests).toHaveLength(2);
  });
});

describe('buildManifest defaults', () => {
  const m = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': { role: 'web', vcpus: 2, memory: '5.5GiB' } } } });
  const g = m.guests[0];

  it('fills guest defaults: pv, max = current, one NIC on br0 with a name-derived MAC', () => {
    ManifestAssert.fromManifest(m).hasGuest('web-01', {
      mode: 'pv', maxVcpus: 2, memoryMiB: 5632, maxMemoryMiB: 5632, bootloader: 'pygrub', antiAffinity: null,
      nics: [{ bridge: 'br0', mac: Match.stringLikeRegexp(/^52:54:00(:[0-9a-f]{2}){3}$/) }],
    });
  });

  it('fills host defaults: 512 MiB reserve, local address, memory total from DIMMs', () => {
    ManifestAssert.fromManifest(m).hasHost('web-host-01', {
      reserve: { memoryMiB: 512, overheadMiB: 128, vcpus: 0 },
      address: '.hvkit/local/tokyo/web-host-01',
      memory: Match.objectLike({ totalMiB: 8192 }),
    });
  });

  it('derives the same MAC and UUID from the same name every time', () => {
    const again = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': { role: 'web', vcpus: 2, memory: '5.5GiB' } } } });
    expect(again.guests[0].nics[0].mac).toBe(g.nics[0].mac);
    expect(again.guests[0].uuid).toBe(g.uuid);
    expect(g.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('uses Xen MACs for xen hosts', () => {
    const x = manifestOf({ h: { props: { ...WEB_HOST_8G, provider: 'xen' }, guests: { g: web('1GiB') } } });
    ManifestAssert.fromManifest(x).hasGuest('g', { nics: [Match.objectLike({ mac: Match.stringLikeRegexp(/^00:16:3e(:[0-9a-f]{2}){3}$/) })] });
  });

  it('sorts hosts and guests by name', () => {
    const s = buildManifest({ name: 'f', path: 'f', props: {}, hosts: [
      { name: 'b', path: 'f/b', props: WEB_HOST_8G, guests: [{ name: 'z', path: 'f/b/z', props: web('1GiB') }] },
      { name: 'a', path: 'f/a', props: WEB_HOST_8G, guests: [{ name: 'y', path: 'f/a/y', props: web('1GiB') }] },
    ] });
    expect(s.hosts.map((x) => x.name)).toEqual(['a', 'b']);
    expect(ManifestAssert.fromManifest(s).placements()).toEqual(['y@a', 'z@b']);
    expect(s.guests.map((x) => x.name)).toEqual(['y', 'z']);
  });
});

describe('buildManifest output', () => {
  it('has its keys in canonical order and validates against the schema (what the in-process path relies on)', async () => {
    const { canonicalize } = await import('../../lib/manifest/canonical');
    const { parseManifest } = await import('../../lib/manifest/load');
    const m = manifestOf({
      'web-host-01': { props: { ...WEB_HOST_8G, tags: { rack: 'b2', zone: 'a' }, capacity: { cpuOvercommit: 2 } }, guests: { 'web-01': web('5.5GiB', { antiAffinity: 'web', kernel: '/boot/vmlinuz', cpuWeight: 512, cpuCap: 50, tags: { team: 'x' } }), 'mc-01': { role: 'memcached', vcpus: 1, memory: '2GiB', nics: [{}, { bridge: 'br1' }] } } },
      'db-host-01': { props: { ...WEB_HOST_8G, provider: 'xen', reserve: { memory: '1GiB' } } },
    }, { capacity: { softLimitsAreErrors: true } });
    expect(JSON.stringify(m)).toBe(JSON.stringify(canonicalize(m)));
    expect(parseManifest('m', JSON.stringify(m))).toEqual(m);
  });
});

describe('manifests handed over in memory', () => {
  it('holds a manifest not made by buildManifest to the schema (bootloader: 1024 is refused, not rendered)', async () => {
    const { checkManifestObject } = await import('../../lib/manifest/load');
    const m = manifestOf({ h1: { props: WEB_HOST_8G, guests: { g: web('1GiB') } } });
    expect(checkManifestObject('fleet tokyo', m)).toBe(m);
    const edited = { ...m, guests: [{ ...m.guests[0], bootloader: 1024 as unknown as string }] };
    expect(() => checkManifestObject('fleet tokyo', edited)).toThrow(
      'fleet tokyo: at /guests/0/bootloader: must be string,null; the app made this manifest without buildManifest: run `hvkit synth` again to regenerate it',
    );
  });

  it('refuses a manifest in which two guests share a MAC', async () => {
    const { parseManifest } = await import('../../lib/manifest/load');
    const m = manifestOf({ h1: { props: WEB_HOST_8G, guests: { a: web('1GiB'), b: web('1GiB') } } });
    const copied = { ...m, guests: [m.guests[0], { ...m.guests[1], nics: m.guests[0].nics }] };
    expect(() => parseManifest('m.json', JSON.stringify(copied))).toThrow(`m.json: at /guests/1/nics/0/mac: MAC ${m.guests[0].nics[0].mac} repeats`);
  });
});

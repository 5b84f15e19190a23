import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../lib/manifest/canonical';
import { buildManifest } from '../../lib/manifest/build';
import type { GuestProps, HostProps } from '../../lib/manifest/props';
import { WEB_HOST_8G, manifestOf, problemsOf, web } from '../helpers/fleet';

const fleetWith = (guest: Partial<GuestProps>, host: Partial<HostProps> = {}) =>
  manifestOf({ h1: { props: { ...WEB_HOST_8G, ...host } as HostProps, guests: { g: web('1GiB', guest) } } });

const problems = (guest: Record<string, unknown>, host: Partial<HostProps> = {}) => problemsOf(() => fleetWith(guest as Partial<GuestProps>, host));

describe('guest cpu: { cap, weight }', () => {
  it('gives the same spec fields as the flat cpuCap/cpuWeight, so moving to it changes no manifest byte', () => {
    const flat = canonicalJson(fleetWith({ cpuCap: 50, cpuWeight: 512 }));
    expect(canonicalJson(fleetWith({ cpu: { cap: 50, weight: 512 } }))).toBe(flat);
    expect(fleetWith({ cpu: { cap: 50 } }).guests[0]).toMatchObject({ cpuCap: 50, cpuWeight: null });
  });

  it('keeps a fleet without either prop byte-identical (cpuCap and cpuWeight null)', () => {
    expect(fleetWith({ cpu: {} }).guests[0]).toMatchObject({ cpuCap: null, cpuWeight: null });
    expect(canonicalJson(fleetWith({ cpu: {} }))).toBe(canonicalJson(fleetWith({})));
  });

  it('refuses both forms at once in one line naming the guest', () => {
    expect(problems({ cpu: { cap: 50 }, cpuWeight: 512 })).toEqual([
      'tokyo/h1/g: both cpu and cpuWeight are set: write cap and weight once, inside cpu: { cap, weight }',
    ]);
    expect(problems({ cpu: {}, cpuCap: 10, cpuWeight: 512 })).toEqual([
      'tokyo/h1/g: both cpu and cpuWeight and cpuCap are set: write cap and weight once, inside cpu: { cap, weight }',
    ]);
  });

  it('refuses a typo inside cpu like any unknown prop', () => {
    expect(problems({ cpu: { cpa: 50 } })).toEqual(["tokyo/h1/g: unknown prop 'cpu.cpa': did you mean 'cpu.cap'?"]);
  });

  it('bounds cpu.cap to 100 × maxVcpus and cpu.weight to 1..65535, naming the nested prop', () => {
    expect(problems({ cpu: { cap: 250, weight: 0 } })).toEqual([
      'tokyo/h1/g: cpu.weight must be a whole number from 1 to 65535, got 0',
      'tokyo/h1/g: cpu.cap must be a whole number from 0 to 200 = 100 × maxVcpus (2), got 250',
    ]);
  });

  it('refuses cpu that is not an object', () => {
    expect(problems({ cpu: 50 })).toEqual(['tokyo/h1/g: cpu must be an object like { cap: 50, weight: 512 }, got 50']);
  });
});

describe('guest disk I/O limits', () => {
  it('records iops and mbps on the disk only when set, so disks without them keep their bytes', () => {
    const m = fleetWith({ disks: [{ size: '20GiB', on: 'sda', iops: 500, mbps: 40 }, { size: '1GiB', on: 'sda' }] });
    expect(m.guests[0].disks).toEqual([{ on: 'sda', sizeMiB: 20480, iops: 500, mbps: 40 }, { on: 'sda', sizeMiB: 1024 }]);
    expect(canonicalJson(m.guests[0].disks[1])).toBe(canonicalJson({ on: 'sda', sizeMiB: 1024 }));
  });

  it('refuses a limit that is not a whole number ≥ 1', () => {
    expect(problems({ disks: [{ size: '1GiB', on: 'sda', iops: 0, mbps: 2.5 }] })).toEqual([
      'tokyo/h1/g: disks[0].iops must be a whole number from 1 to 10000000, got 0',
      'tokyo/h1/g: disks[0].mbps must be a whole number from 1 to 1000000, got 2.5',
    ]);
  });

  it('refuses a typo inside a disk', () => {
    expect(problems({ disks: [{ size: '1GiB', on: 'sda', ipos: 5 }] })).toEqual(["tokyo/h1/g: unknown prop 'disks[0].ipos': did you mean 'disks[0].iops'?"]);
  });

  it('refuses a limit on a xen host, which cannot enforce one, rather than pretend', () => {
    expect(problems({ disks: [{ size: '1GiB', on: 'sda', mbps: 40 }] }, { provider: 'xen' })).toEqual([
      'tokyo/h1/g: disks[0] has an I/O limit (iops/mbps), which xen cannot enforce (xl has no per-disk limit): remove it, or put the guest on a libvirt host',
    ]);
    expect(fleetWith({ disks: [{ size: '1GiB', on: 'sda', mbps: 40 }] }, { provider: 'libvirt' }).guests[0].disks[0].mbps).toBe(40);
  });

  it('refuses it too for a guest hvkit places among xen hosts', () => {
    const build = () => buildManifest({
      name: 'tokyo', path: 'tokyo', props: { provider: 'xen' },
      hosts: [{ name: 'h1', path: 'tokyo/h1', props: WEB_HOST_8G, guests: [] }],
      guests: [{ name: 'g', path: 'tokyo/g', props: { role: 'web', vcpus: 1, memory: '1GiB', disks: [{ size: '1GiB', iops: 100 }] } }],
    });
    expect(problemsOf(build)).toEqual([
      'tokyo/g: disks[0] has an I/O limit (iops/mbps), which xen cannot enforce (xl has no per-disk limit): remove it, or put the guest on a libvirt host',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { fitHost, type HostFit } from '../../lib/capacity/fit';
import { guestOverheadMiB } from '../../lib/capacity/usage';
import type { Manifest } from '../../lib/manifest/types';
import { WEB_HOST_4G, WEB_HOST_8G, manifestOf, memcached, web, type HostDef } from '../helpers/fleet';

function fitAfter(hosts: Record<string, HostDef>, fleetProps = {}): { fit: HostFit; m: Manifest } {
  const m = manifestOf(hosts, fleetProps);
  const h = m.hosts[0];
  return { m, fit: fitHost({ after: h, guestsBefore: [], guestsAfter: m.guests.filter((g) => g.host === h.name) }) };
}
const res = (f: HostFit, label: string) => f.resources.find((r) => r.label === label)!;

describe('fit: the chapter’s web host, 4 GB → 8 GB', () => {
  // 512 MiB reserve, of which 128 MiB absorbs per-guest overhead:
  //   web 5.5 GiB, 2 vCPUs: overhead ⌈2 + 5632/128⌉ = 46 MiB
  //   memcached 2 GiB, 1 vCPU: overhead ⌈1 + 2048/128⌉ = 17 MiB
  //   Σ overhead 63 MiB ≤ 128 MiB, so committed = 384 + 128 + 5632 + 2048 = 8192 MiB.
  const guests = { 'web-01': web('5.5GiB'), 'memcached-01': memcached() };

  it('computes the per-guest overhead by hand: ⌈vcpus × 1 MiB + maxMemory / 128⌉ with the host’s config', () => {
    const m = manifestOf({ h: { props: WEB_HOST_8G, guests } });
    const config = m.hosts[0].capacity;
    expect(config).toMatchObject({ overheadPerVcpuMiB: 1, overheadMemoryDivisor: 128 });
    expect(m.guests.map((g) => [g.name, guestOverheadMiB(g, config)])).toEqual([['memcached-01', 17], ['web-01', 46]]);
  });

  it('fits 512 MiB reserve + 5.5 GiB web + 2 GiB memcached + overheads in 8 GiB, exactly', () => {
    const { fit } = fitAfter({ 'web-host-01': { props: WEB_HOST_8G, guests } });
    expect(res(fit, 'memory')).toMatchObject({ after: 8192, capacity: 8192 });
    expect(fit.diagnostics).toEqual([]);
  });

  it('rejects the same guests on the 4 GiB host, saying by how much', () => {
    const { fit } = fitAfter({ 'web-host-01': { props: WEB_HOST_4G, guests } });
    expect(fit.diagnostics).toEqual([{
      severity: 'error', code: 'memory-over', path: 'tokyo/web-host-01',
      message: 'memory 8GiB committed (512MiB reserve + 7.5GiB guests + 0MiB overhead beyond the reserve) exceeds 4GiB installed by 4GiB: add DIMMs or move a guest to another host',
    }]);
  });

  it('fits the original 3.5 GiB web guest on the 4 GiB host', () => {
    const { fit } = fitAfter({ 'web-host-01': { props: WEB_HOST_4G, guests: { 'web-01': web('3.5GiB') } } });
    expect(res(fit, 'memory')).toMatchObject({ after: 4096, capacity: 4096 });
    expect(fit.diagnostics).toEqual([]);
  });

  it('rejects a 5.5 GiB web guest on a 4 GiB host', () => {
    const { fit } = fitAfter({ 'web-host-01': { props: WEB_HOST_4G, guests: { 'web-01': web('5.5GiB') } } });
    expect(fit.diagnostics.map((d) => d.code)).toEqual(['memory-over']);
  });

  it('marks exactly the rows the admission check finds over, so renderers need not compare amounts', () => {
    const over = fitAfter({ 'web-host-01': { props: WEB_HOST_4G, guests: { 'web-01': web('5.5GiB') } } }).fit;
    expect(over.resources.filter((r) => r.over).map((r) => r.label)).toEqual(['memory']);
    const full = fitAfter({ 'web-host-01': { props: WEB_HOST_8G, guests } }).fit;
    expect(full.resources.some((r) => r.over)).toBe(false);
  });

  it('counts overhead beyond the reserve’s share against the host', () => {
    // maxMemory 32 GiB: overhead ⌈1 + 32768/128⌉ = 257 MiB, 129 MiB more than the reserve holds.
    const big = { ...WEB_HOST_8G, memory: { slots: 4, maxDimm: '16GiB', dimms: ['16GiB', '16GiB', '16GiB'] } };
    const { fit } = fitAfter({ h: { props: big, guests: { g: { role: 'db', vcpus: 1, memory: '8GiB', maxMemory: '32GiB' } } } });
    expect(res(fit, 'memory').after).toBe(384 + 257 + 8192);
    expect(fit.memory).toEqual({ reserveMiB: 512, overheadMiB: 129, guestsMiB: 8192 });
  });
});

describe('fit: other hard limits', () => {
  it('limits vCPUs to threads × overcommit (8 × 4 = 32)', () => {
    const guests = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`g${i}`, { role: 'web', vcpus: 3, memory: '64MiB' }]));
    const { fit } = fitAfter({ h: { props: { ...WEB_HOST_8G, memory: { slots: 4, maxDimm: '16GiB', dimms: ['16GiB'] } }, guests } });
    expect(res(fit, 'vcpus')).toMatchObject({ after: 33, capacity: 32 });
    expect(fit.diagnostics[0].message).toBe('33 vCPUs exceed 32 (8 threads × overcommit 4) by 1 vCPU: lower vcpus or move a guest');
  });

  it('takes the overcommit ratio from the host over the fleet', () => {
    const { fit } = fitAfter({ h: { props: { ...WEB_HOST_8G, capacity: { cpuOvercommit: 2 } }, guests: { g: web('1GiB') } } }, { capacity: { cpuOvercommit: 8 } });
    expect(res(fit, 'vcpus').capacity).toBe(16);
  });

  it('limits guest disks to the host disk they are placed on', () => {
    const { fit } = fitAfter({ h: { props: WEB_HOST_8G, guests: { a: web('1GiB', { disks: [{ size: '300GiB', on: 'sda' }] }), b: web('1GiB', { disks: [{ size: '300GiB', on: 'sda' }] }) } } });
    expect(fit.diagnostics.map((d) => d.message)).toEqual(['disk sda: guest disks take 600GiB of 500GiB, 100GiB too much: shrink or move a guest disk']);
  });

  it('refuses a guest disk on a disk the host does not have, naming the disks it has', () => {
    const twoDisks = { ...WEB_HOST_8G, disks: [...WEB_HOST_8G.disks!, { name: 'sdb', size: '100GiB', kind: 'ssd' as const, iops: 5000 }] };
    const m = manifestOf({ x: { props: twoDisks, guests: { g: web('1GiB', { disks: [{ size: '10GiB', on: 'sdb' }] }) } }, y: { props: WEB_HOST_8G } });
    const fit = fitHost({ after: m.hosts[1], guestsBefore: [], guestsAfter: m.guests });
    expect(fit.diagnostics).toEqual([{ severity: 'error', code: 'disk-over', path: 'tokyo/y', message: 'disk sdb: guest disks take 10GiB, but y has no disk sdb: place them on one of sda' }]);
  });

  it('refuses two guests of one anti-affinity group on a host, naming both', () => {
    const big = { ...WEB_HOST_8G, memory: { slots: 4, maxDimm: '16GiB', dimms: ['16GiB'] } };
    const { fit } = fitAfter({ 'db-host-01': { props: big, guests: { 'db-01': { role: 'db', vcpus: 1, memory: '1GiB', antiAffinity: 'db' }, 'db-02': { role: 'db', vcpus: 1, memory: '1GiB', antiAffinity: 'db' } } } });
    expect(fit.diagnostics).toEqual([{ severity: 'error', code: 'anti-affinity', path: 'tokyo/db-host-01', message: "db-01 and db-02 are in anti-affinity group 'db' but all run on db-host-01: move all but one to other hosts" }]);
  });
});

describe('fit: soft limits with the chapter’s virtualization losses', () => {
  it('allows 4 cores × (1 − 3%) × 80% = 3.1 cores of load', () => {
    const { fit } = fitAfter({ h: { props: WEB_HOST_8G, guests: { a: web('1GiB', { load: { cpu: 3.2 } }) } } });
    expect(res(fit, 'cpu load').capacity).toBe(3.1);
    expect(fit.diagnostics.map((d) => [d.severity, d.code])).toEqual([['warning', 'cpu-load']]);
  });

  it('allows disk IOPS × (1 − 5%) × 80% = 114 of a 150-IOPS disk', () => {
    const { fit } = fitAfter({ h: { props: WEB_HOST_8G, guests: { a: web('1GiB', { load: { iops: 120 } }) } } });
    expect(res(fit, 'iops')).toMatchObject({ after: 120, capacity: 114 });
    expect(fit.diagnostics.map((d) => d.code)).toEqual(['iops']);
  });

  it('halves the network: 1 Gbit/s gives 1000 × 50% × 80% = 400 Mbit/s', () => {
    const { fit } = fitAfter({ h: { props: WEB_HOST_8G, guests: { a: web('1GiB', { load: { netMbps: 450 } }) } } });
    expect(res(fit, 'network').capacity).toBe(400);
    expect(fit.diagnostics.map((d) => d.code)).toEqual(['network']);
  });

  it('promotes soft limits to errors when the fleet asks', () => {
    const { fit } = fitAfter({ h: { props: WEB_HOST_8G, guests: { a: web('1GiB', { load: { netMbps: 450 } }) } } }, { capacity: { softLimitsAreErrors: true } });
    expect(fit.diagnostics.map((d) => d.severity)).toEqual(['error']);
  });
});

describe('fit: stranded capacity (the chapter’s DB host)', () => {
  const dbHost = { cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['4GiB', '4GiB', '4GiB', '4GiB'] }, disks: [{ name: 'sda', size: '1TiB', kind: 'ssd' as const, iops: 2000 }] };
  const db = { role: 'db', vcpus: 2, memory: '14GiB', disks: [{ size: '200GiB', on: 'sda' }], load: { cpu: 0.3, iops: 150, netMbps: 40 } };

  it('notes a DB host whose memory is busy while CPU and I/O idle, with the largest guest that fits', () => {
    const { fit } = fitAfter({ 'db-host-01': { props: dbHost, guests: { 'db-01': db } } });
    // 512 + 14336 of 16384 MiB = 91%; CPU 0.3 of 3.1 = 10%; IOPS 150 of 1520 = 10%.
    expect(fit.stranded).toMatchObject({ kind: 'memory-bound', memory: 0.91, cpu: 0.1, io: 0.1, shape: { memoryMiB: 1536, vcpus: 30, cpu: 2.8, iops: 1370 } });
    expect(fit.stranded!.message).toMatch(/^stranded capacity: memory 91% committed while CPU 10% and I\/O 10% busy; the largest guest that still fits: 1.5GiB memory, 30 vCPUs/);
  });

  it('has nothing to note once a web guest uses the idle CPU and I/O', () => {
    const { fit } = fitAfter({ 'db-host-01': { props: dbHost, guests: { 'db-01': db, 'web-03': web('1GiB', { load: { cpu: 1.2, iops: 300 } }) } } });
    expect(fit.stranded).toBeNull();
  });

  it('notes the reverse: CPU busy while memory sits empty', () => {
    const { fit } = fitAfter({ h: { props: dbHost, guests: { batch: { role: 'batch', vcpus: 4, memory: '1GiB', load: { cpu: 3 } } } } });
    expect(fit.stranded?.kind).toBe('cpu-io-bound');
  });
});

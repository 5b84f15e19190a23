import { describe, expect, it } from 'vitest';
import { DEFAULT_MEASURED_OVER_DECLARED, measuredFindings } from '../../lib/capacity/measured';
import type { HostLoad, Rates } from '../../lib/load/rates';
import { measuredLoad, summarizeLoad } from '../../lib/load/summary';
import { buildManifest } from '../../lib/manifest/build';
import type { GuestProps, HostProps } from '../../lib/manifest/props';
import type { CapacityConfig, Manifest } from '../../lib/manifest/types';
import { MemorySampleStore } from '../../lib/state/memory-sample-store';

/** 4 cores: soft limits 3.1 cores, 4750 IOPS (one SSD), 400 Mbit/s (one 1 Gbit/s NIC). */
const server = (capacity?: Partial<CapacityConfig>): HostProps => ({
  cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['2GiB', '2GiB'] }, disks: [{ name: 'sda', size: '500GiB', kind: 'ssd' }], ...(capacity ? { capacity } : {}),
});
const guest = (load: GuestProps['load']): GuestProps => ({ role: 'web', vcpus: 1, memory: '512MiB', load });

function fleet(guests: Record<string, GuestProps['load']>, capacity?: Partial<CapacityConfig>): Manifest {
  return buildManifest({
    name: 'tokyo', path: 'tokyo', props: {},
    hosts: [{ name: 'host-a', path: 'tokyo/host-a', props: server(capacity), guests: Object.entries(guests).map(([g, load]) => ({ name: g, path: `tokyo/host-a/${g}`, props: guest(load) })) }],
    guests: [],
  });
}

const r = (cpu: number, iops = 0, netMbps = 0): Rates => ({ cpu, iops, netMbps, diskMBps: 0 });
function sample(at: string, guests: Record<string, Rates>): HostLoad {
  const sum = Object.values(guests).reduce((a, g) => r(a.cpu + g.cpu, a.iops + g.iops, a.netMbps + g.netMbps), r(0));
  return { host: 'host-a', at, seconds: 5, guests, load: sum, unmeasured: [] };
}
const findings = (m: Manifest, samples: HostLoad[]) => measuredFindings(m.hosts, m.guests, summarizeLoad(samples));

describe('measuredFindings', () => {
  it('gives nothing for a fleet without samples, so its plans keep their bytes', () => {
    expect(findings(fleet({ 'web-03': { cpu: 1 } }), [])).toBeUndefined();
    expect(measuredFindings([], [], undefined)).toBeUndefined();
  });

  it(`warns about a guest whose measured CPU p95 is more than ${DEFAULT_MEASURED_OVER_DECLARED}× what it declares, naming both`, () => {
    const f = findings(fleet({ 'web-03': { cpu: 0.6 }, 'web-04': { cpu: 1 } }), [
      sample('2026-11-27T10:00:00.000Z', { 'web-03': r(1.6), 'web-04': r(1.4) }),
    ])!;
    expect(f.diagnostics).toEqual([{
      severity: 'warning', code: 'measured-over-declared', path: 'tokyo/host-a/web-03',
      message: 'web-03 measured CPU 1.6 cores (p95 of 1 sample) exceeds its declared 0.6 cores (×2.7): declare what it uses, so placement and capacity plans count it',
    }]);
    expect(f.measured.guests.map((g) => [g.guest, g.declared.cpu, g.measured.cpu])).toEqual([['web-03', 0.6, 1.6], ['web-04', 1, 1.4]]);
  });

  it('says "1 core", not "1 cores", in the warning', () => {
    const f = findings(fleet({ 'web-03': { cpu: 0.25 } }), [sample('2026-11-27T10:00:00.000Z', { 'web-03': r(1) })])!;
    expect(f.diagnostics.map((d) => d.message)).toEqual(['web-03 measured CPU 1 core (p95 of 1 sample) exceeds its declared 0.25 cores (×4): declare what it uses, so placement and capacity plans count it']);
    const g = findings(fleet({ 'web-03': { cpu: 1 } }), [sample('2026-11-27T10:00:00.000Z', { 'web-03': r(3) })])!;
    expect(g.diagnostics[0].message).toContain('exceeds its declared 1 core (×3)');
  });

  it("takes the factor from the host's capacity config", () => {
    const f = findings(fleet({ 'web-03': { cpu: 0.6 } }, { measuredOverDeclared: 3 }), [sample('2026-11-27T10:00:00.000Z', { 'web-03': r(1.6) })])!;
    expect(f.diagnostics).toEqual([]);
  });

  it('warns about a guest that declares none of a rate only once it uses more than a small floor of it', () => {
    const f = findings(fleet({ 'idle-01': {}, 'chatty-01': {} }), [
      sample('2026-11-27T10:00:00.000Z', { 'idle-01': r(0.2, 20, 4), 'chatty-01': r(0.1, 300, 0) }),
    ])!;
    expect(f.diagnostics.map((d) => d.message)).toEqual(['chatty-01 measured disk I/O 300 IOPS (p95 of 1 sample) but it declares no IOPS: declare what it uses, so placement and capacity plans count it']);
  });

  it('warns that a host is overloaded when its measured p95 crosses the soft limit, naming the three guests that take most', () => {
    const f = findings(fleet({ g1: { cpu: 0.5 }, g2: { cpu: 0.5 }, g3: { cpu: 0.5 }, g4: { cpu: 0.5 } }), [
      sample('2026-11-27T10:00:00.000Z', { g1: r(0.4), g2: r(1.6), g3: r(1.2), g4: r(0.8) }),
    ])!;
    expect(f.diagnostics.filter((d) => d.code === 'overload')).toEqual([{
      severity: 'warning', code: 'overload', path: 'tokyo/host-a',
      message: 'host-a is overloaded: measured CPU 4 cores (p95 of 1 sample) crosses its soft limit of 3.1 cores; most from g2 1.6 cores (40%), g3 1.2 cores (30%), g4 0.8 cores (20%)',
    }]);
    expect(f.measured.hosts).toEqual([{ host: 'host-a', declared: { cpu: 2, iops: 0, netMbps: 0 }, measured: { cpu: 4, iops: 0, netMbps: 0 }, capacity: { cpu: 3.1, iops: 3800, netMbps: 400 }, samples: 1 }]);
  });

  it('calls it a p95 from 12 samples on, and says "1 core" in the singular', () => {
    const twelve = Array.from({ length: 12 }, (_, i) => sample(new Date(Date.parse('2026-11-27T10:00:00.000Z') + i * 300_000).toISOString(), { 'web-03': r(1) }));
    const f = findings(fleet({ 'web-03': { cpu: 0.5 } }), twelve)!;
    expect(f.diagnostics.map((d) => d.message)).toEqual(['web-03 measured CPU p95 1 core exceeds its declared 0.5 cores (×2): declare what it uses, so placement and capacity plans count it']);
    const eleven = findings(fleet({ 'web-03': { cpu: 0.5 } }), twelve.slice(1))!;
    expect(eleven.diagnostics.map((d) => d.message)).toEqual(['web-03 measured CPU 1 core (p95 of 11 samples) exceeds its declared 0.5 cores (×2): declare what it uses, so placement and capacity plans count it']);
  });

  it('uses the p95 over the window, not one busy moment, and ignores samples older than the window', async () => {
    const store = new MemorySampleStore({ resolutionMs: 300_000, keepMs: 3 * 3_600_000 });
    const at = (min: number) => new Date(Date.parse('2026-11-27T10:00:00.000Z') + min * 60_000).toISOString();
    // An old overload, then 30 quiet samples and one spike: the spike is not the p95 (nearest rank 30 of 31).
    // Appended by a hvkit whose clock is the spike's time: the real clock may be earlier, refusing them as ahead of it.
    await store.append([sample(at(-240), { 'web-03': r(5) })], at(0));
    await store.append(Array.from({ length: 30 }, (_, i) => sample(at(-150 + i * 5), { 'web-03': r(1) })), at(0));
    await store.append([sample(at(0), { 'web-03': r(5) })], at(0));
    const m = fleet({ 'web-03': { cpu: 1 } });
    const f = measuredFindings(m.hosts, m.guests, await measuredLoad(store, at(0)))!;
    expect(f.measured.guests[0]).toMatchObject({ measured: { cpu: 1 }, samples: 31 });
    expect(f.diagnostics).toEqual([]);
  });

  it('takes the factor from the fleet, lets a host override it, and keeps it out of manifests that do not set it', () => {
    const m = buildManifest({
      name: 'tokyo', path: 'tokyo', props: { capacity: { measuredOverDeclared: 4 } },
      hosts: [
        { name: 'host-a', path: 'tokyo/host-a', props: server(), guests: [] },
        { name: 'host-b', path: 'tokyo/host-b', props: server({ measuredOverDeclared: 2 }), guests: [] },
      ],
      guests: [],
    });
    expect(m.hosts.map((h) => h.capacity.measuredOverDeclared)).toEqual([4, 2]);
    expect('measuredOverDeclared' in fleet({}).hosts[0].capacity).toBe(false);
  });

  it('refuses a factor that is not a number, in one line naming the host', () => {
    expect(() => fleet({}, { measuredOverDeclared: -1 })).toThrow(/  tokyo\/host-a: capacity\.measuredOverDeclared must be a number from 1 to 1000000 \([^)]*\), got -1$/);
  });

  it('refuses a factor below 1 (0 or 0.5 would warn about guests using less than they declare), naming the host and the range', () => {
    for (const v of [0, 0.5]) {
      expect(() => fleet({}, { measuredOverDeclared: v })).toThrow(`tokyo/host-a: capacity.measuredOverDeclared must be a number from 1 to 1000000 (the factor by which a guest's measured p95 must exceed its declared load to be warned about; 1 warns on any excess), got ${v}`);
    }
    expect(fleet({}, { measuredOverDeclared: 1 }).hosts[0].capacity.measuredOverDeclared).toBe(1);
  });
});

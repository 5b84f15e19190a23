import { describe, expect, it } from 'vitest';
import { admit, applyMoves, breachesOf, hostUsage, release, totalsOf, type HostUsage } from '../../lib/capacity/admit';
import type { GuestSpec, HostSpec } from '../../lib/manifest/types';
import { WEB_HOST_4G, WEB_HOST_8G, manifestOf, memcached, web, type HostDef } from '../helpers/fleet';

const BIG = { ...WEB_HOST_8G, memory: { slots: 4, maxDimm: '16GiB', dimms: ['16GiB'] } };

/** The host and guests of a one-host fleet: the guests as built, the host empty or running `running`. */
function fleet(def: HostDef, running: string[] = [], fleetProps = {}): { host: HostSpec; usage: HostUsage; guest: (name: string) => GuestSpec } {
  const m = manifestOf({ h: def }, fleetProps);
  const host = m.hosts[0];
  const guest = (name: string) => m.guests.find((g) => g.name === name)!;
  return { host, usage: hostUsage(host, running.map(guest)), guest };
}

const rejected = (r: ReturnType<typeof admit>) => (r.ok ? [] : r.breaches);

describe('admit: adding a guest to a host (Ganeti’s Node.addPri)', () => {
  it('rejects a 5.5 GiB web guest on a 4 GiB host, with the memory it would commit', () => {
    const { usage, guest } = fleet({ props: WEB_HOST_4G, guests: { 'web-01': web('5.5GiB') } });
    // 384 MiB reserve + 128 MiB for overhead (46 MiB used) + 5632 MiB guest.
    expect(rejected(admit(usage, guest('web-01')))).toEqual([
      { mode: 'memory', hard: true, used: 6144, capacity: 4096, reserveMiB: 512, guestsMiB: 5632, overheadBeyondMiB: 0 },
    ]);
  });

  it('admits the original 3.5 GiB web guest on the 4 GiB host, filling it exactly', () => {
    const { usage, guest } = fleet({ props: WEB_HOST_4G, guests: { 'web-01': web('3.5GiB') } });
    const r = admit(usage, guest('web-01'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(totalsOf(r.usage).memory).toEqual({ used: 4096, capacity: 4096, over: false });
    expect(r.warnings).toEqual([]);
  });

  it('leaves the usage it was asked about as it was', () => {
    const { usage, guest } = fleet({ props: WEB_HOST_8G, guests: { 'web-01': web('1GiB') } });
    const before = JSON.stringify(usage.sums);
    admit(usage, guest('web-01'));
    expect(JSON.stringify(usage.sums)).toBe(before);
  });

  it('rejects a 33rd vCPU on a host of 8 threads × overcommit 4', () => {
    const guests = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`g${i}`, { role: 'web', vcpus: 3, memory: '64MiB' }]));
    const { usage, guest } = fleet({ props: BIG, guests }, Array.from({ length: 10 }, (_, i) => `g${i}`));
    expect(rejected(admit(usage, guest('g10')))).toEqual([{ mode: 'vcpus', hard: true, used: 33, capacity: 32 }]);
  });

  it('rejects a guest disk that would overfill the host disk it is placed on, naming the disk', () => {
    const { usage, guest } = fleet({ props: WEB_HOST_8G, guests: { a: web('1GiB', { disks: [{ size: '300GiB', on: 'sda' }] }), b: web('1GiB', { disks: [{ size: '300GiB', on: 'sda' }] }) } }, ['a']);
    expect(rejected(admit(usage, guest('b')))).toEqual([{ mode: 'disk', hard: true, disk: 'sda', used: 614400, capacity: 512000, missing: false }]);
  });

  it('rejects a guest disk placed on a disk the host does not have', () => {
    const twoDisks = { ...WEB_HOST_8G, disks: [...WEB_HOST_8G.disks!, { name: 'sdb', size: '100GiB', kind: 'ssd' as const, iops: 5000 }] };
    const m = manifestOf({ x: { props: twoDisks, guests: { g: web('1GiB', { disks: [{ size: '10GiB', on: 'sdb' }] }) } }, y: { props: WEB_HOST_8G } });
    const r = admit(hostUsage(m.hosts[1], []), m.guests[0]);
    expect(rejected(r)).toEqual([{ mode: 'disk', hard: true, disk: 'sdb', used: 10240, capacity: 0, missing: true }]);
  });

  it('rejects a second guest of an anti-affinity group, naming both', () => {
    const db = { role: 'db', vcpus: 1, memory: '1GiB', antiAffinity: 'db' };
    const { usage, guest } = fleet({ props: BIG, guests: { 'db-02': db, 'db-01': db } }, ['db-02']);
    expect(rejected(admit(usage, guest('db-01')))).toEqual([{ mode: 'anti-affinity', hard: true, group: 'db', guests: ['db-01', 'db-02'] }]);
  });

  it('admits a guest over a soft limit, returning the breach as a warning', () => {
    const { usage, guest } = fleet({ props: WEB_HOST_8G, guests: { a: web('1GiB', { load: { cpu: 3.2, iops: 120, netMbps: 450 } }) } });
    const r = admit(usage, guest('a'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warnings).toEqual([
      { mode: 'cpu-load', hard: false, used: 3.2, capacity: 3.1 },
      { mode: 'iops', hard: false, used: 120, capacity: 114 },
      { mode: 'network', hard: false, used: 450, capacity: 400 },
    ]);
  });

  it('rejects a soft-limit breach when the fleet promotes soft limits to errors', () => {
    const { usage, guest } = fleet({ props: WEB_HOST_8G, guests: { a: web('1GiB', { load: { netMbps: 450 } }) } }, [], { capacity: { softLimitsAreErrors: true } });
    expect(rejected(admit(usage, guest('a')))).toEqual([{ mode: 'network', hard: false, used: 450, capacity: 400 }]);
  });

  it('lists every limit a guest breaks, hard limits first', () => {
    const { usage, guest } = fleet({ props: WEB_HOST_4G, guests: { a: web('5.5GiB', { disks: [{ size: '600GiB', on: 'sda' }], load: { cpu: 4 } }) } });
    expect(rejected(admit(usage, guest('a'))).map((b) => b.mode)).toEqual(['memory', 'disk', 'cpu-load']);
  });
});

describe('release and applyMoves: guests leaving and arriving', () => {
  const guests = {
    'web-01': web('3GiB', { antiAffinity: 'web' }),
    'mc-01': memcached(),
    'web-02': web('2GiB', { antiAffinity: 'web', disks: [{ size: '50GiB', on: 'sda' }] }),
    'mc-02': memcached({ load: { cpu: 0.7, iops: 12 } }),
  };

  it('gives the same usage after a remove then an add as computed from scratch', () => {
    const { host, usage, guest } = fleet({ props: WEB_HOST_8G, guests }, ['web-01', 'mc-01']);
    const r = applyMoves(usage, [{ kind: 'add', guest: guest('web-02') }, { kind: 'remove', guest: guest('web-01') }, { kind: 'add', guest: guest('mc-02') }]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const scratch = hostUsage(host, [guest('mc-01'), guest('web-02'), guest('mc-02')]);
    expect(totalsOf(r.usage)).toEqual(totalsOf(scratch));
    expect(r.usage.sums.disks).toEqual(scratch.sums.disks);
    expect([...r.usage.groups]).toEqual([...scratch.groups]);
    expect(breachesOf(r.usage)).toEqual(breachesOf(scratch));
  });

  it('lets a full host swap one guest for another: what leaves goes first', () => {
    // 384 + 128 + 5632 + 2048 = 8192 MiB of 8192: full.
    const full = { 'web-01': web('5.5GiB'), 'mc-01': memcached(), 'mc-02': memcached() };
    const { usage, guest } = fleet({ props: WEB_HOST_8G, guests: full }, ['web-01', 'mc-01']);
    expect(admit(usage, guest('mc-02')).ok).toBe(false);
    expect(applyMoves(usage, [{ kind: 'add', guest: guest('mc-02') }, { kind: 'remove', guest: guest('mc-01') }]).ok).toBe(true);
  });

  it('never refuses taking a guest away, and forgets its disk and anti-affinity group', () => {
    const { host, usage, guest } = fleet({ props: WEB_HOST_8G, guests }, ['web-02', 'mc-01']);
    const after = release(usage, guest('web-02'));
    const scratch = hostUsage(host, [guest('mc-01')]);
    expect(totalsOf(after)).toEqual(totalsOf(scratch));
    expect(after.sums.disks).toEqual({});
    expect(after.groups.size).toBe(0);
  });
});

describe('totalsOf: a host’s figures for bars and look-ups', () => {
  it('counts memory as the reserve, overhead beyond it and guests, against what the host reports', () => {
    const m = manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'mc-01': memcached() } } });
    const t = totalsOf(hostUsage(m.hosts[0], m.guests, 6144));
    expect(t.memory).toEqual({ used: 8192, capacity: 6144, over: true });
    expect(t.vcpus).toEqual({ used: 3, capacity: 32, over: false });
    expect(t.disk).toEqual({ used: 20480, capacity: 512000, over: false });
  });
});

describe('release', () => {
  it('leaves the same sums as a fresh host after a 0.8-core guest comes and goes a thousand times', async () => {
    const { admit, hostUsage, release } = await import('../../lib/capacity/admit');
    const { manifestOf: build, web: w, WEB_HOST_8G: H } = await import('../helpers/fleet');
    const m = build({ a: { props: H, guests: { base: w('1GiB', { load: { cpu: 0.3, iops: 10, netMbps: 5 } }), g: w('1GiB', { load: { cpu: 0.8, iops: 0.1, netMbps: 0.7 } }) } } });
    const [base, g] = m.guests;
    const fresh = hostUsage(m.hosts[0], [base]);
    let u = fresh;
    for (let i = 0; i < 1000; i++) {
      const r = admit(u, g);
      if (!r.ok) throw new Error('expected the guest to fit');
      u = release(r.usage, g);
    }
    expect(u.sums).toEqual(fresh.sums);
  });
});

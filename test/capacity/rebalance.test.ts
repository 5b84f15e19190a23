import { describe, expect, it } from 'vitest';
import { blocks, breachesOf } from '../../lib/capacity/admit';
import { Packing, type PackHost } from '../../lib/capacity/placement';
import { evacuate, rebalance, type Movable } from '../../lib/capacity/rebalance';
import type { HostProps } from '../../lib/manifest/props';
import type { Manifest } from '../../lib/manifest/types';
import { WEB_HOST_8G, manifestOf, type HostDef } from '../helpers/fleet';

function packingOf(hosts: Record<string, HostDef>): { packing: Packing; m: Manifest } {
  const m = manifestOf(hosts);
  const pack: PackHost[] = m.hosts.map((h) => ({ spec: h, guests: m.guests.filter((g) => g.host === h.name) }));
  return { packing: new Packing(pack), m };
}

/** Every guest of the manifest movable within its host's provider, except those named. */
function movableOf(m: Manifest, pinned: string[] = []): Movable {
  const provider = new Map(m.hosts.map((h) => [h.name, h.provider]));
  return new Map(m.guests.filter((g) => !pinned.includes(g.name)).map((g) => [g.name, { provider: provider.get(g.host)! }]));
}

const small = (memory: string, extra: object = {}) => ({ role: 'web', vcpus: 1, memory, disks: [{ size: '10GiB', on: 'sda' }], ...extra });

/** Three 8 GiB hosts (7.5 GiB for guests after the reserve): a and b half full, c with two small guests. */
const THREE: Record<string, HostDef> = {
  a: { props: WEB_HOST_8G, guests: { a1: small('3GiB'), a2: small('1GiB') } },
  b: { props: WEB_HOST_8G, guests: { b1: small('4GiB') } },
  c: { props: WEB_HOST_8G, guests: { c1: small('2GiB'), c2: small('1.5GiB') } },
};

describe('rebalance', () => {
  it('empties the least used host and no step over-commits any host (every intermediate packing checked)', () => {
    const { packing, m } = packingOf(THREE);
    const r = rebalance(packing, movableOf(m));
    expect(r.emptied).toEqual(['c']);
    expect(r.moves.map((x) => [x.guest, x.from])).toEqual([['c1', 'c'], ['c2', 'c']]);
    expect(r.totals.hostsInUse).toEqual({ before: 3, after: 2 });
    expect(r.moves[1].gain).toMatchObject({ code: 'empties-host', detail: { host: 'c', hostsInUse: { before: 3, after: 2 } } });
    // Replay on the caller's packing, which rebalance left as it was.
    expect(packing.inUse('c')).toBe(true);
    const replay = packing.clone();
    for (const mv of r.moves) {
      const g = replay.remove(mv.from, mv.guest)!;
      const t = replay.tryPlace(mv.to, { ...g, disks: g.disks.map((d) => ({ ...d, on: '' })) });
      expect(t.ok, `${mv.guest} → ${mv.to}`).toBe(true);
      if (t.ok) replay.add(mv.to, t.guest, t.usage);
      for (const h of replay.hosts) expect(breachesOf(replay.usage(h)).filter((b) => blocks(b, replay.spec(h))), `${h} after ${mv.guest}`).toEqual([]);
    }
    expect(replay.inUse('c')).toBe(false);
  });

  it('makes no more moves than maxMoves: emptying c takes two, so with one it empties b (one guest) instead', () => {
    const { packing, m } = packingOf(THREE);
    const r = rebalance(packing, movableOf(m), { maxMoves: 1 });
    expect(r.moves.map((x) => [x.guest, x.from, x.to])).toEqual([['b1', 'b', 'c']]);
    expect(r.emptied).toEqual(['b']);
    expect(rebalance(packing, movableOf(m), { maxMoves: 0 }).moves).toEqual([]);
    expect(rebalance(packing, movableOf(m), { maxMoves: 2 }).emptied).toEqual(['c']);
  });

  it('never moves a pinned guest: a host with one is not emptied', () => {
    const { packing, m } = packingOf(THREE);
    const r = rebalance(packing, movableOf(m, ['c2']));
    expect(r.moves.some((x) => x.guest === 'c2')).toBe(false);
    expect(r.emptied).not.toContain('c');
    expect(evacuate(packing, 'c', movableOf(m, ['c2']))).toEqual({ ok: false, host: 'c', guest: 'c2', code: 'pinned' });
  });

  it('keeps anti-affinity: a db guest does not join another db guest to empty its host', () => {
    const { packing, m } = packingOf({
      a: { props: WEB_HOST_8G, guests: { 'db-01': small('1GiB', { antiAffinity: 'db' }) } },
      b: { props: WEB_HOST_8G, guests: { 'db-02': small('1GiB', { antiAffinity: 'db' }) } },
    });
    const r = rebalance(packing, movableOf(m));
    expect(r.moves).toEqual([]);
    expect(evacuate(packing, 'b', movableOf(m))).toMatchObject({ ok: false, code: 'no-room' });
  });

  it('keeps a guest with its provider: the room on a xen host does not empty a local one', () => {
    const xen: HostProps = { ...WEB_HOST_8G, provider: 'xen' };
    const { packing, m } = packingOf({ a: { props: xen, guests: { x1: small('1GiB') } }, b: { props: WEB_HOST_8G, guests: { l1: small('1GiB') } }, c: { props: WEB_HOST_8G, guests: { l2: small('1GiB') } } });
    const r = rebalance(packing, movableOf(m));
    expect(r.emptied).toEqual(['b']);
    expect(r.moves).toMatchObject([{ guest: 'l1', from: 'b', to: 'c' }]);
  });

  it('keeps a guest on hosts its selector allows', () => {
    const { packing } = packingOf({ a: { props: { ...WEB_HOST_8G, tags: { rack: 'a' } }, guests: { a1: small('1GiB') } }, b: { props: { ...WEB_HOST_8G, tags: { rack: 'b' } }, guests: { b1: small('1GiB') } } });
    const movable: Movable = new Map([['a1', { provider: 'local', selector: { rack: 'a' } }], ['b1', { provider: 'local', selector: { rack: 'b' } }]]);
    expect(rebalance(packing, movable).moves).toEqual([]);
  });

  it('evacuate says where each guest of a host would go, largest first, and changes nothing', () => {
    const { packing, m } = packingOf(THREE);
    const ev = evacuate(packing, 'c', movableOf(m));
    expect(ev.ok && ev.moves.map((x) => x.guest)).toEqual(['c1', 'c2']);
    expect(packing.guestCount('c')).toBe(2);
  });
});

describe('rebalance: stranded capacity', () => {
  /**
   * a: two 3 GiB caches with idle CPU (memory ~81% committed, CPU load 6%): its CPU is stranded.
   * b: two CPU-busy web guests of 0.5 GiB (CPU load 1.5 + 1.5 of 3.1 cores): its memory is stranded.
   * Neither host can be emptied (the other would cross its CPU-load soft limit), but moving a
   * web guest to a uses a's idle CPU and b's stays busy enough: stranded capacity falls.
   */
  it('moves a guest where it uses capacity that sat idle, each move lowering the fleet stranded capacity', () => {
    const cache = { role: 'cache', vcpus: 1, memory: '3GiB', load: { cpu: 0.1 } };
    const webCpu = { role: 'web', vcpus: 1, memory: '512MiB', load: { cpu: 1.5 } };
    const { packing, m } = packingOf({ a: { props: WEB_HOST_8G, guests: { c1: cache, c2: cache } }, b: { props: WEB_HOST_8G, guests: { w1: webCpu, w2: webCpu } } });
    const r = rebalance(packing, movableOf(m));
    expect(r.emptied).toEqual([]);
    expect(r.moves.length).toBeGreaterThan(0);
    for (const mv of r.moves) {
      expect(mv.gain.code).toBe('lowers-stranded');
      expect(mv.gain.detail.stranded.after).toBeLessThan(mv.gain.detail.stranded.before);
      expect(mv.gain.detail.hostsInUse).toEqual({ before: 2, after: 2 });
    }
    expect(r.moves[0]).toMatchObject({ from: 'b', to: 'a' });
    expect(rebalance(packing, movableOf(m), { stranded: false }).moves).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { headroom, shapeGuest } from '../../lib/capacity/headroom';
import { asksOf, nPlusOne, packingOf } from '../../lib/capacity/n-plus-one';
import type { GuestProps } from '../../lib/manifest/props';
import type { Manifest } from '../../lib/manifest/types';
import { manifestOf, WEB_HOST_8G } from '../helpers/fleet';

const app = (memory: string, extra: Partial<GuestProps> = {}): GuestProps => ({ role: 'app', vcpus: 1, memory, ...extra });
const room = (m: Manifest, shape: { vcpus: number; memoryMiB: number; diskMiB: number }) => headroom(packingOf(m), shape, asksOf(m.hosts, m));

/*
 * Three WEB_HOST_8G hosts: 8GiB (memory used = 384MiB + max(128MiB, Σ overhead) + Σ guest memory),
 * 8 threads × 4 = 32 vCPUs, one 500GiB disk sda.
 * a: g1 4GiB, 1 vCPU (overhead 1 + 4096/128 = 33MiB); b: empty; c: g2 1GiB with a 480GiB disk.
 * The shape: 2 vCPUs, 2GiB, a 40GiB disk: overhead 2 + 2048/128 = 18MiB each.
 */
const FLEET = manifestOf({
  a: { props: WEB_HOST_8G, guests: { g1: app('4GiB') } },
  b: { props: WEB_HOST_8G },
  c: { props: WEB_HOST_8G, guests: { g2: app('1GiB', { disks: [{ size: '480GiB', on: 'sda' }] }) } },
});
const SHAPE = { vcpus: 2, memoryMiB: 2048, diskMiB: 40 * 1024 };

describe('headroom: how many more guests of a shape fit (hspace)', () => {
  it('fills each host on its own and names the limit that stops the next one', () => {
    const h = room(FLEET, SHAPE);
    // a: one shape → 384 + 128 + 4096 + 2048 = 6656MiB; two → overhead 69 still ≤ 128: 8704 > 8192. fits 1, memory.
    // b: three → 384 + 128 + 6144 = 6656; four → overhead 72: 8704 > 8192. fits 3, memory.
    // c: 500 − 480 = 20GiB of disk left, short of 40GiB. fits 0, disk.
    expect(h.hosts.map(({ host, fits, limitedBy }) => ({ host, fits, limitedBy }))).toEqual([
      { host: 'a', fits: 1, limitedBy: 'memory' },
      { host: 'b', fits: 3, limitedBy: 'memory' },
      { host: 'c', fits: 0, limitedBy: 'disk' },
    ]);
    expect(h.total).toBe(4);
  });

  it('keeping N+1 takes far fewer: one, on a or on b', () => {
    // Shapes go on a (x_a ≤ 1) or b (x_b ≤ 3), never c (its disk). The fleet is N+1 before any:
    // lose a → g1 to b or c; lose c → g2's 480GiB disk to a or b.
    // Lose b: its shapes can only go to a (c's disk is full), so x_b ≤ 1 − x_a.
    // Lose c: g2 needs 480GiB free on a (500 − 40·x_a) or b (500 − 40·x_b), so x_a = 0 or x_b = 0.
    // Together: x_a + x_b ≤ 1.
    const h = room(FLEET, SHAPE);
    expect(h.totalNPlusOne).toBe(1);
    expect(h.hosts.reduce((a, x) => a + x.fitsNPlusOne, 0)).toBe(1);
    expect(h.beyondNPlusOne).toEqual([]);
  });

  it('says vCPUs run out first when they do', () => {
    // 32 vCPUs: two shapes of 16; the third breaks vCPUs (memory: 384 + 128 + 2048 = 2560 would still fit).
    const h = room(manifestOf({ b: { props: WEB_HOST_8G } }), { vcpus: 16, memoryMiB: 1024, diskMiB: 0 });
    expect(h.hosts).toEqual([{ host: 'b', fits: 2, limitedBy: 'vcpus', fitsNPlusOne: 0 }]);
    // One host can never be N+1: a guest there would have nowhere to go.
    expect(h.totalNPlusOne).toBe(0);
  });

  it('keeps no N+1 headroom when the fleet already cannot absorb a loss', () => {
    // lose a: g1 7GiB does not fit b (6.5GiB free); lose b: g3 1GiB does not fit a (0.5GiB free).
    const tight = manifestOf({ a: { props: WEB_HOST_8G, guests: { g1: app('7GiB') } }, b: { props: WEB_HOST_8G, guests: { g3: app('1GiB') } } });
    const h = room(tight, { vcpus: 1, memoryMiB: 1024, diskMiB: 0 });
    expect(h.beyondNPlusOne).toEqual(['a', 'b']);
    expect(h.totalNPlusOne).toBe(0);
    // Without N+1, b still takes six: 384 + 128 + 7 × 1024 = 7680; a seventh breaks memory (8704 > 8192).
    expect(h.hosts.map((x) => [x.host, x.fits])).toEqual([['a', 0], ['b', 6]]);
    expect(h.total).toBe(6);
  });

  it('keeping N+1 is the longest run placement would add, found by binary search exactly as a walk one guest at a time finds it', () => {
    // Seeded fleets of 4–6 hosts with mixed guests; the walk places the shape as placement does and stops at the first guest after which N+1 breaks.
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let f = 0; f < 12; f++) {
      const defs: Record<string, { props: typeof WEB_HOST_8G; guests: Record<string, GuestProps> }> = {};
      const nh = 4 + Math.floor(rnd() * 3);
      for (let i = 0; i < nh; i++) {
        const guests: Record<string, GuestProps> = {};
        const ng = Math.floor(rnd() * 4);
        for (let j = 0; j < ng; j++) guests[`g${i}${j}`] = app(`${256 * (1 + Math.floor(rnd() * 8))}MiB`, { vcpus: 1 + Math.floor(rnd() * 3) });
        defs[`h${i}`] = { props: WEB_HOST_8G, guests };
      }
      const m = manifestOf(defs);
      const shape = { vcpus: 1 + Math.floor(rnd() * 2), memoryMiB: 512 * (1 + Math.floor(rnd() * 3)), diskMiB: 0 };
      const h = room(m, shape);
      const walk = packingOf(m);
      const ask = asksOf(m.hosts, m);
      let k = 0;
      if (nPlusOne(walk, ask).length === 0) {
        for (let i = 0; ; i++) {
          const c = walk.choose({ guest: shapeGuest(shape, 100_000 + i), provider: 'local' });
          if (!c.ok) break;
          walk.add(c.host, c.guest, c.usage);
          if (nPlusOne(walk, ask).length) break;
          k++;
        }
      }
      expect(h.totalNPlusOne, `fleet ${f}`).toBe(k);
    }
  });
});


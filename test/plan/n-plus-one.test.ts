import { describe, expect, it } from 'vitest';
import type { FleetProps, GuestProps } from '../../lib/manifest/props';
import { createPlan } from '../../lib/plan/planner';
import type { Plan } from '../../lib/plan/types';
import { manifestOf, problemsOf, stateOf, WEB_HOST_8G } from '../helpers/fleet';

/*
 * Hosts are WEB_HOST_8G: 7.5GiB for guests after the 512MiB reserve (the
 * one-vCPU guests' overhead stays inside its 128MiB allowance).
 * a: g1 4GiB + g2 2GiB (1.5GiB free); b: g3 4GiB (3.5 free); c: g4 3GiB + g5 2GiB (2.5 free).
 * lose a: g1 fits neither b (3.5) nor c (2.5). lose b: g3 fits neither a (1.5) nor c (2.5).
 * lose c: g4 → b (0.5 left), then g5 fits neither a (1.5) nor b (0.5).
 */
const app = (memory: string): GuestProps => ({ role: 'app', vcpus: 1, memory });
const hosts = (c: Record<string, GuestProps>) => ({
  a: { props: WEB_HOST_8G, guests: { g1: app('4GiB'), g2: app('2GiB') } },
  b: { props: WEB_HOST_8G, guests: { g3: app('4GiB') } },
  c: { props: WEB_HOST_8G, guests: c },
});
const BROKEN = hosts({ g4: app('3GiB'), g5: app('2GiB') });
const findings = (p: Plan) => p.diagnostics.filter((d) => d.code === 'n-plus-one').map((d) => [d.severity, d.path, d.message]);
const planOf = (h: ReturnType<typeof hosts>, props: FleetProps = {}) => {
  const m = manifestOf(h, props);
  return createPlan({ manifest: m, state: stateOf(m) });
};

describe('plan: the N+1 finding', () => {
  it('warns, by default, for each host whose loss the fleet cannot absorb, naming what would be left homeless', () => {
    const plan = planOf(BROKEN);
    const tail = "; add capacity or move guests (nPlusOne: 'require' makes this an error)";
    expect(findings(plan)).toEqual([
      ['warning', 'tokyo/a', `losing a would leave 1 of its 2 guests without a host (not N+1): g1 (closest b: needs 4GiB memory, 3.5GiB free)${tail}`],
      ['warning', 'tokyo/b', `losing b would leave its one guest without a host (not N+1): g3 (closest c: needs 4GiB memory, 2.5GiB free)${tail}`],
      ['warning', 'tokyo/c', `losing c would leave 1 of its 2 guests without a host (not N+1): g5 (closest a: needs 2GiB memory, 1.5GiB free)${tail}`],
    ]);
    expect(plan.applyable).toBe(true);
  });

  it('says nothing when every loss is absorbed (c with g4 alone: 4.5GiB free)', () => {
    // lose a: g1 → c, g2 → b; lose b: g3 → c; lose c: g4 → b.
    expect(findings(planOf(hosts({ g4: app('3GiB') })))).toEqual([]);
  });

  it("makes it an error with nPlusOne: 'require': the plan cannot be applied", () => {
    const plan = planOf(BROKEN, { nPlusOne: 'require' });
    expect(findings(plan).map(([severity, path]) => [severity, path])).toEqual([['error', 'tokyo/a'], ['error', 'tokyo/b'], ['error', 'tokyo/c']]);
    expect(findings(plan)[0][2]).toBe('losing a would leave 1 of its 2 guests without a host (not N+1): g1 (closest b: needs 4GiB memory, 3.5GiB free)');
    expect(plan.applyable).toBe(false);
    expect(planOf(hosts({ g4: app('3GiB') }), { nPlusOne: 'require' }).applyable).toBe(true);
  });

  it('says once, not per guest, that a fleet of one host cannot be N+1', () => {
    const one = { a: { props: WEB_HOST_8G, guests: { g1: app('1GiB'), g2: app('1GiB') } } };
    const m = manifestOf(one);
    expect(findings(createPlan({ manifest: m }))).toEqual([
      ['note', 'tokyo', 'the fleet has one host, so losing it loses every guest (not N+1): add a host to be able to recreate its guests'],
    ]);
    const required = createPlan({ manifest: manifestOf(one, { nPlusOne: 'require' }) });
    expect(findings(required)).toEqual([['error', 'tokyo', "the fleet has one host, so losing it loses every guest (not N+1): nPlusOne is 'require': add a second host"]]);
    expect(required.applyable).toBe(false);
    // Nothing to lose: nothing said.
    expect(findings(createPlan({ manifest: manifestOf({ a: { props: WEB_HOST_8G } }) }))).toEqual([]);
  });

  it('names five homeless guests and counts the rest', () => {
    const many = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`g${i}`, { role: 'app', vcpus: 1, memory: '1GiB', antiAffinity: `x${i}` }]));
    const twins = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`t${i}`, { role: 'app', vcpus: 1, memory: '64MiB', antiAffinity: `x${i}` }]));
    const plan = createPlan({ manifest: manifestOf({ a: { props: WEB_HOST_8G, guests: many }, b: { props: WEB_HOST_8G, guests: twins } }) });
    const msg = findings(plan)[0][2];
    expect(msg.match(/anti-affinity/g)).toHaveLength(5);
    expect(msg).toContain('; and 2 more;');
  });
});

describe('Fleet prop nPlusOne', () => {
  it('reaches the manifest only when code sets it', () => {
    expect('nPlusOne' in manifestOf(hosts({}))).toBe(false);
    expect(manifestOf(hosts({}), { nPlusOne: 'require' }).nPlusOne).toBe('require');
  });

  it('refuses a value it does not know in one line naming the allowed ones', () => {
    expect(problemsOf(() => manifestOf(hosts({}), { nPlusOne: 'strict' as never }))).toEqual(["tokyo: nPlusOne 'strict' must be 'warn' or 'require'"]);
    expect(problemsOf(() => manifestOf(hosts({}), { nPlusone: 'warn' } as never))).toEqual(["tokyo: unknown prop 'nPlusone': did you mean 'nPlusOne'?"]);
  });
});

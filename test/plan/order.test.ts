import { describe, expect, it } from 'vitest';
import { orderSteps, simulate, type HostView } from '../../lib/plan/order';
import { createPlan } from '../../lib/plan/planner';
import type { Plan, Step } from '../../lib/plan/types';
import { WEB_HOST_4G, WEB_HOST_8G, manifestOf, memcached, stateOf, web } from '../helpers/fleet';

const step = (p: Plan, id: string) => p.steps.find((s) => s.id === id)!;
const views = (m: ReturnType<typeof manifestOf>, stateM: ReturnType<typeof manifestOf>): Map<string, HostView> =>
  new Map(m.hosts.map((h) => [h.name, { name: h.name, path: h.path, spec: h, memoryBefore: stateM.hosts.find((x) => x.name === h.name)!.memory.totalMiB, guests: stateM.guests.filter((g) => g.host === h.name) }]));

describe('step ordering', () => {
  // web-host-01 is full: 384 + 128 + 5632 + 2048 = 8192 MiB of 8192.
  const full = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'mc-01': memcached() } }, 'web-host-02': { props: WEB_HOST_8G } });

  it('frees before it uses: a create waits for the destroy on the same full host', () => {
    const m = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'mc-02': memcached() } }, 'web-host-02': { props: WEB_HOST_8G } });
    const p = createPlan({ manifest: m, state: stateOf(full) });
    expect(p.applyable).toBe(true);
    expect(step(p, 'create:mc-02').dependsOn).toEqual(['destroy:mc-01']);
    expect(p.steps.map((s) => s.id)).toEqual(['destroy:mc-01', 'create:mc-02']);
  });

  it('would over-commit in the wrong order, which the simulation catches', () => {
    const m = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'mc-02': memcached() } }, 'web-host-02': { props: WEB_HOST_8G } });
    const p = createPlan({ manifest: m, state: stateOf(full) });
    const reversed: Step[] = [...p.steps].reverse();
    expect(simulate(p.steps, views(m, full))).toBeUndefined();
    expect(simulate(reversed, views(m, full))).toBe('after create:mc-02, web-host-01: memory 10240 MiB > 8192 MiB');
  });

  it('refuses a plan whose step order would over-commit a host, even when ordering let it through', () => {
    const m = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'mc-02': memcached() } }, 'web-host-02': { props: WEB_HOST_8G } });
    // An ordering that puts the create before the destroy that makes room for it, and says nothing.
    const careless: typeof orderSteps = (steps, hosts) => {
      const ordered = orderSteps(steps, hosts).steps.reverse();
      for (const s of ordered) s.dependsOn = [];
      return { steps: ordered, diagnostics: [] };
    };
    const p = createPlan({ manifest: m, state: stateOf(full), order: careless });
    expect(p.applyable).toBe(false);
    expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([{
      severity: 'error', code: 'unorderable', path: 'tokyo',
      message: 'step order over-commits a host: after create:mc-02, web-host-01: memory 10240 MiB > 8192 MiB',
    }]);
  });

  it('lets growth that fits without frees run alongside them', () => {
    const roomy = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'mc-01': memcached() } } });
    const m = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'mc-02': memcached() } } });
    const p = createPlan({ manifest: m, state: stateOf(roomy) });
    expect(step(p, 'create:mc-02').dependsOn).toEqual([]);
  });

  it('moves a guest away before growing the one that stays', () => {
    const s0 = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB', { maxMemory: '7GiB' }), 'mc-01': memcached() } }, 'web-host-02': { props: WEB_HOST_8G } });
    const grown = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('7GiB', { maxMemory: '7GiB' }) } }, 'web-host-02': { props: WEB_HOST_8G, guests: { 'mc-01': memcached() } } });
    const p = createPlan({ manifest: grown, state: stateOf(s0) });
    expect(p.applyable).toBe(true);
    expect(step(p, 'update-live:web-01').dependsOn).toEqual(['migrate:mc-01']);
  });

  it('makes growth wait for the memory upgrade, whose apply checks the real memory', () => {
    const s4 = manifestOf({ 'web-host-01': { props: WEB_HOST_4G, guests: { 'web-01': web('3.5GiB') } } });
    const m8 = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'mc-01': memcached() } } });
    const p = createPlan({ manifest: m8, state: stateOf(s4) });
    expect(p.steps.map((s) => [s.id, s.dependsOn])).toEqual([
      ['upgrade-memory:web-host-01', []],
      ['update-live:web-01', ['upgrade-memory:web-host-01']],
      ['create:mc-01', ['upgrade-memory:web-host-01']],
    ]);
  });

  it('keeps steps on different hosts independent, so apply can run them in parallel', () => {
    const m = manifestOf({ a: { props: WEB_HOST_8G, guests: { g1: web('1GiB') } }, b: { props: WEB_HOST_8G, guests: { g2: web('1GiB') } } });
    const p = createPlan({ manifest: m });
    expect(step(p, 'create:g1').dependsOn).toEqual(['add-host:a']);
    expect(step(p, 'create:g2').dependsOn).toEqual(['add-host:b']);
  });

  it('refuses to order two full hosts swapping guests, and says so', () => {
    const s0 = manifestOf({ a: { props: WEB_HOST_8G, guests: { 'web-a': web('5.5GiB'), 'mc-a': memcached() } }, b: { props: WEB_HOST_8G, guests: { 'web-b': web('5.5GiB'), 'mc-b': memcached() } } });
    const swapped = manifestOf({ a: { props: WEB_HOST_8G, guests: { 'web-a': web('5.5GiB'), 'mc-b': memcached() } }, b: { props: WEB_HOST_8G, guests: { 'web-b': web('5.5GiB'), 'mc-a': memcached() } } });
    const p = createPlan({ manifest: swapped, state: stateOf(s0) });
    expect(p.applyable).toBe(false);
    expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([{
      severity: 'error', code: 'unorderable', path: 'a',
      message: "these changes wait on each other and cannot be ordered without over-committing a host: mc-a (a → b), mc-b (b → a); each host is too full to take the other's guest first: move one guest to a third host (or free memory) in a separate plan",
    }]);
  });

  it('orders the same swap when one host has room', () => {
    const s0 = manifestOf({ a: { props: WEB_HOST_8G, guests: { 'web-a': web('3.5GiB'), 'mc-a': memcached() } }, b: { props: WEB_HOST_8G, guests: { 'web-b': web('5.5GiB'), 'mc-b': memcached() } } });
    const swapped = manifestOf({ a: { props: WEB_HOST_8G, guests: { 'web-a': web('3.5GiB'), 'mc-b': memcached() } }, b: { props: WEB_HOST_8G, guests: { 'web-b': web('5.5GiB'), 'mc-a': memcached() } } });
    const p = createPlan({ manifest: swapped, state: stateOf(s0) });
    expect(p.applyable).toBe(true);
    expect(p.steps.map((s) => s.id)).toEqual(['migrate:mc-b', 'migrate:mc-a']);
    expect(step(p, 'migrate:mc-a').dependsOn).toEqual(['migrate:mc-b']);
  });

  describe('ordering errors only when the end state fits', () => {
    const s0 = manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } } });
    const errors = (p: Plan) => p.diagnostics.filter((d) => d.severity === 'error');

    it('gives an over-full host its fit error alone: no ordering could make it fit', () => {
      const over = manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'mc-01': memcached(), 'mc-02': memcached() } } });
      const p = createPlan({ manifest: over, state: stateOf(s0) });
      expect(errors(p).map((d) => d.code)).toEqual(['memory-over']);
      expect(JSON.stringify(p.diagnostics)).not.toContain('split the change into two plans');
    });

    it('says a host reports less memory than code (a failed DIMM), not that the change cannot be ordered', () => {
      const full = manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'mc-01': memcached() } } });
      const state = stateOf(s0);
      state.hosts.h.installedMiB = 6144;
      const p = createPlan({ manifest: full, state });
      expect(p.applyable).toBe(false);
      expect(errors(p)).toEqual([{
        severity: 'error', code: 'memory-short', path: 'tokyo/h',
        message: "h reports 6GiB installed, but code says 8GiB (a DIMM failed or was removed): its guests would need 8GiB; fit the missing memory and run `hvkit refresh`, or change the host's dimms in code to what is installed",
      }]);
    });
  });
});

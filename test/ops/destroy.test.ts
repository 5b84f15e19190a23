import { describe, expect, it } from 'vitest';
import { destroyedWorld, destroyState } from '../../lib/ops/destroy';
import { createPlan } from '../../lib/plan/planner';
import type { Plan } from '../../lib/plan/types';
import { WEB_HOST_8G, manifestOf, memcached, stateOf, web } from '../helpers/fleet';

const FLEET = manifestOf({
  'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'memcached-01': memcached() } },
  'web-host-02': { props: WEB_HOST_8G, guests: { 'web-02': web('5.5GiB') } },
});
const steps = (p: Plan) => p.steps.map((s) => s.id);

describe('destroyedWorld', () => {
  it('plans every guest destroyed, then every host record retired', () => {
    const state = stateOf(FLEET);
    const w = destroyedWorld(FLEET, state);
    const p = createPlan({ manifest: w.manifest, state, keep: w.keep });
    expect(steps(p)).toEqual(['destroy:memcached-01', 'destroy:web-01', 'destroy:web-02', 'retire-host:web-host-01', 'retire-host:web-host-02']);
    expect(p.changes.map((c) => `${c.action} ${c.name}`)).toEqual(['retire web-host-01', 'retire web-host-02', 'delete memcached-01', 'delete web-01', 'delete web-02']);
    expect(p.steps.find((s) => s.id === 'retire-host:web-host-01')!.dependsOn.sort()).toEqual(['destroy:memcached-01', 'destroy:web-01']);
  });

  it('with targets, destroys only those guests and a named host with its guests, from state whatever code says', () => {
    const state = stateOf(FLEET);
    const code = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3GiB') } } });
    const w = destroyedWorld(code, state, { guests: new Set(['memcached-01']), hosts: new Set(['web-host-02']) });
    expect(w.guests).toEqual(['memcached-01', 'web-02']);
    expect(w.hosts).toEqual(['web-host-02']);
    const p = createPlan({ manifest: w.manifest, state, keep: w.keep });
    expect(steps(p)).toEqual(['destroy:memcached-01', 'destroy:web-02', 'retire-host:web-host-02']);
  });

  it('destroys a guest refresh found missing, which a plan would create again', () => {
    const recorded = stateOf(FLEET);
    const drifted = structuredClone(recorded);
    delete drifted.guests['web-02'];
    const state = destroyState(drifted, recorded);
    expect(Object.keys(state!.guests).sort()).toEqual(['memcached-01', 'web-01', 'web-02']);
    const w = destroyedWorld(FLEET, state, { guests: new Set(['web-02']), hosts: new Set() });
    expect(steps(createPlan({ manifest: w.manifest, state, keep: w.keep }))).toEqual(['destroy:web-02']);
  });

  it('refuses to destroy a guest whose code sets lifecycle.preventDestroy, before that is applied; code saying false lets it go', () => {
    const protectedInCode = manifestOf({
      'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB', { lifecycle: { preventDestroy: true } }), 'memcached-01': memcached() } },
      'web-host-02': { props: WEB_HOST_8G, guests: { 'web-02': web('5.5GiB') } },
    });
    const state = stateOf(FLEET);
    const errors = (p: Plan) => p.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.path}: ${d.message}`);
    for (const named of [undefined, { guests: new Set(['web-01']), hosts: new Set<string>() }]) {
      const w = destroyedWorld(protectedInCode, state, named);
      const p = createPlan({ manifest: w.manifest, state, keep: w.keep, code: protectedInCode });
      expect(errors(p)).toEqual(['tokyo/web-host-01/web-01: web-01 has lifecycle.preventDestroy: this plan would destroy its data (destroy: hvkit destroy; destroys 20GiB on sda of web-host-01); set lifecycle.preventDestroy: false in code and apply, then destroy']);
      expect(p.applyable).toBe(false);
    }
    const w = destroyedWorld(FLEET, stateOf(protectedInCode));
    expect(createPlan({ manifest: w.manifest, state: stateOf(protectedInCode), keep: w.keep, code: FLEET }).applyable).toBe(true);
  });

  it('protects a guest code renames (movedFrom) by the setting under its new name, before the rename is applied', () => {
    const renamed = manifestOf({
      'web-host-01': { props: WEB_HOST_8G, guests: { 'www-01': web('5.5GiB', { movedFrom: 'web-01', lifecycle: { preventDestroy: true } }), 'memcached-01': memcached() } },
      'web-host-02': { props: WEB_HOST_8G, guests: { 'web-02': web('5.5GiB') } },
    });
    const state = stateOf(FLEET);
    const w = destroyedWorld(renamed, state);
    const p = createPlan({ manifest: w.manifest, state, keep: w.keep, code: renamed });
    expect(p.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.path}: ${d.message}`)).toEqual([
      'tokyo/web-host-01/www-01: web-01 has lifecycle.preventDestroy: this plan would destroy its data (destroy: no longer in code; destroys 20GiB on sda of web-host-01); remove the setting or change the plan',
    ]);
  });
});

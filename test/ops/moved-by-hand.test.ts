import { describe, expect, it } from 'vitest';
import { driftOf } from '../../lib/ops/drift';
import { applyEffect } from '../../lib/apply/effects';
import type { Manifest } from '../../lib/manifest/types';
import { createPlan } from '../../lib/plan/planner';
import type { GuestChange, Plan } from '../../lib/plan/types';
import type { State } from '../../lib/state/types';
import { WEB_HOST_8G, manifestOf, stateOf, web } from '../helpers/fleet';

/** Code places web-01 on web-host-02; state still records it on web-host-01, where it ran before someone moved it by hand. */
const code = manifestOf({ 'web-host-01': { props: WEB_HOST_8G }, 'web-host-02': { props: WEB_HOST_8G, guests: { 'web-01': web('1GiB') } } });

function movedByHand(m: Manifest, config?: string): State {
  const s = stateOf(m);
  const rec = s.guests['web-01'];
  s.guests['web-01'] = { ...rec, spec: { ...rec.spec, host: 'web-host-01' }, config: config ?? rec.config };
  const d = rec.spec;
  s.observed = {
    at: '2026-11-27T00:00:00.000Z',
    hosts: {
      'web-host-01': { reachable: true, memoryMiB: 8192, domains: [] },
      'web-host-02': { reachable: true, memoryMiB: 8192, domains: [{ name: 'web-01', memoryMiB: d.memoryMiB, maxMemoryMiB: d.maxMemoryMiB, vcpus: d.vcpus, maxVcpus: d.maxVcpus, running: true }] },
    },
  };
  return s;
}

function planOf(state: State): Plan {
  const drift = driftOf(code, state);
  return createPlan({ manifest: code, state: drift.state, drift: drift.items, diagnostics: drift.diagnostics });
}

const web01 = (p: Plan) => p.changes.find((c) => c.kind === 'guest' && c.name === 'web-01') as GuestChange;

describe('plan: a guest moved outside hvkit to the host code places it on', () => {
  it('records it there without touching the hypervisor, and plans nothing once recorded', () => {
    const state = movedByHand(code);
    const p = planOf(state);
    expect(web01(p)).toMatchObject({ action: 'update', recordOnly: true, restart: false, reason: { code: 'moved-outside-hvkit', detail: { guest: 'web-01', from: 'web-host-01', to: 'web-host-02' } } });
    expect(web01(p).fields).toEqual([{ field: 'host', before: 'web-host-01', after: 'web-host-02' }]);
    expect(p.steps.map((s) => [s.id, s.host])).toEqual([['update-record:web-01', 'web-host-02']]);
    // Apply records the step, then clears the refresh: the next plan stands on state alone.
    const after = structuredClone(state);
    for (const s of p.steps) applyEffect(after, s);
    delete after.observed;
    expect(after.guests['web-01'].spec.host).toBe('web-host-02');
    expect(planOf(after).steps).toEqual([]);
  });

  it('still restarts it when its config differs for another reason than the move', () => {
    const p = planOf(movedByHand(code, 'a config some older renderer wrote\n'));
    expect(web01(p)).toMatchObject({ action: 'update', restart: true });
    expect(p.steps.map((s) => s.kind)).toEqual(['update-restart']);
  });
});

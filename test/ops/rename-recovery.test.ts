import { describe, expect, it } from 'vitest';
import { intentOf } from '../../lib/apply/intent';
import type { Manifest } from '../../lib/manifest/types';
import { recoverInflight, type Lister } from '../../lib/ops/recover';
import { createPlan } from '../../lib/plan/planner';
import type { ObservedDomain, State } from '../../lib/state/types';
import { manifestOf, stateOf, web, WEB_HOST_8G } from '../helpers/fleet';

const fleet = (guests: Record<string, ReturnType<typeof web>>): Manifest => manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests } });
const before = stateOf(fleet({ 'web-02': web('2GiB') }));
const renamed = fleet({ 'web-03': web('2GiB', { movedFrom: 'web-02' }) });
const step = createPlan({ manifest: renamed, state: before }).steps[0];

/** The state a kill -9 leaves once the rename's intent is durable. */
const killed = (): State => ({ ...structuredClone(before), inflight: { [step.id]: intentOf(step, 'run-1') } });
const hypervisor = (names: string[]): Lister => async () => names.map((name): ObservedDomain => ({ name, memoryMiB: 2048, maxMemoryMiB: 5632, vcpus: 2, maxVcpus: 2, running: true }));

describe('recoverInflight: a rename cut short', () => {
  it('records the guest under its new name when the hypervisor has it so, and the plan is "No changes"', async () => {
    const r = await recoverInflight(killed(), hypervisor(['web-03']), 'state.json');
    expect(Object.keys(r.state.guests)).toEqual(['web-03']);
    expect(r.state.guests['web-03'].spec.uuid).toBe(before.guests['web-02'].spec.uuid);
    expect(r.recovered[0]).toMatchObject({ step: 'rename:web-03', done: true });
    expect(createPlan({ manifest: renamed, state: r.state }).steps).toEqual([]);
  });

  it('keeps the old record when the domain still has its old name, and the plan renames it again', async () => {
    const r = await recoverInflight(killed(), hypervisor(['web-02']), 'state.json');
    expect(Object.keys(r.state.guests)).toEqual(['web-02']);
    expect(r.recovered[0].message).toContain('web-02 is still on web-host-01 under its old name; the plan renames it');
    expect(createPlan({ manifest: renamed, state: r.state }).steps.map((s) => s.id)).toEqual(['rename:web-03']);
  });

  it('forgets the record when neither name is there, and the plan creates the guest', async () => {
    const r = await recoverInflight(killed(), hypervisor([]), 'state.json');
    expect(r.state.guests).toEqual({});
    expect(createPlan({ manifest: renamed, state: r.state }).steps.map((s) => s.id)).toEqual(['create:web-03']);
  });
});

import { describe, expect, it } from 'vitest';
import { intentOf } from '../../lib/apply/intent';
import { recoverInflight, type Lister } from '../../lib/ops/recover';
import type { GuestProps } from '../../lib/manifest/props';
import { createPlan } from '../../lib/plan/planner';
import type { State } from '../../lib/state/types';
import { manifestOf, stateOf, web, WEB_HOST_8G } from '../helpers/fleet';

const RUN = '2026-11-27T08-00-00-000Z-abcd';
const fleet = (g: Partial<GuestProps>) => manifestOf({ a: { props: { ...WEB_HOST_8G, provider: 'libvirt' }, guests: { 'web-01': web('1GiB', g) } } });

/** State as an apply killed during web-01's live update leaves it: the old spec recorded, the update in flight. */
function killedDuringUpdate(before: Partial<GuestProps>, after: Partial<GuestProps>): State {
  const state = stateOf(fleet(before));
  const step = createPlan({ manifest: fleet(after), state }).steps.find((s) => s.kind === 'update-live')!;
  return { ...state, inflight: { [step.id]: intentOf(step, RUN) } };
}

/** The domain as `list` reports it: memory and vCPUs as planned either way, nothing of caps or disk limits. */
const listed: Lister = async () => [{ name: 'web-01', memoryMiB: 1024, maxMemoryMiB: 1024, vcpus: 2, maxVcpus: 2, running: true }];

describe('recoverInflight of a live cap or disk-limit change', () => {
  it('does not take matching memory and vCPUs for a cap that was set: state keeps the old cap and the plan sets it again', async () => {
    const r = await recoverInflight(killedDuringUpdate({ cpu: { cap: 50 } }, { cpu: { cap: 100 } }), listed, '/x/state.json');
    expect(r.recovered.map((x) => [x.done, x.message.split(': ').pop()])).toEqual([[false, 'web-01 on a is not as planned yet; the plan finishes it']]);
    expect(r.state.guests['web-01'].spec.cpuCap).toBe(50);
    expect(r.state.inflight).toEqual({});
  });

  it('likewise for a disk limit', async () => {
    const disk = { size: '1GiB', on: 'sda' };
    const r = await recoverInflight(killedDuringUpdate({ disks: [disk] }, { disks: [{ ...disk, iops: 300 }] }), listed, '/x/state.json');
    expect(r.recovered[0].done).toBe(false);
    expect(r.state.guests['web-01'].spec.disks[0].iops).toBeUndefined();
  });
});

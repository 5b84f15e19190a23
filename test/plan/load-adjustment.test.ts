import { describe, expect, it } from 'vitest';
import { callsOf } from '../../lib/apply/effects';
import type { GuestProps } from '../../lib/manifest/props';
import { createPlan } from '../../lib/plan/planner';
import { reasonText } from '../../lib/plan/reason';
import type { GuestChange, Plan } from '../../lib/plan/types';
import { renderJson } from '../../lib/render/json';
import { renderMarkdown } from '../../lib/render/markdown';
import { style } from '../../lib/render/style';
import { renderText } from '../../lib/render/text';
import { WEB_HOST_8G, manifestOf, stateOf, web } from '../helpers/fleet';

const DISK = { size: '20GiB', on: 'sda' } as const;
const fleet = (g: Partial<GuestProps>, provider: 'local' | 'libvirt' | 'xen' = 'local') =>
  manifestOf({ h1: { props: { ...WEB_HOST_8G, provider }, guests: { 'web-01': web('2GiB', { maxVcpus: 4, ...g }) } } });
const planFrom = (before: Partial<GuestProps>, after: Partial<GuestProps>, provider: 'local' | 'libvirt' | 'xen' = 'local'): Plan =>
  createPlan({ manifest: fleet(after, provider), state: stateOf(fleet(before, provider)) });
const change = (p: Plan) => p.changes.find((c) => c.kind === 'guest' && c.name === 'web-01') as GuestChange;

describe('load adjustment: a cap or weight change is an in-place live update', () => {
  it('caps a running guest live, without a restart', () => {
    const c = change(planFrom({}, { cpu: { cap: 50 } }));
    expect(c).toMatchObject({ action: 'update', restart: false, reason: { code: 'live-update', detail: { changes: [{ field: 'cpuCap', from: null, to: 50 }] } } });
    expect(reasonText(c.reason)).toBe('cpu cap none → 50% while running');
  });

  it('changes cap and weight together live, and names both', () => {
    const c = change(planFrom({ cpu: { cap: 50, weight: 256 } }, { cpu: { cap: 150, weight: 512 } }, 'xen'));
    expect(c.reason).toEqual({ code: 'live-update', detail: { changes: [{ field: 'cpuCap', from: 50, to: 150 }, { field: 'cpuWeight', from: 256, to: 512 }] } });
    expect(reasonText(c.reason)).toBe('cpu cap 50% → 150%, cpu weight 256 → 512 while running');
  });

  it('takes a cap off live (cap → none), and plans nothing when the flat form becomes cpu', () => {
    const off = change(planFrom({ cpuCap: 50 }, {}));
    expect(off).toMatchObject({ restart: false, reason: { code: 'live-update', detail: { changes: [{ field: 'cpuCap', from: 50, to: null }] } } });
    expect(reasonText(off.reason)).toBe('cpu cap 50% → none while running');
    expect(change(planFrom({ cpuCap: 50, cpuWeight: 512 }, { cpu: { cap: 50, weight: 512 } }, 'libvirt')).action).toBe('noop');
  });

  it('plans an update-live step that calls set-cpu with the guest as code wants it', () => {
    const p = planFrom({ cpu: { weight: 128 } }, { cpu: { weight: 512 } });
    expect(p.steps.map((s) => [s.kind, s.description])).toEqual([['update-live', 'update web-01 on h1: cpu weight 128 → 512 while running']]);
    const calls = callsOf(p.steps[0], 'tokyo');
    expect(calls.map((c) => c.verb)).toEqual(['set-cpu']);
    expect(calls[0].input.guest).toMatchObject({ cpuWeight: 512, cpuCap: null });
  });

  it('with memory at once: one live update, set-memory then set-cpu', () => {
    const p = planFrom({ maxMemory: '4GiB' }, { maxMemory: '4GiB', memory: '3GiB', cpu: { cap: 100 } } as Partial<GuestProps>);
    expect(reasonText(change(p).reason)).toBe('cpu cap none → 100%, memory 2GiB → 3GiB while running');
    expect(callsOf(p.steps[0], 'tokyo').map((c) => c.verb)).toEqual(['set-memory', 'set-cpu']);
  });

  it('still restarts when a field that needs one changes with the cap', () => {
    expect(change(planFrom({}, { maxVcpus: 8, cpu: { cap: 50 } }))).toMatchObject({ restart: true, reason: { code: 'restart-update', detail: { fields: ['cpuCap', 'maxVcpus'] } } });
  });
});

describe('load adjustment: disk I/O limits change live', () => {
  it('sets, changes and lifts a disk limit in place — never a replace', () => {
    const set = change(planFrom({ disks: [DISK] }, { disks: [{ ...DISK, iops: 500 }] }, 'libvirt'));
    expect(set).toMatchObject({ action: 'update', restart: false, reason: { code: 'live-update', detail: { changes: [{ field: 'diskLimits', disk: 0, on: 'sda', from: { iops: null, mbps: null }, to: { iops: 500, mbps: null } }] } } });
    expect(reasonText(set.reason)).toBe('disk 0 (sda) I/O limit none → 500 IOPS while running');
    const lifted = change(planFrom({ disks: [{ ...DISK, iops: 500, mbps: 40 }] }, { disks: [DISK] }, 'libvirt'));
    expect(reasonText(lifted.reason)).toBe('disk 0 (sda) I/O limit 500 IOPS + 40 MB/s → none while running');
  });

  it('calls set-disk-io with the indexes of the disks whose limits changed', () => {
    const p = planFrom({ disks: [DISK, DISK] }, { disks: [DISK, { ...DISK, mbps: 40 }] }, 'libvirt');
    const calls = callsOf(p.steps[0], 'tokyo');
    expect(calls.map((c) => [c.verb, c.input.disks])).toEqual([['set-disk-io', [1]]]);
  });

  it('restarts when a disk also grows, as before', () => {
    const c = change(planFrom({ disks: [DISK] }, { disks: [{ size: '30GiB', on: 'sda', iops: 500 }] }, 'libvirt'));
    expect(c).toMatchObject({ restart: true, reason: { code: 'restart-update', detail: { fields: ['disks'] } } });
  });
});

/** A libvirt fleet whose web-01 is recorded shut off (power 'stopped' in code too), changed from `before` to `after`. */
function stoppedPlan(before: Partial<GuestProps>, after: Partial<GuestProps>): Plan {
  const state = stateOf(fleet({ ...before, power: 'stopped' }, 'libvirt'));
  state.guests['web-01'].power = { state: 'stopped', at: '2026-11-27T10:00:00.000Z', by: 'apply' };
  return createPlan({ manifest: fleet({ ...after, power: 'stopped' }, 'libvirt'), state });
}

describe('load adjustment: a guest recorded shut off changes in its config only', () => {
  it('says a cap change of a stopped guest goes into its config and takes effect at next start — in text, markdown and JSON', () => {
    const p = stoppedPlan({ cpu: { cap: 30 } }, { cpu: { cap: 70 } });
    expect(change(p).reason).toEqual({ code: 'live-update', detail: { changes: [{ field: 'cpuCap', from: 30, to: 70 }], stopped: true } });
    const words = 'cpu cap 30% → 70% in its config; takes effect at next start';
    expect(p.steps.map((s) => s.description)).toEqual([`update web-01 on h1: ${words}`]);
    for (const out of [renderText(p, style(false)), renderMarkdown(p)]) {
      expect(out).toContain(words);
      expect(out).not.toContain('while running');
    }
    const json = renderJson(p, 'hvkit_guest');
    expect(json).toContain(words);
    expect(json).toContain('"stopped": true');
  });

  it('words memory, vCPU and disk limit changes of a stopped guest the same way', () => {
    const p = stoppedPlan({ maxMemory: '4GiB', disks: [DISK] }, { maxMemory: '4GiB', memory: '3GiB', vcpus: 3, disks: [{ ...DISK, iops: 100 }] } as Partial<GuestProps>);
    expect(reasonText(change(p).reason)).toBe('disk 0 (sda) I/O limit none → 100 IOPS, memory 2GiB → 3GiB, vcpus 2 → 3 in its config; takes effect at next start');
  });

  it('still says "while running" for a running guest', () => {
    expect(reasonText(change(planFrom({ cpu: { cap: 30 } }, { cpu: { cap: 70 } }, 'libvirt')).reason)).toBe('cpu cap 30% → 70% while running');
  });
});

describe('load adjustment: each change shown once, in words', () => {
  it('shows a cap change as its reason only, not again as a raw cpuCap field line', () => {
    const text = renderText(planFrom({ cpu: { cap: 50 } }, { cpu: { cap: 20 } }), style(false));
    expect(text).toContain('cpu cap 50% → 20% while running');
    expect(text).not.toContain('cpuCap:');
  });

  it('shows a disk limit change by index and host disk, with no raw disks JSON line', () => {
    const text = renderText(planFrom({ disks: [DISK] }, { disks: [{ ...DISK, iops: 100 }] }, 'libvirt'), style(false));
    expect(text).toContain('disk 0 (sda) I/O limit none → 100 IOPS while running');
    expect(text).not.toMatch(/disks: \[/);
  });

  it('still lists a record-only field that changes with a live one', () => {
    const text = renderText(planFrom({ role: 'web' }, { role: 'api', cpu: { cap: 20 } }), style(false));
    expect(text).toContain('cpu cap none → 20% while running');
    expect(text).toContain('role: web → api');
  });
});

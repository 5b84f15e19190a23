import { describe, expect, it } from 'vitest';
import type { FleetProps, GuestProps, HostProps, LifecycleProps } from '../../lib/manifest/props';
import type { Manifest } from '../../lib/manifest/types';
import { createPlan, type PlanInput } from '../../lib/plan/planner';
import type { GuestChange, Plan } from '../../lib/plan/types';
import type { State } from '../../lib/state/types';
import { WEB_HOST_8G, manifestOf, memcached, stateOf, web } from '../helpers/fleet';

const PROTECTED: LifecycleProps = { preventDestroy: true };

function fleet(guests: Record<string, GuestProps>, spare: Record<string, GuestProps> = {}, props: FleetProps = {}, host: Partial<HostProps> = {}): Manifest {
  return manifestOf({ 'web-host-01': { props: { ...WEB_HOST_8G, ...host }, guests }, 'web-host-02': { props: WEB_HOST_8G, guests: spare } }, props);
}

const deployed = fleet({ 'web-01': web('3.5GiB', { lifecycle: PROTECTED }), 'mc-01': memcached() });

function plan(code: Manifest, extra: Partial<PlanInput> = {}, state: State = stateOf(deployed)): Plan {
  return createPlan({ manifest: code, state, ...extra });
}

function change(p: Plan, name: string): GuestChange {
  const c = p.changes.find((x) => x.kind === 'guest' && x.name === name);
  if (!c || c.kind !== 'guest') throw new Error(`no change of ${name}`);
  return c;
}

const errors = (p: Plan) => p.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.path}: ${d.message}`);

describe('lifecycle.preventDestroy', () => {
  it('refuses a replace of a protected guest, naming its path, the prop and what would be lost', () => {
    const p = plan(fleet({ 'web-01': web('3.5GiB', { lifecycle: PROTECTED, mode: 'hvm' }), 'mc-01': memcached() }));
    expect(errors(p)).toEqual([
      'tokyo/web-host-01/web-01: web-01 has lifecycle.preventDestroy: this plan would destroy its data (replace: mode pv → hvm cannot change on an existing domain; destroys 20GiB on sda of web-host-01); remove the setting or change the plan',
    ]);
    expect(p.applyable).toBe(false);
  });

  it('refuses deleting a protected guest removed from code, by the protection state records', () => {
    const p = plan(fleet({ 'mc-01': memcached() }));
    expect(errors(p)).toEqual([
      'tokyo/web-host-01/web-01: web-01 has lifecycle.preventDestroy: this plan would destroy its data (destroy: no longer in code; destroys 20GiB on sda of web-host-01); to delete it, put it back in code with lifecycle.preventDestroy: false and apply, then remove it',
    ]);
  });

  it('lets a guest go once preventDestroy: false is applied, then removed', () => {
    const unprotected = fleet({ 'web-01': web('3.5GiB', { lifecycle: { preventDestroy: false } }), 'mc-01': memcached() });
    const toggle = plan(unprotected);
    expect(change(toggle, 'web-01')).toMatchObject({ action: 'update', recordOnly: true, restart: false, fields: [{ field: 'lifecycle' }] });
    expect(toggle.steps.map((s) => s.kind)).toEqual(['update-record']);
    expect(plan(fleet({ 'mc-01': memcached() }), {}, stateOf(unprotected)).applyable).toBe(true);
  });

  it('refuses a rebuild in place and onto another host', () => {
    expect(errors(plan(deployed, { rebuild: { guests: ['web-01'], host: 'web-host-01' } }))[0]).toMatch(/^tokyo\/web-host-01\/web-01: web-01 has lifecycle.preventDestroy: this plan would destroy its data \(replace: rebuild; .*destroys 20GiB on sda of web-host-01\)/);
    const onto = fleet({ 'mc-01': memcached() }, { 'web-01': web('3.5GiB', { lifecycle: PROTECTED }) });
    expect(errors(plan(onto, { rebuild: { guests: ['web-01'], host: 'web-host-01', to: 'web-host-02' } }))[0]).toContain('recreated with empty disks: 20GiB on sda of web-host-01 not carried over');
  });

  it('allows live and restart updates in place, and migrations', () => {
    const updated = plan(fleet({ 'web-01': web('5GiB', { lifecycle: PROTECTED }), 'mc-01': memcached() }));
    expect(change(updated, 'web-01')).toMatchObject({ action: 'update', restart: false });
    const restarted = plan(fleet({ 'web-01': web('3.5GiB', { lifecycle: PROTECTED, vcpus: 3, maxVcpus: 3 }), 'mc-01': memcached() }));
    expect(change(restarted, 'web-01')).toMatchObject({ action: 'update', restart: true });
    const moved = plan(fleet({ 'mc-01': memcached() }, { 'web-01': web('3.5GiB', { lifecycle: PROTECTED }) }));
    expect(change(moved, 'web-01').action).toBe('migrate');
    for (const p of [updated, restarted, moved]) expect(errors(p)).toEqual([]);
  });

  it('takes the fleet’s default, the host’s over it, and the guest’s own over both', () => {
    const m = fleet({ 'web-01': web('3.5GiB'), 'mc-01': memcached({ lifecycle: { preventDestroy: true } }) }, { 'web-02': web('1GiB') }, { lifecycle: { preventDestroy: true, ignoreChanges: ['tags'] } }, { lifecycle: { preventDestroy: false } });
    const of = (n: string) => m.guests.find((g) => g.name === n)!.lifecycle;
    expect(of('web-02')).toEqual({ ignoreChanges: ['tags'], preventDestroy: true });
    expect(of('web-01')).toEqual({ ignoreChanges: ['tags'], preventDestroy: false });
    expect(of('mc-01')).toEqual({ ignoreChanges: ['tags'], preventDestroy: true });
    // The fleet's default protects a guest that does not set it.
    const gone = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB', { mode: 'hvm' }) } } }, { lifecycle: PROTECTED });
    expect(errors(plan(gone, {}, stateOf(manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } } }, { lifecycle: PROTECTED })))).length).toBe(1);
  });
});

describe('lifecycle.ignoreChanges', () => {
  const tuned = fleet({ 'web-01': web('3.5GiB', { lifecycle: { ignoreChanges: ['memory'] } }), 'mc-01': memcached() });

  it('keeps a memory an operator tuned by hand out of the plan, and plans the other fields', () => {
    // `hvkit refresh` recorded what the operator set by hand (xl mem-set): 5GiB.
    const state = stateOf(tuned);
    state.guests['web-01'].spec = { ...state.guests['web-01'].spec, memoryMiB: 5120 };
    const p = plan(tuned, {}, state);
    expect(change(p, 'web-01').action).toBe('noop');
    expect(p.steps).toEqual([]);
    const withVcpus = plan(fleet({ 'web-01': web('3.5GiB', { lifecycle: { ignoreChanges: ['memory'] }, vcpus: 1, maxVcpus: 2 }), 'mc-01': memcached() }), {}, state);
    expect(change(withVcpus, 'web-01')).toMatchObject({ action: 'update', fields: [{ field: 'vcpus', before: 2, after: 1 }] });
    // The config the step applies is rendered from the memory kept, not the code's.
    expect(withVcpus.steps[0].config!.text).toContain('"memoryMiB": 5120');
    expect(withVcpus.steps[0].after!.memoryMiB).toBe(5120);
  });

  it('with all, keeps every tunable field', () => {
    const state = stateOf(fleet({ 'web-01': web('3.5GiB', { lifecycle: { ignoreChanges: ['all'] } }), 'mc-01': memcached() }));
    const p = plan(fleet({ 'web-01': web('4GiB', { lifecycle: { ignoreChanges: ['all'] }, role: 'api', tags: { rack: 'b2' }, cpuWeight: 512 }), 'mc-01': memcached() }), {}, state);
    expect(change(p, 'web-01').action).toBe('noop');
  });

  it('with cpu, keeps the cap and weight an operator set by hand, and still plans a memory change', () => {
    const state = stateOf(fleet({ 'web-01': web('3.5GiB', { lifecycle: { ignoreChanges: ['cpu'] }, cpu: { cap: 50, weight: 256 } }), 'mc-01': memcached() }));
    const p = plan(fleet({ 'web-01': web('3GiB', { lifecycle: { ignoreChanges: ['cpu'] }, cpu: { cap: 150, weight: 512 } }), 'mc-01': memcached() }), {}, state);
    const c = change(p, 'web-01');
    expect(c.action).toBe('update');
    expect(c.after).toMatchObject({ cpuCap: 50, cpuWeight: 256, memoryMiB: 3072 });
  });

  it('keeps the maxMemory that follows memory: a memory change in code is no change at all', () => {
    const ignoring = (memory: string) => fleet({ 'web-01': web('3.5GiB'), 'mc-01': memcached({ memory, lifecycle: { ignoreChanges: ['memory'] } }) });
    const p = plan(ignoring('3GiB'), {}, stateOf(ignoring('2GiB')));
    expect(change(p, 'mc-01').action).toBe('noop');
    expect(p.steps).toEqual([]);
  });

  it('keeps the maxVcpus that follows vcpus when vcpus is ignored', () => {
    const ignoring = (vcpus: number) => fleet({ 'web-01': web('3.5GiB', { lifecycle: { ignoreChanges: ['vcpus'] }, vcpus }), 'mc-01': memcached() });
    const p = plan(ignoring(4), {}, stateOf(ignoring(2)));
    expect(change(p, 'web-01').action).toBe('noop');
  });

  it('refuses a kept memory above a maxMemory lowered in code', () => {
    const state = stateOf(tuned);
    const p = plan(fleet({ 'web-01': web('2GiB', { maxMemory: '3GiB', lifecycle: { ignoreChanges: ['memory'] } }), 'mc-01': memcached() }), {}, state);
    expect(errors(p)).toEqual(['tokyo/web-host-01/web-01: lifecycle.ignoreChanges keeps the recorded memory 3.5GiB, above maxMemory 3GiB: raise maxMemory, or ignore it too, or stop ignoring memory']);
  });

  it('plans a new guest from code: there is no recorded value to keep', () => {
    const p = createPlan({ manifest: tuned });
    expect(change(p, 'web-01')).toMatchObject({ action: 'create', after: { memoryMiB: 3584 } });
  });
});

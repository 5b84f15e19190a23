import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GuestProps, HostProps } from '../../lib/manifest/props';
import type { Manifest } from '../../lib/manifest/types';
import { loadPlan, serializePlan } from '../../lib/plan/plan-file';
import { createPlan, type PlanInput } from '../../lib/plan/planner';
import { summarize, type GuestChange, type Plan } from '../../lib/plan/types';
import { reasonText } from '../../lib/plan/reason';
import { WEB_HOST_8G, manifestOf, memcached, stateOf, web } from '../helpers/fleet';

/** A web guest with two disks: a replace loses both, not only the one that changes. */
const twoDisks = (extra: Partial<GuestProps> = {}): GuestProps => web('3.5GiB', { disks: [{ size: '20GiB', on: 'sda' }, { size: '10GiB', on: 'sda' }], ...extra });

function fleet(guests: Record<string, GuestProps>, spare: Record<string, GuestProps> = {}): Manifest {
  return manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests }, 'web-host-02': { props: WEB_HOST_8G, guests: spare } });
}

const deployed = fleet({ 'web-01': twoDisks(), 'mc-01': memcached() });

function plan(code: Manifest, extra: Partial<PlanInput> = {}): Plan {
  return createPlan({ manifest: code, state: stateOf(deployed), ...extra });
}

function change(p: Plan, name: string): GuestChange {
  const c = p.changes.find((x) => x.kind === 'guest' && x.name === name);
  if (!c || c.kind !== 'guest') throw new Error(`no change of ${name}`);
  return c;
}

const BOTH_DISKS = {
  kind: 'destroyed',
  disks: [{ disk: 0, sizeMiB: 20480, hostDisk: 'sda', host: 'web-host-01' }, { disk: 1, sizeMiB: 10240, hostDisk: 'sda', host: 'web-host-01' }],
  totalMiB: 30720,
};

describe('data loss: the planner marks every change that loses guest data', () => {
  it('marks a guest removed from code: every disk it had, on its host', () => {
    expect(change(plan(fleet({ 'mc-01': memcached() })), 'web-01')).toMatchObject({ action: 'delete', dataLoss: BOTH_DISKS });
  });

  it('marks a replace by a mode change with all the guest’s disks', () => {
    expect(change(plan(fleet({ 'web-01': twoDisks({ mode: 'hvm' }), 'mc-01': memcached() })), 'web-01')).toMatchObject({ action: 'replace', dataLoss: BOTH_DISKS });
  });

  it('marks a disk shrink with every disk, not only the one that shrinks (destroy then create removes them all)', () => {
    const shrunk = twoDisks({ disks: [{ size: '20GiB', on: 'sda' }, { size: '5GiB', on: 'sda' }] });
    expect(change(plan(fleet({ 'web-01': shrunk, 'mc-01': memcached() })), 'web-01').dataLoss).toEqual(BOTH_DISKS);
  });

  it('marks a rebuild in place', () => {
    const p = plan(deployed, { rebuild: { guests: ['web-01'], host: 'web-host-01' } });
    expect(change(p, 'web-01')).toMatchObject({ action: 'replace', reason: { code: 'rebuild-requested' }, dataLoss: BOTH_DISKS });
  });

  it('marks a rebuild --to of a down host as disks left behind, not carried over', () => {
    const onto = fleet({ 'mc-01': memcached() }, { 'web-01': twoDisks() });
    const p = plan(onto, { rebuild: { guests: ['web-01'], host: 'web-host-01', to: 'web-host-02' } });
    expect(p.steps.find((s) => s.guest === 'web-01')!.kind).toBe('recreate');
    expect(change(p, 'web-01').dataLoss).toEqual({ ...BOTH_DISKS, kind: 'left-behind' });
  });

  it('marks a forced rebuild --to as destroying the copy on the source host', () => {
    const onto = fleet({ 'mc-01': memcached() }, { 'web-01': twoDisks() });
    const p = plan(onto, { rebuild: { guests: ['web-01'], host: 'web-host-01', to: 'web-host-02', forced: ['web-01'] } });
    expect(change(p, 'web-01').dataLoss).toEqual(BOTH_DISKS);
  });

  it('marks a guest without disks as losing none, so a replace still says what it destroys', () => {
    const p = plan(fleet({ 'web-01': twoDisks(), 'mc-01': memcached({ mode: 'hvm' }) }));
    expect(change(p, 'mc-01').dataLoss).toEqual({ kind: 'destroyed', disks: [], totalMiB: 0 });
  });

  it('leaves updates in place, restarts and migrations unmarked: they keep the disks', () => {
    const p = plan(fleet({ 'web-01': twoDisks({ memory: '4GiB' }), 'mc-01': memcached({ vcpus: 2 }) }));
    expect(change(p, 'web-01')).toMatchObject({ action: 'update', restart: false });
    expect(change(p, 'mc-01')).toMatchObject({ action: 'update', restart: true });
    const moved = plan(fleet({ 'web-01': twoDisks() }, { 'mc-01': memcached() }));
    expect(change(moved, 'mc-01').action).toBe('migrate');
    for (const c of [...p.changes, ...moved.changes]) expect(c).not.toHaveProperty('dataLoss');
  });
});

describe('data loss: a host change that gives its guests new, empty disk images', () => {
  const onHost = (host: Partial<HostProps>, extra: Partial<GuestProps> = {}): Manifest =>
    manifestOf({ 'web-host-01': { props: { ...WEB_HOST_8G, ...host }, guests: { 'web-01': twoDisks(extra), 'mc-01': memcached() } }, 'web-host-02': { props: WEB_HOST_8G, guests: {} } });
  const LEFT = { ...BOTH_DISKS, kind: 'left-behind' };

  it('replaces a guest whose image paths a storageDir change moves, naming each path, and marks its disks not carried over', () => {
    const p = plan(onHost({ storageDir: '/srv/hvkit' }));
    const c = change(p, 'web-01');
    expect(c).toMatchObject({ action: 'replace', dataLoss: LEFT });
    expect(reasonText(c.reason)).toBe(
      'disk 0 image path /var/lib/hvkit/images/web-01-sda-0.img → /srv/hvkit/web-01-sda-0.img (hvkit does not copy images); '
      + 'disk 1 image path /var/lib/hvkit/images/web-01-sda-1.img → /srv/hvkit/web-01-sda-1.img (hvkit does not copy images)',
    );
    // The host itself stays a state-only change; a guest without disks has nothing at a path to lose.
    expect(p.changes.find((x) => x.kind === 'host' && x.name === 'web-host-01')).toMatchObject({ action: 'update', reason: { code: 'host-record-only' } });
    expect(change(p, 'mc-01').action).toBe('noop');
  });

  it('refuses a storageDir change under a guest with lifecycle.preventDestroy', () => {
    const p = plan(onHost({ storageDir: '/srv/hvkit' }, { lifecycle: { preventDestroy: true } }));
    expect(p.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
      expect.stringMatching(/^web-01 has lifecycle.preventDestroy: this plan would destroy its data \(replace: disk 0 image path .*; recreated with empty disks: 30GiB on web-host-01: .* not carried over\); remove the setting or change the plan$/),
    ]);
    expect(p.applyable).toBe(false);
  });

  it('replaces every guest of a host whose provider changes: it is created again through the other provider', () => {
    const p = plan(onHost({ provider: 'xen' }));
    expect(change(p, 'web-01')).toMatchObject({ action: 'replace', reason: { code: 'cannot-update', detail: { causes: [{ kind: 'provider', from: 'local', to: 'xen' }] } }, dataLoss: LEFT });
    expect(change(p, 'mc-01')).toMatchObject({ action: 'replace', reason: { detail: { causes: [{ kind: 'provider', from: 'local', to: 'xen' }] } } });
    expect(reasonText(change(p, 'mc-01').reason)).toBe('provider local → xen: created again through xen');
  });

  it('leaves a guest whose image paths do not change as it was planned before', () => {
    expect(change(plan(onHost({ tags: { rack: 'b2' } })), 'web-01').action).toBe('noop');
  });
});

describe('summarize', () => {
  it('counts restarts apart and totals the data replaces and deletes destroy', () => {
    const before = fleet({ 'web-01': twoDisks(), 'mc-01': memcached(), 'web-02': web('1GiB'), 'web-03': web('1GiB') });
    // web-01 removed, mc-01 restarted, web-02 replaced, web-03 grown while running.
    const code = fleet({ 'mc-01': memcached({ vcpus: 2 }), 'web-02': web('1GiB', { mode: 'hvm' }), 'web-03': web('2GiB') });
    const s = summarize(createPlan({ manifest: code, state: stateOf(before) }));
    expect(s).toMatchObject({ update: 2, restart: 1, replace: 1, replaceDestroysMiB: 20480, replaceLeavesMiB: 0, delete: 1, deleteDestroysMiB: 30720 });
  });
});

describe('saved plans', () => {
  it('carry the data loss, checked by the plan-file schema, so `hvkit show` and apply show it as planned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hvkit-loss-'));
    try {
      const file = join(dir, 'plan.json');
      writeFileSync(file, serializePlan(plan(fleet({ 'mc-01': memcached() })), 'null_resource'));
      const saved = loadPlan(file);
      expect(change(saved.plan, 'web-01').dataLoss).toEqual(BOTH_DISKS);
      // A file that says a loss is something it is not is refused as edited.
      writeFileSync(file, serializePlan({ ...saved.plan, changes: saved.plan.changes.map((c) => (c.kind === 'guest' && c.dataLoss ? { ...c, dataLoss: { ...c.dataLoss, kind: 'harmless' as never } } : c)) }, 'null_resource'));
      expect(() => loadPlan(file)).toThrow(/dataLoss\/kind: must be one of "destroyed", "left-behind"; the plan was edited or cut short/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

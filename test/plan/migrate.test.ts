import { describe, expect, it } from 'vitest';
import type { GuestProps, HostProps } from '../../lib/manifest/props';
import type { Manifest, UnplacedGuestSpec } from '../../lib/manifest/types';
import { placeUnplaced } from '../../lib/plan/placement';
import { rebalancePlaced } from '../../lib/plan/rebalance';
import { createPlan } from '../../lib/plan/planner';
import { reasonText } from '../../lib/plan/reason';
import { summarize, type GuestChange, type Plan } from '../../lib/plan/types';
import { renderMarkdown } from '../../lib/render/markdown';
import { style } from '../../lib/render/style';
import { renderText } from '../../lib/render/text';
import { renderJson } from '../../lib/render/json';
import { WEB_HOST_8G, manifestOf, stateOf } from '../helpers/fleet';

/** Hosts with two host disks, as the new-user trial had them. */
const TWO_DISKS: HostProps = { ...WEB_HOST_8G, disks: [{ name: 'sda', size: '500GiB' }, { name: 'sdb', size: '500GiB' }] };
const db = (extra: Partial<GuestProps> = {}): GuestProps => ({ role: 'db', vcpus: 1, memory: '1GiB', disks: [{ size: '20GiB', on: 'sda' }], ...extra });

function fleet(h1: Record<string, GuestProps>, h2: Record<string, GuestProps>, h2Props: Partial<HostProps> = {}, h1Props: Partial<HostProps> = {}): Manifest {
  return manifestOf({ h1: { props: { ...TWO_DISKS, ...h1Props }, guests: h1 }, h2: { props: { ...TWO_DISKS, ...h2Props }, guests: h2 } });
}

function change(p: Plan, name: string): GuestChange {
  const c = p.changes.find((x) => x.kind === 'guest' && x.name === name);
  if (!c || c.kind !== 'guest') throw new Error(`no change of ${name}`);
  return c;
}

const deployed = fleet({ 'db-01': db() }, {});
const plan = (code: Manifest, state: Manifest = deployed): Plan => createPlan({ manifest: code, state: stateOf(state) });
const LOST_SDA = { kind: 'destroyed', disks: [{ disk: 0, sizeMiB: 20480, hostDisk: 'sda', host: 'h1' }], totalMiB: 20480 };

describe('a guest moved to another host: migrate only when its disks can move unchanged', () => {
  it('migrates a guest whose disks keep their host disk, size and image path', () => {
    const p = plan(fleet({}, { 'db-01': db() }));
    expect(change(p, 'db-01')).toMatchObject({ action: 'migrate', reason: { code: 'moves-host' } });
    expect(change(p, 'db-01')).not.toHaveProperty('dataLoss');
    expect(p.steps.map((s) => s.id)).toEqual(['migrate:db-01']);
  });

  it('replaces a guest whose disk moves to another host disk on the new host, declaring the loss (never a migrate that leaves the image behind)', () => {
    const p = plan(fleet({}, { 'db-01': db({ disks: [{ size: '20GiB', on: 'sdb' }] }) }));
    const c = change(p, 'db-01');
    expect(c).toMatchObject({
      action: 'replace',
      reason: { code: 'cannot-migrate', detail: { from: 'h1', to: 'h2', causes: [{ kind: 'disk-moved', disk: 0, from: 'sda', to: 'sdb' }] } },
      dataLoss: LOST_SDA,
    });
    expect(reasonText(c.reason)).toBe('cannot migrate h1 → h2 with its data (a live migration carries each disk unchanged to the same host disk and path): disk 0 moves from host disk sda to sdb; so destroyed on h1 and created again on h2');
    expect(summarize(p)).toMatchObject({ replace: 1, replaceDestroysMiB: 20480, migrate: 0 });
  });

  it('destroys the guest on its old host, with the images state records there, before it is created on the new one', () => {
    const p = plan(fleet({}, { 'db-01': db({ disks: [{ size: '20GiB', on: 'sdb' }] }) }));
    expect(p.steps.map((s) => ({ id: s.id, host: s.host, target: s.target, dependsOn: s.dependsOn }))).toEqual([
      { id: 'destroy:db-01', host: 'h1', target: undefined, dependsOn: [] },
      { id: 'recreate:db-01', host: 'h1', target: 'h2', dependsOn: ['destroy:db-01'] },
    ]);
    const [destroy, recreate] = p.steps;
    expect(destroy.before!.disks).toEqual([expect.objectContaining({ on: 'sda', sizeMiB: 20480 })]);
    expect(recreate.after!.disks).toEqual([expect.objectContaining({ on: 'sdb', sizeMiB: 20480 })]);
    expect(recreate.before).toBeUndefined();
    expect(p.applyable).toBe(true);
  });

  it('shows the loss in text, markdown and JSON', () => {
    const p = plan(fleet({}, { 'db-01': db({ disks: [{ size: '20GiB', on: 'sdb' }] }) }));
    expect(renderText(p, style(false))).toContain('DATA LOSS: destroys 20GiB on sda of h1');
    expect(renderText(p, style(false))).toContain('1 to replace (destroys 20GiB), 0 to migrate');
    expect(renderMarkdown(p)).toMatch(/destroys 20GiB on sda of h1/);
    const json = JSON.parse(renderJson(p, 'null_resource'));
    const rc = json.resource_changes.find((r: { name: string }) => r.name.includes('db-01'));
    expect(rc.change.actions).toEqual(['delete', 'create']);
    expect(rc.action_reason).toBe('replace_because_cannot_update');
    expect(JSON.stringify(rc)).toContain('"data_loss"');
  });

  it('refuses it under lifecycle.preventDestroy', () => {
    const kept = { lifecycle: { preventDestroy: true } };
    const p = plan(fleet({}, { 'db-01': db({ ...kept, disks: [{ size: '20GiB', on: 'sdb' }] }) }), fleet({ 'db-01': db(kept) }, {}));
    expect(p.applyable).toBe(false);
    expect(p.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
      'db-01 has lifecycle.preventDestroy: this plan would destroy its data (replace: cannot migrate h1 → h2 with its data (a live migration carries each disk unchanged to the same host disk and path): disk 0 moves from host disk sda to sdb; so destroyed on h1 and created again on h2; destroys 20GiB on sda of h1); remove the setting or change the plan',
    ]);
  });

  it('replaces a guest moved to a libvirt host with another storageDir: live migration keeps image paths', () => {
    const libvirt = (storageDir: string): Partial<HostProps> => ({ provider: 'libvirt', address: 'qemu:///system', storageDir });
    const before = fleet({ 'db-01': db() }, {}, libvirt('/srv/b'), libvirt('/srv/a'));
    const p = plan(fleet({}, { 'db-01': db() }, libvirt('/srv/b'), libvirt('/srv/a')), before);
    expect(change(p, 'db-01')).toMatchObject({
      action: 'replace',
      reason: { code: 'cannot-migrate', detail: { causes: [{ kind: 'disk-path', disk: 0, from: '/srv/a/db-01-sda-0.qcow2', to: '/srv/b/db-01-sda-0.qcow2' }] } },
      dataLoss: LOST_SDA,
    });
    // The same move between hosts that share the storageDir is a migration.
    const same = fleet({ 'db-01': db() }, {}, libvirt('/srv/a'), libvirt('/srv/a'));
    expect(change(plan(fleet({}, { 'db-01': db() }, libvirt('/srv/a'), libvirt('/srv/a')), same), 'db-01').action).toBe('migrate');
  });

  it('replaces a guest whose disks grow, shrink, are added or removed while it moves, naming each', () => {
    const two = db({ disks: [{ size: '20GiB', on: 'sda' }, { size: '10GiB', on: 'sda' }] });
    const causes = (code: GuestProps) => {
      const c = change(plan(fleet({}, { 'db-01': code }), fleet({ 'db-01': two }, {})), 'db-01');
      expect(c.action).toBe('replace');
      return c.reason.code === 'cannot-migrate' ? c.reason.detail.causes : [];
    };
    expect(causes(db({ disks: [{ size: '30GiB', on: 'sda' }, { size: '10GiB', on: 'sda' }] }))).toEqual([{ kind: 'disk-grows', disk: 0, fromMiB: 20480, toMiB: 30720 }]);
    expect(causes(db({ disks: [{ size: '20GiB', on: 'sda' }, { size: '5GiB', on: 'sda' }] }))).toEqual([{ kind: 'disk-shrinks', disk: 1, fromMiB: 10240, toMiB: 5120 }]);
    expect(causes(db())).toEqual([{ kind: 'disk-removed', disk: 1, sizeMiB: 10240, on: 'sda' }]);
    expect(causes(db({ disks: [{ size: '20GiB', on: 'sda' }, { size: '10GiB', on: 'sda' }, { size: '1GiB', on: 'sdb' }] }))).toEqual([{ kind: 'disk-added', disk: 2, sizeMiB: 1024, on: 'sdb' }]);
  });

  it('migrates a guest without disks whatever the hosts’ storageDir', () => {
    const before = fleet({ 'db-01': db({ disks: [] }) }, {}, { storageDir: '/srv/b' });
    expect(change(plan(fleet({}, { 'db-01': db({ disks: [] }) }, { storageDir: '/srv/b' }), before), 'db-01').action).toBe('migrate');
  });
});

describe('guests hvkit places move only by migrations that keep their disks', () => {
  /** sdb has more room than sda, so placement alone would put a disk left to it on sdb. */
  const ROOMY_SDB: HostProps = { ...WEB_HOST_8G, disks: [{ name: 'sda', size: '100GiB' }, { name: 'sdb', size: '500GiB' }] };
  const app = (memory: string, on = 'sda'): GuestProps => ({ role: 'app', vcpus: 1, memory, disks: [{ size: '20GiB', on }] });
  /** The guests as hvkit placed them: disks left to placement (''), which state records on a host disk. */
  const placedIn = (m: Manifest, names: string[]): UnplacedGuestSpec[] => m.guests.filter((g) => names.includes(g.name))
    .map((g) => ({ ...g, host: '', disks: g.disks.map((d) => ({ ...d, on: '' })), placement: { provider: 'local', selector: {}, group: null } }));

  it('rebalancing keeps a disk on the host disk it is on, so the move is a migration, not a replace', () => {
    const m = manifestOf({ a: { props: ROOMY_SDB, guests: { p1: app('5GiB') } }, b: { props: ROOMY_SDB, guests: { u1: app('1GiB') } } });
    const r = rebalancePlaced(m, placedIn(m, ['u1']));
    expect(r.data.moves).toEqual([{ guest: 'u1', from: 'b', to: 'a' }]);
    expect(r.manifest.guests.find((g) => g.name === 'u1')!.disks).toEqual([{ sizeMiB: 20480, on: 'sda' }]);
    const p = createPlan({ manifest: r.manifest, state: stateOf(m), rebalance: r, unplaced: placedIn(m, ['u1']) });
    expect(change(p, 'u1')).toMatchObject({ action: 'migrate', reason: { code: 'rebalance' } });
    expect(change(p, 'u1')).not.toHaveProperty('dataLoss');
  });

  it('rebalancing never moves a guest with disks to a host with another storageDir (its image paths would change)', () => {
    const m = manifestOf({
      a: { props: { ...ROOMY_SDB, storageDir: '/srv/other' }, guests: { p1: app('5GiB') } },
      b: { props: ROOMY_SDB, guests: { u1: app('1GiB') } },
      c: { props: ROOMY_SDB, guests: { p2: app('1GiB') } },
    });
    const r = rebalancePlaced(m, placedIn(m, ['u1']));
    expect(r.data.moves).toEqual([{ guest: 'u1', from: 'b', to: 'c' }]);
  });

  it('re-placement of a guest whose host left code keeps its disk on the host disk it was on, so it migrates', () => {
    const before = manifestOf({ a: { props: ROOMY_SDB, guests: {} }, b: { props: ROOMY_SDB, guests: { u1: app('1GiB') } } });
    const code: Manifest = { ...manifestOf({ a: { props: ROOMY_SDB, guests: {} } }), unplaced: placedIn(before, ['u1']) };
    const placed = placeUnplaced(code, stateOf(before));
    expect(placed.placements.map((d) => [d.code, d.guest, d.host])).toEqual([['re-placed', 'u1', 'a']]);
    expect(placed.manifest.guests.find((g) => g.name === 'u1')!.disks).toEqual([{ sizeMiB: 20480, on: 'sda' }]);
    expect(change(createPlan({ manifest: placed.manifest, state: stateOf(before) }), 'u1').action).toBe('migrate');
  });

  it('re-placement where no host has that host disk plans a replace with the loss declared, never a silent migration', () => {
    const sdbOnly: HostProps = { ...WEB_HOST_8G, disks: [{ name: 'sdb', size: '500GiB' }] };
    const before = manifestOf({ a: { props: sdbOnly, guests: {} }, b: { props: ROOMY_SDB, guests: { u1: app('1GiB') } } });
    const code: Manifest = { ...manifestOf({ a: { props: sdbOnly, guests: {} } }), unplaced: placedIn(before, ['u1']) };
    const placed = placeUnplaced(code, stateOf(before));
    const c = change(createPlan({ manifest: placed.manifest, state: stateOf(before) }), 'u1');
    expect(c).toMatchObject({ action: 'replace', reason: { code: 'cannot-migrate' }, dataLoss: { kind: 'destroyed', totalMiB: 20480 } });
  });
});

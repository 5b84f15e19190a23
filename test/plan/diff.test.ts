import { describe, expect, it } from 'vitest';
import { createPlan } from '../../lib/plan/planner';
import { markerOf } from '../../lib/render/describe';
import type { GuestChange, Plan } from '../../lib/plan/types';
import { Match, PlanAssert } from '../helpers/assertions';
import { WEB_HOST_4G, WEB_HOST_8G, manifestOf, memcached, stateOf, web } from '../helpers/fleet';

const before = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
const state = stateOf(before);
const guest = (p: Plan, name: string) => p.changes.find((c) => c.kind === 'guest' && c.name === name) as GuestChange;
const planWith = (hosts: Parameters<typeof manifestOf>[0]) => createPlan({ manifest: manifestOf(hosts), state });

describe('diff: guest actions', () => {
  it('creates a guest that is only in code', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'old-01': web('1GiB'), 'mc-01': memcached() } }, 'web-host-02': { props: WEB_HOST_8G } });
    expect(guest(p, 'mc-01')).toMatchObject({ action: 'create', before: null, reason: { code: 'new-guest', detail: {} } });
    PlanAssert.fromPlan(p).hasSteps([{ id: 'create:mc-01', host: 'web-host-01', dependsOn: [] }]);
  });

  it('deletes a guest that is only in state', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
    const a = PlanAssert.fromPlan(p);
    a.hasChange('old-01', { action: 'delete', before: Match.objectLike({ host: 'web-host-01' }), after: null, reason: { code: 'removed-from-code', detail: {} } });
    a.hasSteps([{ kind: 'destroy', guest: 'old-01' }]);
  });

  it('grows memory in place while running, up to maxMemory', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
    expect(guest(p, 'web-01')).toMatchObject({ action: 'update', restart: false, reason: { code: 'live-update', detail: { changes: [{ field: 'memoryMiB', from: 3584, to: 5632 }] } } });
    PlanAssert.fromPlan(p).hasSteps([{ kind: 'update-live', guest: 'web-01', after: Match.objectLike({ memoryMiB: 5632 }) }]);
  });

  it('shows a change past maxMemory as an update with a restart', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB', { maxMemory: '6GiB' }), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
    expect(guest(p, 'web-01')).toMatchObject({ action: 'update', restart: true, reason: { code: 'restart-update', detail: { fields: ['maxMemoryMiB'] } } });
    PlanAssert.fromPlan(p).hasSteps([{ kind: 'update-restart', guest: 'web-01', after: Match.objectLike({ maxMemoryMiB: 6144 }) }]);
  });

  it('replaces a guest whose mode changes, with the reason', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB', { mode: 'hvm' }), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
    expect(guest(p, 'web-01')).toMatchObject({ action: 'replace', reason: { code: 'cannot-update', detail: { causes: [{ kind: 'mode', from: 'pv', to: 'hvm' }] } } });
  });

  it('replaces a guest whose disk shrinks, carrying the shrink as data: which disk, from and to what size', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB', { disks: [{ size: '10GiB', on: 'sda' }] }), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
    expect(guest(p, 'web-01')).toMatchObject({ action: 'replace', reason: { code: 'cannot-update', detail: { causes: [{ kind: 'disk-shrinks', disk: 0, fromMiB: 20480, toMiB: 10240 }] } } });
    expect(p.steps.map((s) => s.description)).toEqual(['replace web-01 on web-host-01 (disk 0 shrinks 20GiB → 10GiB (images cannot shrink safely))']);
  });

  it('lists every cause of a replace, in order: a mode change and a disk moved to another host disk', () => {
    const two = { ...WEB_HOST_8G, disks: [{ name: 'sda', size: '500GiB' }, { name: 'sdb', size: '500GiB' }] };
    const s2 = stateOf(manifestOf({ 'web-host-01': { props: two, guests: { 'web-01': web('3.5GiB') } } }));
    const p = createPlan({ manifest: manifestOf({ 'web-host-01': { props: two, guests: { 'web-01': web('3.5GiB', { mode: 'hvm', disks: [{ size: '20GiB', on: 'sdb' }] }) } } }), state: s2 });
    expect(guest(p, 'web-01').reason).toEqual({ code: 'cannot-update', detail: { causes: [{ kind: 'mode', from: 'pv', to: 'hvm' }, { kind: 'disk-moved', disk: 0, from: 'sda', to: 'sdb' }] } });
  });

  it('migrates a guest whose host changes — never destroy + create', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } }, 'web-host-02': { props: WEB_HOST_8G, guests: { 'old-01': web('1GiB') } } });
    expect(guest(p, 'old-01')).toMatchObject({ action: 'migrate', reason: { code: 'moves-host', detail: { from: 'web-host-01', to: 'web-host-02' } } });
    PlanAssert.fromPlan(p).hasSteps([{ kind: 'migrate', host: 'web-host-01', target: 'web-host-02', guest: 'old-01' }]);
  });

  it('records a role or load change without touching the hypervisor', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB', { load: { cpu: 2 } }), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G } });
    const a = PlanAssert.fromPlan(p);
    a.hasChange('web-01', { action: 'update', recordOnly: true, restart: false, reason: { code: 'record-only', detail: { fields: ['load'] } } });
    a.hasSteps([{ kind: 'update-record', guest: 'web-01' }]);
  });

  it('leaves an unchanged guest as noop with no step', () => {
    const p = createPlan({ manifest: before, state });
    const a = PlanAssert.fromPlan(p);
    a.changeCount('noop', p.changes.length);
    a.hasSteps([]);
  });
});

describe('diff: host actions', () => {
  it('adds a new host', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'old-01': web('1GiB') } }, 'web-host-02': { props: WEB_HOST_8G }, 'web-host-03': { props: WEB_HOST_8G } });
    const a = PlanAssert.fromPlan(p);
    a.hasChange('web-host-03', { kind: 'host', action: 'add', before: null, reason: { code: 'new-host', detail: {} } });
    a.hasStep({ kind: 'add-host', host: 'web-host-03' });
  });

  it('plans a memory upgrade when the DIMMs change', () => {
    const m4 = manifestOf({ 'web-host-01': { props: WEB_HOST_4G, guests: { 'web-01': web('3.5GiB') } } });
    const p = createPlan({ manifest: manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } } }), state: stateOf(m4) });
    expect(p.changes[0]).toMatchObject({ action: 'upgrade-memory', reason: { code: 'memory-upgrade', detail: { dimmsBeforeMiB: [1024, 1024, 1024, 1024], dimmsAfterMiB: [2048, 2048, 2048, 2048], totalBeforeMiB: 4096, totalAfterMiB: 8192 } } });
    expect(p.diagnostics.find((d) => d.code === 'memory-upgrade')?.message).toBe('memory upgrade: 4×1GiB → 4×2GiB (4GiB → 8GiB): fit the DIMMs before apply; the upgrade step stops if the host does not report the new memory');
  });

  it('labels a DIMM removal a memory downgrade, and its step carries the memory before', () => {
    const m8 = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } } });
    const p = createPlan({ manifest: manifestOf({ 'web-host-01': { props: WEB_HOST_4G, guests: { 'web-01': web('3.5GiB') } } }), state: stateOf(m8) });
    expect(p.changes[0]).toMatchObject({ action: 'upgrade-memory', reason: { code: 'memory-downgrade', detail: { totalBeforeMiB: 8192, totalAfterMiB: 4096 } } });
    expect(p.diagnostics.find((d) => d.code === 'memory-upgrade')?.message).toMatch(/^memory downgrade: 4×2GiB → 4×1GiB \(8GiB → 4GiB\): guests shrink or leave first;/);
    PlanAssert.fromPlan(p).hasStep({ kind: 'upgrade-memory', memoryBeforeMiB: 8192, description: 'check web-host-01 has exactly 4GiB installed (memory downgrade)' });
    expect(markerOf(p.changes[0])).toEqual({ marker: '~', verb: 'downgrade memory' });
  });

  it('retires a host that left the code once its guests are gone', () => {
    const p = planWith({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'old-01': web('1GiB') } } });
    PlanAssert.fromPlan(p).hasChange('web-host-02', { kind: 'host', action: 'retire', after: null, reason: { code: 'host-retired', detail: {} } });
    expect(p.applyable).toBe(true);
  });
});

describe('diff: rebuilds', () => {
  // What planRebuild hands the planner for `hvkit rebuild web-host-01 --to web-host-02`: code already places old-01 there.
  const onto = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } }, 'web-host-02': { props: WEB_HOST_8G, guests: { 'old-01': web('1GiB') } } });
  const rebuild = { guests: ['old-01'], host: 'web-host-01', to: 'web-host-02' };

  it('rebuilds in place as a requested replace, saying the config is byte-identical', () => {
    const p = createPlan({ manifest: before, state, rebuild: { guests: ['web-01'], host: 'web-host-01' } });
    expect(guest(p, 'web-01')).toMatchObject({ action: 'replace', reason: { code: 'rebuild-requested', detail: { host: 'web-host-01', config: 'same' } } });
    expect(p.steps.map((s) => s.description)).toEqual(['replace web-01 on web-host-01 (rebuild; config byte-identical to the one last applied)']);
  });

  it('recreates onto another host whose source is down', () => {
    const p = createPlan({ manifest: onto, state, rebuild });
    expect(guest(p, 'old-01').reason).toEqual({ code: 'rebuild-requested', detail: { host: 'web-host-01', to: 'web-host-02', config: 'changed' } });
    expect(p.steps.map((s) => s.description)).toEqual(['recreate old-01 on web-host-02 from code (web-host-01 is down)']);
  });

  it('gives a guest forced off a host that is up its own reason, and its step says so', () => {
    const p = createPlan({ manifest: onto, state, rebuild: { ...rebuild, forced: ['old-01'] } });
    expect(guest(p, 'old-01').reason).toEqual({ code: 'rebuild-forced', detail: { host: 'web-host-01', to: 'web-host-02', config: 'changed' } });
    expect(p.steps.map((s) => s.description)).toEqual(['recreate old-01 on web-host-02 from code (web-host-01 is up: forced)']);
  });
});

describe('diff: restarts', () => {
  it('restarts a guest whose rendered config changed although its spec did not, saying so', () => {
    const s = { ...state, guests: { ...state.guests, 'web-01': { ...state.guests['web-01'], config: 'rendered by an older hvkit\n' } } };
    const p = createPlan({ manifest: before, state: s });
    expect(guest(p, 'web-01')).toMatchObject({ action: 'update', restart: true, reason: { code: 'config-changed', detail: {} } });
    expect(p.steps.map((s) => s.description)).toEqual(['update web-01 on web-host-01: rendered config changed: needs a restart']);
  });
});

import { describe, expect, it } from 'vitest';
import { createPlan } from '../../lib/plan/planner';
import { serializePlan } from '../../lib/plan/plan-file';
import { renderJson } from '../../lib/render/json';
import { ManifestAssert, Match, PlanAssert } from './assertions';
import { manifestOf, memcached, stateOf, WEB_HOST_4G, WEB_HOST_8G, web } from './fleet';

// web-01 moves to the DB host, mc-01 grows (a restart: its maximum grows too), mc-02 is new.
const before = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'mc-01': memcached() } }, 'db-host-01': { props: WEB_HOST_8G } });
const after = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'mc-01': memcached({ memory: '3GiB' }) } }, 'db-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'mc-02': memcached() } } });
const plan = createPlan({ manifest: after, state: stateOf(before) });
const overcommitted = createPlan({ manifest: manifestOf({ 'web-host-01': { props: WEB_HOST_4G, guests: { 'web-01': web('5.5GiB') } } }) });

/** The message an assertion fails with (and that it fails at all). */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the assertion to fail, but it passed');
}

describe('PlanAssert', () => {
  const a = PlanAssert.fromPlan(plan);

  describe('hasChange', () => {
    it('passes when the named change has the properties, nested ones object-like only when asked', () => {
      a.hasChange('web-01', { action: 'migrate', before: Match.objectLike({ host: 'web-host-01' }), after: Match.objectLike({ host: 'db-host-01' }) });
      a.hasChange('mc-02', { kind: 'guest', action: 'create', before: null });
      a.hasChange('db-host-01', { kind: 'host', action: 'noop' });
    });

    it('fails with the nearest names when no change has that name', () => {
      expect(failure(() => a.hasChange('web-1', { action: 'migrate' }))).toBe("expected a change for 'web-1', but there is none (nearest: web-01, mc-01, mc-02)");
    });

    it('fails saying which property differs and what it is instead', () => {
      expect(failure(() => a.hasChange('web-01', { action: 'replace', restart: false }))).toBe(
        `expected the change for 'web-01' matching { action: "replace", restart: false }; none of 1 does. Nearest:\n  guest web-01 (migrate): action is "migrate", want "replace"`,
      );
    });

    it('fails on a nested plain object that is only part of the value, as aws-cdk does', () => {
      expect(failure(() => a.hasChange('web-01', { after: { host: 'db-host-01' } }))).toContain('after is { antiAffinity: null');
    });

    it('tells Match.absent() from a present key', () => {
      a.hasChange('web-01', { requested: Match.absent() });
      expect(failure(() => a.hasChange('web-01', { restart: Match.absent() }))).toContain('restart is false, want Match.absent()');
    });
  });

  it('hasNoChange fails naming the change that is there', () => {
    a.hasNoChange('web-02');
    expect(failure(() => a.hasNoChange('mc-02'))).toBe("expected no change for 'mc-02', found guest create");
  });

  it('changeCount counts one action, and lists the plan’s changes by action when the count is off', () => {
    a.changeCount('create', 1);
    a.changeCount('replace', 0);
    expect(failure(() => a.changeCount('update', 2))).toBe("expected 2 change(s) with action 'update', found 1; the plan has noop: db-host-01, web-host-01; update: mc-01; create: mc-02; migrate: web-01");
  });

  describe('hasStep / hasSteps', () => {
    it('finds a step by any of its properties', () => {
      a.hasStep({ id: 'migrate:web-01', host: 'web-host-01', target: 'db-host-01', dependsOn: [] });
      a.hasStep({ kind: 'create', guest: 'mc-02', description: Match.stringLikeRegexp(/^create mc-02 on db-host-01/) });
    });

    it('fails with the nearest steps and their differing properties', () => {
      expect(failure(() => a.hasStep({ id: 'migrate:web-01', target: 'web-host-01' }))).toBe(
        `expected a step matching { id: "migrate:web-01", target: "web-host-01" }; none of 3 does. Nearest:\n  migrate:web-01: target is "db-host-01", want "web-host-01"\n  update-restart:mc-01: id is "update-restart:mc-01", want "migrate:web-01"; target is undefined, want "web-host-01"\n  create:mc-02: id is "create:mc-02", want "migrate:web-01"; target is undefined, want "web-host-01"`,
      );
    });

    it('hasSteps checks the order one to one, and prints the steps it got', () => {
      a.hasSteps([{ id: 'update-restart:mc-01' }, { kind: 'migrate' }, { kind: 'create' }]);
      expect(failure(() => a.hasSteps([{ kind: 'migrate' }, { kind: 'update-restart' }, { kind: 'create' }]))).toBe(
        'expected the steps [{ kind: "migrate" }, { kind: "update-restart" }, { kind: "create" }], got 3:\n  { kind: "update-restart" }\n  { kind: "migrate" }\n  { kind: "create" }',
      );
      expect(failure(() => a.hasSteps([{ kind: 'update-restart' }]))).toContain('got 3:');
    });
  });

  describe('hasDiagnostic / hasNoDiagnostics', () => {
    const o = PlanAssert.fromPlan(overcommitted);
    const empty = PlanAssert.fromPlan(createPlan({ manifest: manifestOf({ 'web-host-01': { props: WEB_HOST_8G } }) }));

    it('finds a diagnostic by code and path', () => {
      o.hasDiagnostic({ severity: 'error', code: 'memory-over', path: 'tokyo/web-host-01', message: Match.stringLikeRegexp(/exceeds 4GiB installed by 2GiB/) });
      // a's two hosts cannot take each other's guests (N+1 warnings): a fleet with no guests has no findings at all.
      a.hasNoDiagnostics('error');
      empty.hasNoDiagnostics();
    });

    it('fails showing the diagnostics there are', () => {
      expect(failure(() => o.hasDiagnostic({ code: 'vcpus-over', path: 'tokyo/web-host-01' }))).toBe(
        // The fleet is one host: the plan also notes, once, that it cannot be N+1.
        'expected a diagnostic matching { code: "vcpus-over", path: "tokyo/web-host-01" }; none of 2 does. Nearest:\n  error memory-over at tokyo/web-host-01: code is "memory-over", want "vcpus-over"\n  note n-plus-one at tokyo: code is "n-plus-one", want "vcpus-over"; path is "tokyo", want "tokyo/web-host-01"',
      );
      expect(failure(() => empty.hasDiagnostic({ code: 'memory-over' }))).toBe('expected a diagnostic matching { code: "memory-over" }, but there are none at all');
      expect(failure(() => o.hasNoDiagnostics('error'))).toMatch(/^expected no error diagnostics, found:\n {2}error memory-over at tokyo\/web-host-01: memory 6GiB committed/);
    });
  });

  describe('fromJson', () => {
    it('reads a saved plan file as the plan itself', () => {
      const saved = PlanAssert.fromJson(serializePlan(plan, 'null_resource'));
      expect(saved.changes).toEqual(a.changes);
      saved.hasChange('web-01', { action: 'migrate', after: Match.objectLike({ host: 'db-host-01' }) });
    });

    it('reads `plan --json` (Terraform’s shape): hvkit’s action and Terraform’s actions and address side by side', () => {
      const tf = PlanAssert.fromJson(renderJson(plan, 'null_resource', { timestamp: new Date(0) }));
      tf.hasChange('web-01', { kind: 'guest', action: 'migrate', tfAddress: 'null_resource.guest_web-01', actions: ['update'], after: Match.objectLike({ host: 'db-host-01' }) });
      tf.hasChange('web-host-01', { kind: 'host', action: 'noop', actions: ['no-op'] });
      tf.hasStep({ id: 'create:mc-02', dependsOn: [] });
      tf.changeCount('create', 1);
    });

    it('fails clearly on text that is not a plan', () => {
      expect(failure(() => PlanAssert.fromJson('{"changes": ['))).toMatch(/^expected a plan as JSON, but it does not parse/);
      expect(failure(() => PlanAssert.fromJson('{"fleet": "tokyo"}'))).toBe('expected a saved plan or `plan --json` output, got an object with keys ["fleet"]');
    });
  });
});

describe('ManifestAssert', () => {
  const m = ManifestAssert.fromManifest(after);

  it('hasGuest and hasHost match properties of the named guest or host', () => {
    m.hasGuest('web-01', { memoryMiB: 3584, maxMemoryMiB: 5632, disks: [{ sizeMiB: 20480, on: 'sda' }] });
    m.hasHost('db-host-01', { provider: 'local', memory: Match.objectLike({ totalMiB: 8192 }) });
    m.guestCount(3);
  });

  it('hostOf answers the parent relation', () => {
    expect(m.hostOf('web-01')).toBe('db-host-01');
    expect(m.hostOf('mc-01')).toBe('web-host-01');
    expect(m.placements()).toEqual(['mc-01@web-host-01', 'mc-02@db-host-01', 'web-01@db-host-01']);
  });

  it('fails with the nearest names for an unknown guest, and with what differs for a wrong property', () => {
    expect(failure(() => m.hostOf('web01'))).toBe("expected a guest 'web01', but there is none (nearest: web-01, mc-01, mc-02)");
    expect(failure(() => m.hasGuest('mc-01', { memoryMiB: 2048 }))).toBe(
      "expected guest 'mc-01' matching { memoryMiB: 2048 }; none of 1 does. Nearest:\n  mc-01: memoryMiB is 3072, want 2048",
    );
    expect(failure(() => m.hasHost('db-host-1'))).toBe("expected a host 'db-host-1', but there is none (nearest: db-host-01, web-host-01)");
    expect(failure(() => m.guestCount(2))).toBe('expected 2 guests, found 3: mc-01@web-host-01, mc-02@db-host-01, web-01@db-host-01');
  });
});

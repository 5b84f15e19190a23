import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../lib/manifest/types';
import { createPlan } from '../../lib/plan/planner';
import { normalizeAddresses, planScope, resolveAddresses, targetedManifest } from '../../lib/plan/targets';
import type { Plan } from '../../lib/plan/types';
import type { State } from '../../lib/state/types';
import { WEB_HOST_4G, WEB_HOST_8G, manifestOf, memcached, stateOf, web, type HostDef } from '../helpers/fleet';

/** Plans `code` against `state` with only `targets` (names or paths), as `hvkit plan --target` does. */
function targeted(code: Manifest, state: State, targets: string[], hosts: string[] = []): Plan {
  const named = resolveAddresses('--target', targets, code, state);
  const t = targetedManifest(code, state, { guests: named.guests, hosts: new Set([...named.hosts, ...hosts]) });
  return createPlan({ manifest: t.manifest, state, keep: t.keep });
}
const steps = (p: Plan) => p.steps.map((s) => s.id);
const changes = (p: Plan) => p.changes.filter((c) => c.action !== 'noop').map((c) => `${c.action} ${c.name}`);
const errorsOf = (p: Plan) => p.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.path}`);

/** The seed: two 4 GiB web hosts, web-0N at 3.5 GiB each. */
const SEED: Record<string, HostDef> = {
  'web-host-01': { props: WEB_HOST_4G, guests: { 'web-01': web('3.5GiB') } },
  'web-host-02': { props: WEB_HOST_4G, guests: { 'web-02': web('3.5GiB') } },
};
/** The chapter's upgrade on both hosts: 8 GiB, web-0N grown to 5.5 GiB, memcached-0N beside each. */
const UPGRADED: Record<string, HostDef> = {
  'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'memcached-01': memcached() } },
  'web-host-02': { props: WEB_HOST_8G, guests: { 'web-02': web('5.5GiB'), 'memcached-02': memcached() } },
};

describe('resolveAddresses', () => {
  const code = manifestOf(UPGRADED);
  const state = stateOf(manifestOf({ ...SEED, 'old-host': { props: WEB_HOST_4G, guests: { 'old-01': web('1GiB') } } }));

  it('takes guest and host names, construct paths (code or recorded) and plan --json resource addresses', () => {
    const r = resolveAddresses('--target', ['web-01', 'web-host-02', 'tokyo/web-host-01/memcached-01', 'tokyo/old-host/old-01', 'null_resource.host_old-host'], code, state);
    expect([...r.guests].sort()).toEqual(['memcached-01', 'old-01', 'web-01']);
    expect([...r.hosts].sort()).toEqual(['old-host', 'web-host-02']);
  });

  it('names the closest name for a name, and the closest path for a path', () => {
    expect(() => resolveAddresses('--target', ['memcache-01'], code, state)).toThrow("--target memcache-01: no guest or host of that name or construct path in code or state; did you mean 'memcached-01'?");
    expect(() => resolveAddresses('--target', ['tokyo/web-host-1'], code, state)).toThrow("did you mean 'tokyo/web-host-01'?");
  });

  it('asks for the construct path when a host and a guest share the name', () => {
    const same = manifestOf({ db: { props: WEB_HOST_4G, guests: { db: web('1GiB') } } });
    expect(() => resolveAddresses('--target', ['db'], same, undefined)).toThrow('--target db: names both a host and a guest; give the construct path of the one you mean (tokyo/db or tokyo/db/db)');
    expect([...resolveAddresses('--target', ['tokyo/db/db'], same, undefined).guests]).toEqual(['db']);
  });

  it('reads repeated and comma-separated addresses in one order', () => {
    expect(normalizeAddresses(['web-02,web-01', ' web-01 ', ''])).toEqual(['web-01', 'web-02']);
    expect(planScope({ targets: [], replace: [] })).toEqual({ kind: 'plan' });
    expect(() => planScope({ replace: ['web-01'], destroy: true })).toThrow('--replace recreates guests and --destroy removes them');
  });
});

describe('targetedManifest', () => {
  it("brings the guest's host upgrade along and leaves the other host as recorded", () => {
    const p = targeted(manifestOf(UPGRADED), stateOf(manifestOf(SEED)), ['memcached-01']);
    expect(steps(p)).toEqual(['upgrade-memory:web-host-01', 'create:memcached-01']);
    expect(changes(p)).toEqual(['upgrade-memory web-host-01', 'create memcached-01']);
    expect(p.applyable).toBe(true);
  });

  it('takes every guest of a named host: the upgrade, the growth and the new guest', () => {
    const p = targeted(manifestOf(UPGRADED), stateOf(manifestOf(SEED)), ['web-host-02']);
    expect(steps(p).sort()).toEqual(['create:memcached-02', 'update-live:web-02', 'upgrade-memory:web-host-02']);
  });

  it('refuses a move onto room that only an untargeted move would free', () => {
    // web-02 leaves web-host-01 for web-host-02 in code, making room there for web-03; only web-03 is targeted.
    const before = manifestOf({
      'web-host-01': { props: WEB_HOST_4G, guests: { 'web-02': web('3.5GiB') } },
      'web-host-02': { props: WEB_HOST_8G },
    });
    const after = manifestOf({
      'web-host-01': { props: WEB_HOST_4G, guests: { 'web-03': web('3.5GiB') } },
      'web-host-02': { props: WEB_HOST_8G, guests: { 'web-02': web('3.5GiB') } },
    });
    expect(createPlan({ manifest: after, state: stateOf(before) }).applyable).toBe(true);
    const p = targeted(after, stateOf(before), ['web-03']);
    expect(p.applyable).toBe(false);
    expect(errorsOf(p)).toEqual(['memory-over tokyo/web-host-01']);
    const both = targeted(after, stateOf(before), ['web-03', 'web-02']);
    expect(both.applyable).toBe(true);
    expect(steps(both)).toEqual(['migrate:web-02', 'create:web-03']);
  });

  it('plans a targeted delete and nothing else', () => {
    const p = targeted(manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB') } }, 'web-host-02': { props: WEB_HOST_4G } }), stateOf(manifestOf(SEED)), ['web-02']);
    expect(steps(p)).toEqual(['destroy:web-02']);
  });

  it('retires a named host that code removed, after its guests leave', () => {
    const code = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'web-02': web('3.5GiB') } } });
    const p = targeted(code, stateOf(manifestOf(SEED)), ['web-host-02']);
    expect(steps(p)).toEqual(['upgrade-memory:web-host-01', 'migrate:web-02', 'retire-host:web-host-02']);
  });

  it('keeps the record of a host code removes when only a guest leaving it is targeted', () => {
    const state = stateOf(manifestOf({ 'web-host-01': { props: WEB_HOST_8G }, 'web-host-02': { props: WEB_HOST_8G, guests: { 'web-02': web('3.5GiB'), 'web-04': web('1GiB') } } }));
    const code = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-02': web('3.5GiB'), 'web-04': web('1GiB') } } });
    const p = targeted(code, state, ['web-02']);
    expect(steps(p)).toEqual(['migrate:web-02']);
    expect(p.applyable).toBe(true);
  });

  it('does not restart an untargeted guest whose config a targeted host change renders differently', () => {
    const before = manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('2GiB'), 'web-02': web('2GiB') } } });
    const after = manifestOf({ h: { props: { ...WEB_HOST_8G, storageDir: '/srv/images' }, guests: { 'web-01': web('2GiB'), 'web-02': web('2GiB') } } });
    expect(steps(createPlan({ manifest: after, state: stateOf(before) }))).toEqual(['update-host:h', 'replace:web-01', 'replace:web-02']);
    // Issue 12: new image paths are a replace (hvkit does not copy images), not a restart onto empty disks.
    expect(steps(targeted(after, stateOf(before), ['web-01']))).toEqual(['update-host:h', 'replace:web-01']);
  });

  it('gives a targeted new guest the identities the full plan gives it', () => {
    const code = manifestOf(UPGRADED);
    const state = stateOf(manifestOf(SEED));
    const full = createPlan({ manifest: code, state }).changes.find((c) => c.name === 'memcached-02')!.after;
    const part = targeted(code, state, ['memcached-02']).changes.find((c) => c.name === 'memcached-02')!.after;
    expect(part).toEqual(full);
  });
});

describe('createPlan replace', () => {
  it('replaces a guest code did not change, with the reason replace-requested', () => {
    const m = manifestOf(SEED);
    const p = createPlan({ manifest: m, state: stateOf(m), replace: ['web-01'] });
    expect(steps(p)).toEqual(['replace:web-01']);
    expect(p.changes.find((c) => c.name === 'web-01')).toMatchObject({ action: 'replace', restart: true, reason: { code: 'replace-requested', detail: {} } });
  });
});

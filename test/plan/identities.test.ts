import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../lib/manifest/build';
import type { GuestProps, HostProps } from '../../lib/manifest/props';
import type { Manifest } from '../../lib/manifest/types';
import { createPlan } from '../../lib/plan/planner';
import { summaryLine } from '../../lib/render/describe';
import { FileStateStore } from '../../lib/state/file-store';
import { COLLIDED, UPGRADE, type FixtureFleet } from '../fixtures/identity-upgrade/fleets';
import { Match, PlanAssert } from '../helpers/assertions';
import { WEB_HOST_8G, manifestOf, stateOf, web } from '../helpers/fleet';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'identity-upgrade');

function manifestOfFixture(def: FixtureFleet): Manifest {
  return buildManifest({
    name: def.name, path: def.name, props: { provider: 'local' },
    hosts: Object.entries(def.hosts).map(([h, hd]) => ({
      name: h, path: `${def.name}/${h}`, props: hd.props as HostProps,
      guests: Object.entries(hd.guests).map(([g, gp]) => ({ name: g, path: `${def.name}/${h}/${g}`, props: gp as unknown as GuestProps })),
    })),
  });
}

const readFixture = (fleet: string) => new FileStateStore(join(FIXTURES, `${fleet}.state.json`)).read().then((s) => s!);

describe('planning against state written before identities included the fleet', () => {
  it('shows "No changes" for guests deployed by main aa91f57, though every derived MAC and UUID differs now', async () => {
    const state = await readFixture('upgrade');
    const m = manifestOfFixture(UPGRADE);
    const recorded = Object.values(state.guests).map((g) => g.spec);
    // The derivation did change: without state, no recorded identity would survive but the one written in code.
    for (const g of m.guests) expect(g.uuid).not.toBe(recorded.find((r) => r.name === g.name)!.uuid);
    const plan = createPlan({ manifest: m, state });
    const a = PlanAssert.fromPlan(plan);
    a.changeCount('noop', plan.changes.length);
    a.hasSteps([]);
    expect(summaryLine(plan)).toBe('No changes. The fleet matches the code.');
  });

  it('keeps the MAC written in code and the recorded one of the derived NIC beside it', async () => {
    const state = await readFixture('upgrade');
    const plan = createPlan({ manifest: manifestOfFixture(UPGRADE), state });
    PlanAssert.fromPlan(plan).hasChange('db-01', { kind: 'guest', after: Match.objectLike({ nics: state.guests['db-01'].spec.nics }) });
  });

  it('moves one of two deployed guests that shared a MAC, by a restart, never a replace', async () => {
    const state = await readFixture('collided');
    expect(state.guests['web-00111'].spec.nics[0].mac).toBe(state.guests['web-02450'].spec.nics[0].mac);
    const plan = createPlan({ manifest: manifestOfFixture(COLLIDED), state });
    const taken = state.guests['web-00111'].spec.nics[0].mac;
    PlanAssert.fromPlan(plan).hasSteps([{
      id: 'update-restart:web-02450',
      after: Match.objectLike({ uuid: state.guests['web-02450'].spec.uuid, nics: [expect.not.objectContaining({ mac: taken })] }),
    }]);
  });
});

describe('recorded identities in the planner', () => {
  const m = manifestOf({ h1: { props: WEB_HOST_8G, guests: { a: web('1GiB'), b: web('1GiB') } } });

  it('does not give a new guest a MAC a deployed guest has', () => {
    const state = stateOf(m);
    const taken = manifestOf({ h1: { props: WEB_HOST_8G, guests: { a: web('1GiB'), b: web('1GiB'), c: web('1GiB') } } }).guests.find((g) => g.name === 'c')!.nics[0].mac;
    // State says guest a already holds what c would derive (as an older derivation could have given it).
    state.guests.a.spec = { ...state.guests.a.spec, nics: [{ bridge: 'br0', mac: taken }] };
    const withC = manifestOf({ h1: { props: WEB_HOST_8G, guests: { a: web('1GiB'), b: web('1GiB'), c: web('1GiB') } } });
    const plan = createPlan({ manifest: withC, state });
    const a = PlanAssert.fromPlan(plan);
    a.hasStep({ id: 'create:c', after: Match.objectLike({ nics: [expect.not.objectContaining({ mac: taken })] }) });
    a.hasChange('a', { action: 'update' });
  });

  it('lets a MAC written in code take a deployed guest\'s derived MAC: that guest moves, by a restart', () => {
    const state = stateOf(m);
    const bMac = state.guests.b.spec.nics[0].mac;
    const next = manifestOf({ h1: { props: WEB_HOST_8G, guests: { a: web('1GiB', { nics: [{ mac: bMac }] }), b: web('1GiB') } } });
    const plan = createPlan({ manifest: next, state });
    const macs = plan.changes.flatMap((c) => (c.kind === 'guest' ? [c.after!.nics[0].mac] : []));
    expect(macs[0]).toBe(bMac);
    expect(new Set(macs).size).toBe(2);
    const a = PlanAssert.fromPlan(plan);
    a.hasStep({ id: 'update-restart:a' });
    a.hasStep({ id: 'update-restart:b' });
    a.changeCount('update', 2);
  });

  it('binds the plan to the code\'s manifest, not the one with recorded identities', async () => {
    const { manifestDigest } = await import('../../lib/manifest/canonical');
    const state = await readFixture('upgrade');
    const manifest = manifestOfFixture(UPGRADE);
    expect(createPlan({ manifest, state }).manifestDigest).toBe(manifestDigest(manifest));
  });
});

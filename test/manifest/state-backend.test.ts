import { describe, expect, it } from 'vitest';
import { manifestDigest } from '../../lib/manifest/canonical';
import type { FleetProps } from '../../lib/manifest/props';
import { checkBuiltManifest } from '../../lib/manifest/schema';
import { WEB_HOST_8G, manifestOf, problemsOf, web } from '../helpers/fleet';

const build = (fleet: FleetProps) => () => manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } } }, fleet);

describe("the Fleet's state prop", () => {
  it('records the pg backend and its schema in the manifest, which the schema accepts', () => {
    const m = build({ state: { backend: 'pg', schema: 'team_state' } })();
    expect(m.state).toEqual({ backend: 'pg', schema: 'team_state' });
    expect(() => checkBuiltManifest(structuredClone(m))).not.toThrow();
    expect(Object.keys(m)).toEqual([...Object.keys(m)].sort());
  });

  it('leaves the manifest of a fleet without it byte-identical (no state key, same digest as before the prop existed)', () => {
    const m = build({})();
    expect('state' in m).toBe(false);
    // The prop adds its key and nothing else: without it, digests (and saved plans) stay as they were.
    const withProp = build({ state: { backend: 'pg' } })();
    delete withProp.state;
    expect(manifestDigest(withProp)).toBe(manifestDigest(m));
    expect(JSON.stringify(m)).not.toContain('"state"');
  });

  it('refuses a typo of the backend in one line at the construct path, with the nearest name', () => {
    expect(problemsOf(build({ state: { backend: 'pq' as never } }))).toEqual(["tokyo: state.backend 'pq' is not a state backend: did you mean 'pg'?"]);
  });

  it('refuses a typo of a key with the nearest name', () => {
    expect(problemsOf(build({ state: { backend: 'pg', shema: 'x' } as never }))).toEqual(["tokyo: unknown prop 'state.shema': did you mean 'state.schema'?"]);
  });

  it('refuses a missing backend, a schema for the file backend and a schema that is no plain identifier', () => {
    expect(problemsOf(build({ state: {} as never }))).toEqual(["tokyo: state.backend is missing: set it to 'file' or 'pg'"]);
    expect(problemsOf(build({ state: { backend: 'file', schema: 'x' } }))).toEqual(["tokyo: state.schema is for the 'pg' backend only: remove it, or set state.backend to 'pg'"]);
    expect(problemsOf(build({ state: { backend: 'pg', schema: 'Team-State; drop' } }))).toEqual([
      "tokyo: state.schema 'Team-State; drop' is invalid: use 1–63 lowercase letters, digits and '_', not starting with a digit or 'pg_'",
    ]);
    expect(problemsOf(build({ state: { backend: 'pg', schema: 'pg_catalog' } }))).toHaveLength(1);
    expect(problemsOf(build({ state: 'pg' as never }))).toEqual(["tokyo: state must be an object like { backend: 'pg' }, got the string 'pg'"]);
  });

  it('never takes the connection in code, saying where it goes instead', () => {
    expect(problemsOf(build({ state: { backend: 'pg', conn: 'postgresql://u:secret@db/hvkit' } as never }))).toEqual([
      'tokyo: state.conn: the database connection is never written in code (it may hold a password); set HVKIT_PG_CONN (or PGHOST, PGDATABASE, …) where hvkit runs',
    ]);
  });

  it('is refused by the manifest schema with a backend it does not know', () => {
    const m = { ...build({})(), state: { backend: 's3' } };
    expect(() => checkBuiltManifest(m as never)).toThrow();
  });
});

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../lib/cli/context';
import { backendOf } from '../../lib/cli/fleet';
import { checkPgSettings, chooseBackend } from '../../lib/cli/state-backend';
import { LOCAL_HOST, stackSource, tempProject, type TempProject } from '../helpers/project';

const PG = { backend: 'pg' } as const;

describe('choosing the state backend', () => {
  it('is the file backend when nothing chooses one', () => {
    expect(chooseBackend(undefined, {}, undefined)).toEqual({ kind: 'file', source: 'default' });
    expect(chooseBackend(undefined, { HVKIT_STATE_BACKEND: '' }, undefined)).toEqual({ kind: 'file', source: 'default' });
  });

  it('takes --state-backend over HVKIT_STATE_BACKEND over the Fleet prop', () => {
    expect(chooseBackend('file', { HVKIT_STATE_BACKEND: 'pg' }, PG)).toEqual({ kind: 'file', source: 'flag' });
    expect(chooseBackend('pg', { HVKIT_STATE_BACKEND: 'file' }, { backend: 'file' })).toMatchObject({ kind: 'pg', source: 'flag' });
    expect(chooseBackend(undefined, { HVKIT_STATE_BACKEND: 'file' }, PG)).toEqual({ kind: 'file', source: 'env' });
    expect(chooseBackend(undefined, { HVKIT_STATE_BACKEND: 'pg' }, { backend: 'file' })).toMatchObject({ kind: 'pg', source: 'env' });
    expect(chooseBackend(undefined, {}, PG)).toMatchObject({ kind: 'pg', source: 'fleet' });
    expect(chooseBackend(undefined, {}, { backend: 'file' })).toEqual({ kind: 'file', source: 'fleet' });
  });

  it("takes the schema from the Fleet prop, else HVKIT_PG_SCHEMA, else 'hvkit'", () => {
    expect(chooseBackend('pg', { HVKIT_PG_SCHEMA: 'from_env' }, { backend: 'pg', schema: 'from_code' })).toMatchObject({ schema: 'from_code' });
    expect(chooseBackend('pg', { HVKIT_PG_SCHEMA: 'from_env' }, PG)).toMatchObject({ schema: 'from_env' });
    expect(chooseBackend('pg', {}, undefined)).toMatchObject({ schema: 'hvkit' });
  });

  it('refuses a backend it does not have in one line, with the nearest name', () => {
    expect(() => chooseBackend('pq', {}, undefined)).toThrow(/^--state-backend 'pq' is not a state backend: did you mean 'pg'\? use 'file' or 'pg'$/);
    expect(() => chooseBackend(undefined, { HVKIT_STATE_BACKEND: 'postgres' }, undefined)).toThrow(/^HVKIT_STATE_BACKEND 'postgres' is not a state backend: did you mean 'pg'\? use 'file' or 'pg'$/);
  });

  it('refuses an HVKIT_PG_SCHEMA that is no plain identifier, only when pg uses it', () => {
    expect(() => chooseBackend('pg', { HVKIT_PG_SCHEMA: 'a"; drop schema x' }, undefined)).toThrow(/^HVKIT_PG_SCHEMA 'a\\"; drop schema x' is not a schema name hvkit uses/);
    expect(chooseBackend('file', { HVKIT_PG_SCHEMA: 'a"; drop schema x' }, undefined)).toEqual({ kind: 'file', source: 'flag' });
  });
});

describe('the pg backend without a database', () => {
  it('says in one line what to set', () => {
    const pg = chooseBackend('pg', {}, undefined);
    expect(() => checkPgSettings({}, pg)).toThrow(/^the pg state backend \(chosen by --state-backend\) needs a database: set HVKIT_PG_CONN .*, or PGHOST and PGDATABASE; [^\n]*$/);
  });

  it('is content with HVKIT_PG_CONN, PGHOST or PGDATABASE, and never asks it of the file backend', () => {
    const pg = chooseBackend('pg', {}, undefined);
    for (const env of [{ HVKIT_PG_CONN: 'postgresql://db/hvkit' }, { PGHOST: 'db' }, { PGDATABASE: 'hvkit' }]) expect(() => checkPgSettings(env, pg)).not.toThrow();
    expect(() => checkPgSettings({}, chooseBackend(undefined, {}, undefined))).not.toThrow();
  });
});

describe('backendOf (what a command opens)', () => {
  const io = (env: NodeJS.ProcessEnv): Io => ({ out: () => {}, err: () => {}, isTty: false, cwd: '/tmp', env });
  const conn = { HVKIT_PG_CONN: 'postgresql://db/hvkit' };

  it('reads the Fleet prop only from a manifest: a bare fleet name (the app did not run) leaves the file default', () => {
    expect(backendOf(io(conn), {}, { fleet: 'tokyo', state: PG }).kind).toBe('pg');
    expect(backendOf(io(conn), {}, 'tokyo').kind).toBe('file');
    expect(backendOf(io({ ...conn, HVKIT_STATE_BACKEND: 'pg' }), {}, 'tokyo').kind).toBe('pg');
  });

  it('refuses --state with the pg backend in one line, however pg was chosen', () => {
    expect(() => backendOf(io(conn), { state: 'x.json', stateBackend: 'pg' }, 'tokyo')).toThrow(/^--state names a state file, but the state backend is pg \(--state-backend pg\): drop --state/);
    expect(() => backendOf(io({ ...conn, HVKIT_STATE_BACKEND: 'pg' }), { state: 'x.json' }, 'tokyo')).toThrow(/\(HVKIT_STATE_BACKEND=pg\)/);
    expect(() => backendOf(io(conn), { state: 'x.json' }, { fleet: 'tokyo', state: PG })).toThrow(/\(the Fleet's state prop\)/);
    expect(backendOf(io(conn), { state: 'x.json' }, 'tokyo').kind).toBe('file');
  });
});

describe('hvkit with the pg backend chosen but unusable', () => {
  const NO_PG = { HVKIT_PG_CONN: '', PGHOST: '', PGDATABASE: '', HVKIT_STATE_BACKEND: '' };
  let p: TempProject;
  beforeAll(() => {
    p = tempProject();
    p.writeStack(stackSource(`new Host(fleet, 'host-a', ${LOCAL_HOST});`));
  });
  afterAll(() => p.cleanup());

  it('says in one line what to set when nothing names a database, and writes nothing', async () => {
    const r = await p.run(['plan', '--state-backend', 'pg'], { env: NO_PG });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: the pg state backend \(chosen by --state-backend\) needs a database: set HVKIT_PG_CONN [^\n]*\n$/);
    expect(existsSync(join(p.dir, '.hvkit', 'state'))).toBe(false);
  });

  it('refuses --state with pg in one line', async () => {
    const r = await p.run(['plan', '--state', 'mine.json'], { env: { ...NO_PG, HVKIT_STATE_BACKEND: 'pg', HVKIT_PG_CONN: 'postgresql://db.invalid/hvkit' } });
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error: --state names a state file, but the state backend is pg (HVKIT_STATE_BACKEND=pg): drop --state (the fleet\'s state is in PostgreSQL), or pass --state-backend file\n');
  });

  it('refuses a backend it does not have in one line, on state subcommands too', async () => {
    for (const args of [['plan', '--state-backend', 'postgres'], ['state', 'list', '--fleet', 'tokyo', '--state-backend', 'postgres']]) {
      const r = await p.run(args, { env: NO_PG });
      expect(r.code).toBe(1);
      expect(r.err).toBe("Error: --state-backend 'postgres' is not a state backend: did you mean 'pg'? use 'file' or 'pg'\n");
    }
  });

  it('state push and pull without a database say in one line what to set, and leave the file as it was', async () => {
    for (const args of [['state', 'push', '--to', 'pg', '--fleet', 'tokyo'], ['state', 'pull', '--fleet', 'tokyo']]) {
      const r = await p.run(args, { env: NO_PG });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Error: the pg state backend \(named by state push --to or state pull --from\) needs a database: set HVKIT_PG_CONN [^\n]*\n$/);
    }
    expect(existsSync(join(p.dir, '.hvkit', 'state'))).toBe(false);
  });

  it('state push --to something other than pg is one line', async () => {
    const r = await p.run(['state', 'push', '--to', 'file', '--fleet', 'tokyo'], { env: NO_PG });
    expect(r.code).toBe(1);
    expect(r.err).toBe("Error: --to 'file': state push moves the file backend's state into pg; `hvkit state pull` brings it back; use --to pg\n");
  });
});

describe('a pg connection that fails', () => {
  const SECRET = 's3cret-Pw0rd';
  let p: TempProject;
  beforeAll(() => {
    p = tempProject();
    p.writeStack(stackSource(`new Host(fleet, 'host-a', ${LOCAL_HOST});`));
  });
  afterAll(() => p.cleanup());

  // Port 1 on the loopback: nothing listens, so the connection is refused at once.
  it.each([
    ['a URI', { HVKIT_PG_CONN: `postgresql://hvkit:${SECRET}@127.0.0.1:1/hvkit` }],
    ['key=value pairs', { HVKIT_PG_CONN: `host=127.0.0.1 port=1 dbname=hvkit user=hvkit password=${SECRET}` }],
    ['PG* variables', { HVKIT_PG_CONN: '', PGHOST: '127.0.0.1', PGPORT: '1', PGDATABASE: 'hvkit', PGUSER: 'hvkit', PGPASSWORD: SECRET }],
  ])('is one line without a stack trace that never shows the password (%s)', async (_, conn) => {
    for (const args of [['plan', '--state-backend', 'pg'], ['state', 'history', '--fleet', 'tokyo', '--state-backend', 'pg']]) {
      const r = await p.run(args, { env: { HVKIT_STATE_BACKEND: '', PGHOST: '', PGDATABASE: '', ...conn } });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Error: cannot connect to PostgreSQL state postgres:\/\/hvkit@127\.0\.0\.1:1\/hvkit \(schema hvkit, fleet tokyo\): connection refused[^\n]*\n$/);
      expect(r.err + r.out).not.toContain(SECRET);
    }
  });
});

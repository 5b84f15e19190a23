import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgStateStore } from '../../lib/state/pg-store';
import { sql } from '../helpers/pg-stores';
import { PrivateCluster } from '../helpers/postgres';
import { stackSource, tempProject } from '../helpers/project';

/** A cluster where user `ci` must give a password (SCRAM), as a hosted database asks. */
PrivateCluster.describe('PostgreSQL state with a password-protected user', (cluster) => {
  let dir: string;
  let ciConn: string;
  const PASSWORD = 'Sc4am-pw';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hvkit-pgpass-'));
    await sql(cluster.conn, async (c) => {
      await c.query("SET password_encryption = 'scram-sha-256'");
      await c.query(`CREATE ROLE ci LOGIN PASSWORD '${PASSWORD}'`);
      await c.query('GRANT CREATE ON DATABASE hvkit TO ci');
      const hba = (await c.query<{ hba_file: string }>('SHOW hba_file')).rows[0].hba_file;
      writeFileSync(hba, `host all ci 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
      await c.query('SELECT pg_reload_conf()');
    });
    ciConn = `postgresql://ci@127.0.0.1:${cluster.port}/hvkit`;
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const store = (env: NodeJS.ProcessEnv) => new PgStateStore({ conn: ciConn, env, fleet: 'tokyo' });

  it('says the server asks for a password, and where to put one, when none is given', async () => {
    const s = store({ PGPASSFILE: join(dir, 'none') });
    const e = await s.read().catch((x: Error) => x);
    await s.close();
    expect((e as Error).message).toBe(
      `cannot connect to PostgreSQL state ${s.location}: the server asks for a password: set PGPASSWORD or a ~/.pgpass entry (never in code)`,
    );
  });

  it('takes the password from the password file (PGPASSFILE, mode 0600), as libpq does', async () => {
    const file = join(dir, 'pgpass');
    writeFileSync(file, `127.0.0.1:${cluster.port}:hvkit:ci:${PASSWORD}\n`);
    chmodSync(file, 0o600);
    const s = store({ PGPASSFILE: file });
    expect(await s.read()).toBeUndefined();
    await s.close();
  });

  it('prints no warning from the driver when the password comes from the password file', async () => {
    const file = join(dir, 'pgpass-cli');
    writeFileSync(file, `*:*:*:ci:${PASSWORD}\n`);
    chmodSync(file, 0o600);
    const p = tempProject();
    try {
      p.writeStack(stackSource(''));
      const r = await p.run(['state', 'list', '--fleet', 'tokyo', '--state-backend', 'pg'], {
        env: { HVKIT_PG_CONN: ciConn, PGPASSFILE: file, PGPASSWORD: undefined, HVKIT_STATE_BACKEND: '', HVKIT_PG_SCHEMA: '' },
      });
      expect(r.code, r.err).toBe(0);
      expect(r.err).not.toMatch(/deprecat|warning/i);
    } finally {
      p.cleanup();
    }
  });
});

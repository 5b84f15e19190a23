import pg from 'pg';
import { afterAll, afterEach } from 'vitest';
import { PgStateStore } from '../../lib/state/pg-store';
import type { State, StateStore } from '../../lib/state/types';
import { describeWithPostgres, freshSchema } from '../helpers/postgres';
import { stateStoreConformance } from './conformance';

describeWithPostgres('PostgreSQL state store', (conn) => {
  const open: PgStateStore[] = [];
  const schemas = new Set<string>();
  const store = (schema: string, fleet = 'tokyo'): PgStateStore => {
    schemas.add(schema);
    const s = new PgStateStore({ conn, env: {}, schema, fleet });
    open.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    const c = new pg.Client({ connectionString: conn });
    await c.connect();
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${c.escapeIdentifier(s)} CASCADE`);
    await c.end();
  });

  stateStoreConformance('postgresql', async () => store(freshSchema()), {
    corrupt: async (s) => {
      const c = new pg.Client({ connectionString: conn });
      await c.connect();
      await c.query(`UPDATE ${c.escapeIdentifier((s as PgStateStore).schema)}.records SET value = '{"version": 1, "ser' WHERE key = 'meta'`);
      await c.end();
    },
    // What `hvkit state unlock ID --force` does from another process: another store on the same schema and fleet.
    forceUnlock: async (s, held) => {
      const other = store((s as PgStateStore).schema, (s as PgStateStore).fleet);
      await other.unlock(held.id);
    },
    seed: async (s: StateStore, stored) => s.adopt(stored as State),
  });
});

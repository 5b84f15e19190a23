import { describe, expect, it } from 'vitest';
import { PgSampleStore } from '../../lib/state/pg-sample-store';
import { PG_FORMAT } from '../../lib/state/private/pg-schema';
import { emptyState } from '../../lib/state/types';
import { pgStores } from '../helpers/pg-stores';
import { describeWithPostgres, freshSchema } from '../helpers/postgres';
import { CLOCK, sample, sampleStoreConformance } from './sample-conformance';

describeWithPostgres('PostgreSQL measured-load store', (conn) => {
  const { store, sql } = pgStores(conn);
  const rows = async (schema: string, text: string) => sql(async (c) => (await c.query(text.replaceAll('$S', c.escapeIdentifier(schema)))).rows);

  sampleStoreConformance('postgresql', async () => PgSampleStore.beside(store()));

  describe('PgSampleStore', () => {
    it("keeps each fleet's samples apart in the schema's samples table, one row per host and slot", async () => {
      const schema = freshSchema();
      const tokyo = PgSampleStore.beside(store({ schema, fleet: 'tokyo' }));
      const osaka = PgSampleStore.beside(store({ schema, fleet: 'osaka' }));
      try {
        await tokyo.append([sample('host-a', 0, 1), sample('host-b', 0, 2)], CLOCK);
        await osaka.append([sample('host-a', 0, 3)], CLOCK);
        expect((await tokyo.read()).map((s) => s.load.cpu)).toEqual([1, 2]);
        expect((await osaka.read()).map((s) => s.load.cpu)).toEqual([3]);
        expect(await rows(schema, 'SELECT fleet, host FROM $S.samples ORDER BY fleet, host')).toEqual([
          { fleet: 'osaka', host: 'host-a' },
          { fleet: 'tokyo', host: 'host-a' },
          { fleet: 'tokyo', host: 'host-b' },
        ]);
      } finally {
        await tokyo.close();
        await osaka.close();
      }
    });

    it('adds its table to a schema of format 3, leaving the state as it was', async () => {
      const schema = freshSchema();
      const state = store({ schema });
      const serial = await state.write(emptyState('tokyo', 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'));
      // What hvkit wrote before format 4.
      await rows(schema, `DROP TABLE $S.samples; UPDATE $S.meta SET value = '3' WHERE key = 'format'`);
      const samples = PgSampleStore.beside(store({ schema }));
      try {
        expect(await samples.read()).toEqual([]);
        await samples.append([sample('host-a', 0, 1)], CLOCK);
        expect(await rows(schema, `SELECT value FROM $S.meta WHERE key = 'format'`)).toEqual([{ value: String(PG_FORMAT) }]);
        expect((await store({ schema }).read())?.serial).toBe(serial);
      } finally {
        await samples.close();
      }
    });

    it('reads an empty window from a schema hvkit never wrote, creating nothing', async () => {
      const schema = freshSchema();
      const samples = PgSampleStore.beside(store({ schema }));
      try {
        expect(await samples.read()).toEqual([]);
        expect(await rows('pg_catalog', `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = '${schema}'`)).toEqual([{ n: 0 }]);
      } finally {
        await samples.close();
      }
    });
  });
});

import { describe, expect, it } from 'vitest';
import { HvkitError } from '../../lib/errors';
import { NotLockedError, StateConflictError } from '../../lib/state/errors';
import { PgStateStore } from '../../lib/state/pg-store';
import { readSql } from '../../lib/state/private/pg-records';
import { PG_FORMAT } from '../../lib/state/private/pg-schema';
import type { State, StateStore } from '../../lib/state/types';
import { WEB_HOST_8G, manifestOf, stateOf, web } from '../helpers/fleet';
import { pgStores, until } from '../helpers/pg-stores';
import { describeWithPostgres, freshSchema } from '../helpers/postgres';
import { stateStoreConformance } from './conformance';

/** A fleet of one host and two guests, never written (serial 0). */
function fleetState(): State {
  return stateOf(manifestOf({ 'host-a': { props: WEB_HOST_8G, guests: { 'web-01': web('1GiB'), 'web-02': web('1GiB') } } }), 0);
}

describeWithPostgres('PostgreSQL state store', (conn) => {
  const { store, sql } = pgStores(conn);
  const rows = async (s: PgStateStore, text: string, values: unknown[] = []) =>
    sql(async (c) => (await c.query(text.replaceAll('$S', c.escapeIdentifier(s.schema)), values)).rows);

  stateStoreConformance('postgresql', async () => store(), {
    corrupt: async (s) => void (await rows(s as PgStateStore, `UPDATE $S.records SET value = '{"version": 1, "ser' WHERE key = 'meta'`)),
    // What `hvkit state unlock ID --force` does from another process: another store on the same schema and fleet.
    forceUnlock: async (s, held) => store({ schema: (s as PgStateStore).schema, fleet: (s as PgStateStore).fleet }).unlock(held.id),
    seed: async (s: StateStore, stored) => s.adopt(stored as State),
  });

  describe('every serial kept', () => {
    it('reads each serial as it was written, after later versions added and removed guests', async () => {
      const s = store();
      const v0 = fleetState();
      const v1 = { ...structuredClone(v0), serial: await s.write(v0) };
      const v2 = structuredClone(v1);
      delete v2.guests['web-01'];
      v2.serial = await s.write(v2);
      const v3 = { ...structuredClone(v2), lastApply: { run: 'r3', failed: [] } };
      v3.serial = await s.write(v3);
      expect(await s.readSerial(1)).toEqual(v1);
      expect(await s.readSerial(2)).toEqual(v2);
      expect(await s.read()).toEqual(v3);
      expect((await s.history()).map((v) => [v.serial, v.guests])).toEqual([[1, 2], [2, 1], [3, 1]]);
    });

    it('stores only the records a write changed, and never updates or deletes a row', async () => {
      const s = store();
      await s.unlock((await s.lock('test')).id); // creates the tables
      await rows(s, `CREATE FUNCTION $S.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'rows are never changed in place'; END $$;
        CREATE TRIGGER keep BEFORE UPDATE OR DELETE ON $S.versions FOR EACH ROW EXECUTE FUNCTION $S.refuse();
        CREATE TRIGGER keep BEFORE UPDATE OR DELETE ON $S.records FOR EACH ROW EXECUTE FUNCTION $S.refuse();`);
      const v0 = fleetState();
      const v1 = { ...structuredClone(v0), serial: await s.write(v0) };
      const v2 = structuredClone(v1);
      v2.guests['web-02'].power = { state: 'stopped', at: '2030-01-01T00:00:00.000Z', by: 'command' };
      delete v2.guests['web-01'];
      v2.serial = await s.write(v2);
      await s.write(v2);
      const perSerial = await rows(s, `SELECT serial::int, array_agg(key || '=' || CASE WHEN value IS NULL THEN 'removed' ELSE 'set' END ORDER BY key) AS keys FROM $S.records GROUP BY serial ORDER BY serial`);
      expect(perSerial).toEqual([
        { serial: 1, keys: ['guest/web-01=set', 'guest/web-02=set', 'host/host-a=set', 'meta=set'] },
        { serial: 2, keys: ['guest/web-01=removed', 'guest/web-02=set'] },
      ]);
      expect((await rows(s, 'SELECT serial::int FROM $S.versions ORDER BY serial')).map((r) => r.serial)).toEqual([1, 2, 3]);
      expect(await s.read()).toEqual({ ...v2, serial: 3 });
    });

    it('stores a version whole again once the rows since the last whole one outnumber the state\'s records, and still reads every serial as written', async () => {
      const s = store();
      const held = await s.lock('apply');
      const written: State[] = [];
      let st = { ...fleetState(), serial: 0 };
      // Apply's pattern: a step's intent in, then its result out, one record each.
      for (let i = 0; i < 70; i++) {
        const id = `create:web-${i % 2 ? 'x' : 'y'}`;
        const next = structuredClone(st);
        if (next.inflight[id]) delete next.inflight[id];
        else next.inflight[id] = { version: 1, run: `run-${i}`, started: '2030-01-01T00:00:00.000Z', step: { id, kind: 'create', provider: 'local', host: 'host-a', guest: id.slice(7) } };
        st = { ...next, serial: await s.write(next) };
        written.push(st);
      }
      await s.unlock(held.id);
      // Serial 1 is the first whole version; 64 single-record versions later, the 66th is stored whole.
      expect((await rows(s, 'SELECT serial::int FROM $S.versions WHERE base = serial ORDER BY serial')).map((r) => r.serial)).toEqual([1, 66]);
      expect(await rows(s, 'SELECT count(*)::int AS n FROM $S.records WHERE serial = 66')).toEqual([{ n: Object.keys(written[65].inflight).length + 4 }]);
      for (const w of written) expect(await s.readSerial(w.serial)).toEqual(w);
      expect(await s.read()).toEqual(written.at(-1));
    });

    it('reads the head after many writes without scanning the history: only the rows from its base up', async () => {
      const s = store();
      const guests = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`web-${String(i).padStart(3, '0')}`, web('1GiB')]));
      let st: State = stateOf(manifestOf({ 'host-a': { props: WEB_HOST_8G, guests } }), 0);
      const held = await s.lock('apply');
      for (let i = 0; i < 600; i++) st = { ...st, lastApply: { run: `run-${i}`, failed: [] }, serial: await s.write({ ...st, lastApply: { run: `run-${i}`, failed: [] } }) };
      await s.unlock(held.id);
      await rows(s, 'ANALYZE $S.records');
      const [{ 'QUERY PLAN': [plan] }] = (await sql((c) => c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${readSql(c.escapeIdentifier(s.schema))}`, [s.fleet, null]))).rows;
      type Node = { 'Relation Name'?: string; 'Index Name'?: string; 'Actual Rows': number; 'Actual Loops': number; 'Rows Removed by Filter'?: number; Plans?: Node[] };
      const nodes = (n: Node): Node[] => [n, ...(n.Plans ?? []).flatMap(nodes)];
      const scans = nodes(plan.Plan as Node).filter((n) => n['Relation Name'] === 'records');
      const total = (await rows(s, 'SELECT count(*)::int AS n FROM $S.records'))[0].n as number;
      expect(total).toBeGreaterThan(1_000);
      expect(scans.map((n) => n['Index Name'])).toEqual(['records_by_serial']);
      // At most two whole versions' worth of rows (the base and the changes since), not the history.
      expect(scans[0]['Actual Rows'] + (scans[0]['Rows Removed by Filter'] ?? 0)).toBeLessThanOrEqual(2 * 102);
      expect(await s.read()).toEqual(st);
    });

    it('names the lock holder that wrote each version in its history', async () => {
      const s = store();
      const held = await s.lock('apply');
      await s.write(fleetState());
      await s.unlock(held.id);
      expect(await s.history()).toEqual([{ serial: 1, lineage: fleetState().lineage, created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), who: held.who, operation: 'apply', hosts: 1, guests: 2, inflight: 0 }]);
    });
  });

  describe('an unreadable state', () => {
    it('names the record that is not JSON and its serial, says what to do, and writes nothing over it', async () => {
      const s = store();
      await s.write(fleetState());
      await rows(s, `UPDATE $S.records SET value = '{"spec": ' WHERE key = 'guest/web-01'`);
      await expect(s.read()).rejects.toThrow(
        new RegExp(`^state ${s.location.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: record guest/web-01 is not JSON \\(.+\\) at serial 1; it was left untouched; restore an earlier serial \\(\`hvkit state show --serial N\`\\) or fix it by hand before running hvkit again$`),
      );
      await expect(s.write({ ...fleetState(), serial: 1 })).rejects.toThrow('record guest/web-01 is not JSON');
      expect(await rows(s, 'SELECT count(*)::int AS n FROM $S.versions')).toEqual([{ n: 1 }]);
    });

    it('names the field a record breaks the state schema with', async () => {
      const s = store();
      await s.write(fleetState());
      await rows(s, `UPDATE $S.records SET value = '{"provider": "local", "config": ""}' WHERE key = 'guest/web-01'`);
      await expect(s.read()).rejects.toThrow(`state ${s.location}: at /guests/web-01: is missing field 'spec'; this state was edited by hand or written by a broken hvkit: it was left untouched`);
    });
  });

  describe('compare-and-swap', () => {
    it('lets exactly one of two writers from the same base in when they write at the same moment, and stores nothing of the other', async () => {
      const schema = freshSchema();
      const [a, b] = [store({ schema }), store({ schema })];
      const v1 = { ...fleetState(), serial: await a.write(fleetState()) };
      // Holding serial 2 open in a transaction makes both writers pass the head check and then
      // wait on the primary key, so both really race for it.
      await sql(async (blocker) => {
        await blocker.query('BEGIN');
        await blocker.query(`INSERT INTO ${blocker.escapeIdentifier(schema)}.versions (fleet, serial, lineage, hosts, guests, inflight, base, since_base) VALUES ('tokyo', 2, $1, 0, 0, 0, 2, 0)`, [v1.lineage]);
        const writes = [a.write({ ...v1, lastApply: { run: 'from-a', failed: [] } }), b.write({ ...v1, lastApply: { run: 'from-b', failed: [] } })];
        // Asked on a connection of its own: in the blocker's transaction, pg_stat_activity would stay as it first read it.
        await until('both writers to wait on serial 2', async () =>
          (await rows(a, `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%versions%'`, [schema])).length === 2);
        await blocker.query('ROLLBACK');
        const settled = await Promise.allSettled(writes);
        expect(settled.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        const lost = settled.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(lost.reason).toBeInstanceOf(StateConflictError);
        expect(lost.reason.message).toBe(`state ${a.location}: it changed since it was read (serial 1 → 2); run \`hvkit plan\` again`);
      });
      const winner = (await a.read())!.lastApply!.run;
      const loser = winner === 'from-a' ? 'from-b' : 'from-a';
      expect(await rows(a, `SELECT serial::int FROM $S.records WHERE value LIKE '%' || $1 || '%'`, [loser])).toEqual([]);
      expect((await a.history()).map((v) => v.serial)).toEqual([1, 2]);
    });

    it('keeps fleets apart in one schema: each has its own serials and lock', async () => {
      const schema = freshSchema();
      const [tokyo, osaka] = [store({ schema }), store({ schema, fleet: 'osaka' })];
      await tokyo.write(fleetState());
      expect(await osaka.read()).toBeUndefined();
      const held = await tokyo.lock('apply');
      const other = await osaka.lock('apply');
      expect(await osaka.write({ ...fleetState(), fleet: 'osaka' })).toBe(1);
      await tokyo.unlock(held.id);
      await osaka.unlock(other.id);
    });
  });

  describe('schema and format', () => {
    it('creates its tables once when several stores use a new schema at the same moment', async () => {
      const schema = freshSchema();
      const stores = Array.from({ length: 6 }, () => store({ schema }));
      const writes = await Promise.allSettled(stores.map((s) => s.write(fleetState())));
      expect(writes.filter((w) => w.status === 'fulfilled')).toHaveLength(1);
      for (const w of writes) if (w.status === 'rejected') expect(w.reason).toBeInstanceOf(StateConflictError);
      expect(await rows(stores[0], 'SELECT key, value FROM $S.meta')).toEqual([{ key: 'format', value: String(PG_FORMAT) }]);
      expect((await stores[5].read())?.serial).toBe(1);
    });

    it('reads a schema that does not exist as no state, creating nothing; the first write, lock or move creates it', async () => {
      const schema = freshSchema();
      const s = store({ schema });
      const exists = async () => (await sql((c) => c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]))).rowCount === 1;
      expect(await s.read()).toBeUndefined();
      expect(await s.readSerial(1)).toBeUndefined();
      expect(await s.history()).toEqual([]);
      expect(await s.lockInfo()).toBeUndefined();
      await expect(s.unlock('no-such-lock')).rejects.toBeInstanceOf(NotLockedError);
      expect(await exists()).toBe(false);
      await s.unlock((await s.lock('apply')).id);
      expect(await exists()).toBe(true);
    });

    it('refuses a schema written by a newer hvkit, in one line, and changes nothing', async () => {
      const schema = freshSchema();
      const old = store({ schema });
      await old.write(fleetState());
      await rows(old, `UPDATE $S.meta SET value = '7' WHERE key = 'format'`);
      const s = store({ schema });
      await expect(s.read()).rejects.toThrow(new HvkitError(`state ${s.location} was written by a newer hvkit (format 7); upgrade hvkit`));
      await expect(s.write({ ...fleetState(), serial: 1 })).rejects.toThrow('upgrade hvkit');
      expect(await rows(s, 'SELECT count(*)::int AS n FROM $S.versions')).toEqual([{ n: 1 }]);
    });

    it('migrates a schema of format 1 (every version stored as changes from the first) and reads and writes on', async () => {
      const schema = freshSchema();
      const old = store({ schema });
      const v1 = { ...fleetState(), serial: await old.write(fleetState()) };
      const v2 = { ...structuredClone(v1), lastApply: { run: 'r2', failed: [] } };
      v2.serial = await old.write(v2);
      const v3 = structuredClone(v2);
      delete v3.guests['web-01'];
      v3.serial = await old.write(v3);
      // What hvkit wrote before format 2: no base columns.
      await rows(old, `ALTER TABLE $S.versions DROP COLUMN base, DROP COLUMN since_base; DROP INDEX $S.records_by_serial; DROP TABLE $S.samples; UPDATE $S.meta SET value = '1' WHERE key = 'format'`);
      const s = store({ schema });
      expect(await s.read()).toEqual(v3);
      expect(await s.readSerial(1)).toEqual(v1);
      expect(await rows(s, `SELECT value FROM $S.meta WHERE key = 'format'`)).toEqual([{ value: String(PG_FORMAT) }]);
      expect(await s.write(v3)).toBe(4);
      expect(await rows(s, 'SELECT serial::int, base::int FROM $S.versions WHERE serial IN (3, 4) ORDER BY serial')).toEqual([{ serial: 3, base: 1 }, { serial: 4, base: 4 }]);
      expect(await s.read()).toEqual({ ...v3, serial: 4 });
    });

    it('migrates a schema of format 2 (no index on serial) and reads through the index it adds', async () => {
      const schema = freshSchema();
      const old = store({ schema });
      const v1 = { ...fleetState(), serial: await old.write(fleetState()) };
      // What hvkit wrote before format 3.
      await rows(old, `DROP INDEX $S.records_by_serial; DROP TABLE $S.samples; UPDATE $S.meta SET value = '2' WHERE key = 'format'`);
      const s = store({ schema });
      expect(await s.read()).toEqual(v1);
      expect(await rows(s, `SELECT value FROM $S.meta WHERE key = 'format'`)).toEqual([{ value: String(PG_FORMAT) }]);
      expect(await rows(s, 'SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2', [schema, 'records_by_serial'])).toEqual([
        { indexdef: `CREATE INDEX records_by_serial ON ${schema}.records USING btree (fleet, serial)` },
      ]);
      expect(await s.write(v1)).toBe(2);
    });

    it('works in a schema an administrator created beforehand', async () => {
      const schema = freshSchema();
      const s = store({ schema });
      await sql((c) => c.query(`CREATE SCHEMA ${c.escapeIdentifier(schema)}`));
      expect(await s.write(fleetState())).toBe(1);
    });

    it('refuses a schema name that is not a plain lower-case identifier, before connecting', () => {
      for (const schema of ['Hvkit', 'a"b', 'x; DROP TABLE y', '1abc', '']) {
        expect(() => new PgStateStore({ conn, env: {}, schema, fleet: 'tokyo' })).toThrow(
          `PostgreSQL state schema '${schema}' is not a plain lower-case name: use letters a-z, digits and _ (at most 63, not starting with a digit)`,
        );
      }
    });
  });
});

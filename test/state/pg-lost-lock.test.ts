import { describe, expect, it } from 'vitest';
import { StateLockLostError } from '../../lib/state/errors';
import type { PgStateStore } from '../../lib/state/pg-store';
import type { State } from '../../lib/state/types';
import { WEB_HOST_8G, manifestOf, stateOf, web } from '../helpers/fleet';
import { pgStores, until } from '../helpers/pg-stores';
import { describeWithPostgres, freshSchema } from '../helpers/postgres';

/** A fleet of one host and one guest, never written (serial 0). */
function fleetState(): State {
  return stateOf(manifestOf({ 'host-a': { props: WEB_HOST_8G, guests: { 'web-01': web('1GiB') } } }), 0);
}

describeWithPostgres('PostgreSQL state store that lost its lock', (conn) => {
  const { store, sql } = pgStores(conn);
  const q = async (s: PgStateStore, text: string, values: unknown[] = []) =>
    sql(async (c) => (await c.query(text.replaceAll('$S', c.escapeIdentifier(s.schema)), values)).rows);
  const lockSession = async (s: PgStateStore) => ((await q(s, 'SELECT backend_pid FROM $S.locks')) as { backend_pid: number }[])[0].backend_pid;
  const alive = async (pid: number) => (await sql((c) => c.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]))).rowCount === 1;
  const serials = async (s: PgStateStore) => ((await q(s, 'SELECT serial::int FROM $S.versions ORDER BY serial')) as { serial: number }[]).map((r) => r.serial);

  describe('adopt (state push / pull)', () => {
    it('refuses to store the moved state once the session holding its lock was ended, and stores nothing', async () => {
      const s = store();
      await s.lock('state push');
      await sql((c) => lockSession(s).then((pid) => c.query('SELECT pg_terminate_backend($1, 10000)', [pid])));
      await expect(s.adopt({ ...fleetState(), serial: 9 })).rejects.toBeInstanceOf(StateLockLostError);
      expect(await serials(s)).toEqual([]);
    });

    it('refuses to store the moved state over what another holder wrote after taking the lock it lost', async () => {
      const schema = freshSchema();
      const [pusher, other] = [store({ schema }), store({ schema })];
      await pusher.lock('state push');
      await sql((c) => lockSession(pusher).then((pid) => c.query('SELECT pg_terminate_backend($1, 10000)', [pid])));
      const theirs = await other.lock('apply');
      expect(await other.write(fleetState())).toBe(1);
      await expect(pusher.adopt({ ...fleetState(), serial: 9 })).rejects.toBeInstanceOf(StateLockLostError);
      expect(await serials(other)).toEqual([1]);
      await other.unlock(theirs.id);
    });
  });

  it('lets go of the lock when it finds its lock row gone while its session stays open, so another store can take it', async () => {
    const schema = freshSchema();
    const [a, b] = [store({ schema }), store({ schema })];
    await a.lock('apply');
    const pid = await lockSession(a);
    // A row removed by hand (or a forced unlock whose end of the session failed): the session lives on.
    await q(a, 'DELETE FROM $S.locks');
    await expect(a.write(fleetState())).rejects.toBeInstanceOf(StateLockLostError);
    expect(await alive(pid)).toBe(false);
    const got = await b.lock('apply', { timeoutMs: 0 });
    expect(await b.lockInfo()).toEqual(got);
    await b.unlock(got.id);
  });

  it('forced unlock ends no session when the lock it was given went meanwhile and another took the row', async () => {
    const schema = freshSchema();
    const [holder, forcer] = [store({ schema }), store({ schema })];
    const held = await holder.lock('apply');
    const pid = await lockSession(holder);
    // Hold the forced unlock's UPDATE back until the row names another lock, as if the holder let go
    // and another took it between the forcer's look at the row and its UPDATE.
    await sql(async (c) => {
      const locks = `${c.escapeIdentifier(schema)}.locks`;
      await c.query('BEGIN');
      await c.query(`LOCK TABLE ${locks} IN EXCLUSIVE MODE`);
      const forced = forcer.unlock(held.id);
      await until('the forced unlock to wait on the locks table', async () =>
        (await sql((w) => w.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE %' AND query LIKE $1`, [`%${schema}%`]))).rowCount === 1,
      );
      await c.query(`UPDATE ${locks} SET id = 'another-lock'`);
      await c.query('COMMIT');
      await forced;
    });
    expect(await alive(pid)).toBe(true);
  });
});

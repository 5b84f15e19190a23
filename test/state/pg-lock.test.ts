import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { StateLockedError } from '../../lib/state/errors';
import { releaseLock } from '../../lib/state/unlock';
import type { LockInfo } from '../../lib/state/types';
import { pgStores, until } from '../helpers/pg-stores';
import { describeWithPostgres, freshSchema } from '../helpers/postgres';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOLDER = join(ROOT, 'test', 'state', 'fixtures', 'pg-holder.ts');

describeWithPostgres('PostgreSQL state lock', (conn) => {
  const { store, sql } = pgStores(conn);

  /** Another hvkit process holding the lock on `schema`, until killed. */
  async function holderProcess(schema: string) {
    const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, 'hold', conn, schema], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    return { child, held: JSON.parse(line) as LockInfo };
  }
  const backendGone = (backendPid: number) => async () =>
    (await sql((c) => c.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backendPid]))).rowCount === 0;

  describe('held by another process', () => {
    it('names that process in "locked by", and frees the lock at once when it is killed (kill -9), with no stale wait', async () => {
      const schema = freshSchema();
      const s = store({ schema });
      const { child, held } = await holderProcess(schema);
      const err = await s.lock('apply').catch((e) => e);
      expect(err).toBeInstanceOf(StateLockedError);
      expect(err.message).toContain(`is locked by ${held.who} (pid ${child.pid}) since ${held.created} for 'apply' (lock ID ${held.id})`);
      const [{ backend_pid: backendPid }] = (await sql((c) => c.query(`SELECT backend_pid FROM ${c.escapeIdentifier(schema)}.locks`))).rows;

      child.kill('SIGKILL');
      await once(child, 'exit');
      await until('the killed holder\'s database session to end', backendGone(backendPid));
      // Its row is still there; its session, and the advisory lock with it, are not.
      expect((await sql((c) => c.query(`SELECT id FROM ${c.escapeIdentifier(schema)}.locks`))).rows).toEqual([{ id: held.id }]);
      expect(await s.lockInfo()).toBeUndefined();
      const mine = await s.lock('apply', { timeoutMs: 0 });
      expect(await s.lockInfo()).toEqual(mine);
      await s.unlock(mine.id);
    });

    it('refuses `state unlock` without --force while the holder\'s database session is open, and with --force ends that session', async () => {
      const schema = freshSchema();
      const s = store({ schema });
      const { child, held } = await holderProcess(schema);
      try {
        await expect(releaseLock(s, held.id)).rejects.toThrow(
          `lock ${held.id} on ${s.location} is held by ${held.who} (pid ${child.pid}) since ${held.created} for 'apply', and its database session is still open: let it finish (or stop it) instead. If you are sure it no longer writes the state, run: hvkit state unlock ${held.id} --force`,
        );
        expect(await releaseLock(s, held.id, { force: true })).toEqual(held);
        // The holder's session is gone on return: the lock is free at once.
        const mine = await s.lock('apply', { timeoutMs: 0 });
        await s.unlock(mine.id);
      } finally {
        child.kill('SIGKILL');
      }
    });
  });

  it('waits for another store\'s lock with a lock timeout, and gets it once that store lets go', async () => {
    const schema = freshSchema();
    const [holder, waiter] = [store({ schema }), store({ schema, lockTimeoutMs: 60_000 })];
    const held = await holder.lock('apply');
    const seen: (string | undefined)[] = [];
    // The holder lets go as soon as the waiter starts waiting: no sleep, no race.
    const got = await waiter.lock('apply', { onWait: (h) => { seen.push(h?.id); void holder.unlock(held.id); } });
    expect(seen).toEqual([held.id]);
    expect(await holder.lockInfo()).toEqual(got);
    await waiter.unlock(got.id);
  });

  it('takes the lock in one fleet without touching another fleet\'s in the same schema', async () => {
    const schema = freshSchema();
    const [tokyo, osaka] = [store({ schema }), store({ schema, fleet: 'osaka' })];
    const held = await tokyo.lock('apply');
    expect(await osaka.lockInfo()).toBeUndefined();
    await tokyo.unlock(held.id);
  });

  it('lets a process that never closed its store end on its own', () => {
    const schema = freshSchema();
    store({ schema }); // so the schema is dropped after the file
    const r = spawnSync(process.execPath, ['--import', 'tsx', HOLDER, 'leave', conn, schema], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect({ status: r.status, signal: r.signal, out: r.stdout, err: r.stderr }).toEqual({ status: 0, signal: null, out: 'done\n', err: '' });
  });

  it('lets a process go on after close() when nothing else keeps it alive', () => {
    const schema = freshSchema();
    store({ schema });
    const r = spawnSync(process.execPath, ['--import', 'tsx', HOLDER, 'close', conn, schema], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect({ status: r.status, out: r.stdout, err: r.stderr }).toEqual({ status: 0, out: 'done\nclosed\n', err: '' });
  });
});

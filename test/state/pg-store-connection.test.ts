import { afterAll, describe, expect, it } from 'vitest';
import { HvkitError } from '../../lib/errors';
import { StateConnectionLostError, StateLockLostError } from '../../lib/state/errors';
import { END_TIMEOUT_MS, PgStateStore } from '../../lib/state/pg-store';
import { pgTarget } from '../../lib/state/private/pg-connection';
import type { State } from '../../lib/state/types';
import { WEB_HOST_8G, manifestOf, stateOf, web } from '../helpers/fleet';
import { pgStores, sql } from '../helpers/pg-stores';
import { PrivateCluster, describeWithPostgres, freshSchema } from '../helpers/postgres';

const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function fleetState(): State {
  return stateOf(manifestOf({ 'host-a': { props: WEB_HOST_8G, guests: { 'web-01': web('1GiB') } } }), 0);
}

/** An intent as apply records it before a step's script starts. */
const INTENT = { version: 1, run: 'run-1', started: '2030-01-01T00:00:00.000Z', step: { id: 'create:web-02', kind: 'create', provider: 'local', host: 'host-a', guest: 'web-02' } } as const;

describe('PostgreSQL state location', () => {
  const location = (conn: string | undefined, env: NodeJS.ProcessEnv = {}) => new PgStateStore({ conn, env, fleet: 'tokyo' }).location;

  it('names the server, user and database of a URI, never its password', () => {
    expect(location('postgresql://ci:hunter2@db.example:6543/state?sslmode=require')).toBe('postgres://ci@db.example:6543/state (schema hvkit, fleet tokyo)');
  });

  it('reads key=value connection strings and fills in what they leave out from the PG* variables', () => {
    expect(location("host=db.example password='hunter2' dbname=state", { PGUSER: 'ci', PGPORT: '6543', PGPASSWORD: 'x' })).toBe('postgres://ci@db.example:6543/state (schema hvkit, fleet tokyo)');
    expect(location(undefined, { PGHOST: '/run/postgresql', PGUSER: 'ci', PGDATABASE: 'state' })).toBe('postgres://ci@%2Frun%2Fpostgresql:5432/state (schema hvkit, fleet tokyo)');
  });

  it('refuses a connection string libpq would not read, in one line without its password', () => {
    expect(() => location('postgresql://ci:hunter2@db.example/state?frobnicate=1')).toThrow(/^HVKIT_PG_CONN is not a PostgreSQL connection string libpq reads \(.*\); give a URI/);
    expect(() => location('postgresql://ci:hunter2@db.example/state?frobnicate=1')).not.toThrow(/hunter2/);
  });

  const refusal = (conn: string) => {
    try {
      location(conn);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error(`${conn} was accepted`);
  };

  it('never repeats a word of an unquoted password with a space, whether the word after it has no value or one', () => {
    for (const conn of ['host=h password=abc SECRETTAIL', 'host=h password=abc SECRETTAIL=x']) {
      const message = refusal(conn);
      expect(message).not.toContain('SECRETTAIL');
      expect(message).toBe(
        "HVKIT_PG_CONN is not a PostgreSQL connection string libpq reads (a word in it is not a libpq key=value option; quote values with spaces: password='…'); give a URI (postgresql://user@host:5432/db) or key=value pairs (host=… dbname=…)",
      );
    }
  });

  it('names a libpq keyword that has no value or a bad one, as the parser says it', () => {
    expect(refusal('host=h port')).toContain('(Missing value for port)');
    expect(refusal('host=h port=abc')).toContain('(Expected "port" to be an integer)');
  });

  it('refuses an unterminated quote as libpq does, in one line without a word of what follows it', () => {
    for (const conn of ["host='unterminated password=Sup3rSecret", "dbname='hvkit user=x password=Secret10"]) {
      const message = refusal(conn);
      expect(message).toBe("HVKIT_PG_CONN has an unterminated quoted value (libpq refuses it): close the quote, as in password='…'");
    }
  });

  it('never shows a password in the location, even one that ended up in another field', () => {
    // A quoted value holding `password=` is taken as given by libpq: the location hides that field whole.
    expect(location("host=db.example dbname='hvkit password=Secret10'", { PGUSER: 'ci' })).toBe('postgres://ci@db.example:5432/*** (schema hvkit, fleet tokyo)');
    // A password that is also another field's text is masked wherever it occurs.
    expect(location('postgresql://Sup3rSecret:Sup3rSecret@db.example/state')).toBe('postgres://***@db.example:5432/state (schema hvkit, fleet tokyo)');
  });

  it('lists each sslmode libpq takes once when the value is not one of them', () => {
    expect(refusal('host=h sslmode=sometimes')).toContain(
      '(Expected "sslmode" to be one of "disable", "allow", "prefer", "require", "verify-ca", "verify-full", "no-verify")',
    );
  });

  it('probes an idle connection after 10s (TCP keepalive), so a database gone without closing it is noticed in minutes, not hours', () => {
    const { config } = pgTarget('postgresql://ci@db.example/state', {});
    expect({ keepAlive: config.keepAlive, delay: config.keepAliveInitialDelayMillis }).toEqual({ keepAlive: true, delay: 10_000 });
  });

  it('encrypts without checking the certificate under sslmode=no-verify, as node-postgres does', () => {
    expect(pgTarget('postgresql://ci@db.example/state?sslmode=no-verify', {}).config.ssl).toEqual({ rejectUnauthorized: false });
    expect(pgTarget('postgresql://ci@db.example/state?sslmode=verify-full', {}).config.ssl).toEqual({ rejectUnauthorized: true });
  });
});

describeWithPostgres('PostgreSQL state store that cannot connect', (conn) => {
  const { store } = pgStores(conn);
  const url = new URL(conn);
  const failure = async (s: PgStateStore) => {
    const e = await s.read().catch((x) => x);
    expect(e).toBeInstanceOf(HvkitError);
    expect(e.message).not.toContain('hunter2');
    expect(e.message.split('\n')).toHaveLength(1);
    return e.message;
  };

  it('says the server refused the connection, and what to check', async () => {
    const s = store({ conn: `postgresql://ci:hunter2@127.0.0.1:1/hvkit` });
    expect(await failure(s)).toBe(`cannot connect to PostgreSQL state ${s.location}: connection refused: check that the server runs and HVKIT_PG_CONN (or PGHOST/PGPORT) points at it`);
  });

  it('says the database does not exist', async () => {
    const s = store({ conn: `postgresql://${url.username}:hunter2@${url.host}/no_such_db` });
    expect(await failure(s)).toBe(`cannot connect to PostgreSQL state ${s.location}: the database does not exist: create it (createdb) or fix the database name in HVKIT_PG_CONN`);
  });

  it('says the server refused the user', async () => {
    const s = store({ conn: `postgresql://no_such_user:hunter2@${url.host}/hvkit` });
    expect(await failure(s)).toBe(`cannot connect to PostgreSQL state ${s.location}: the server refused this user: check the user in HVKIT_PG_CONN and the server's pg_hba.conf`);
  });
});

describeWithPostgres('PostgreSQL state store on a live server', (conn) => {
  const { store, sql } = pgStores(conn);

  it('reconnects for its next read when its idle connection was ended, and does not crash the process', async () => {
    // A name of its own, so only this store's session is ended: other tests share the server.
    const app = `hvkit-${freshSchema()}`;
    const s = store({ conn: `${conn}${conn.includes('?') ? '&' : '?'}application_name=${app}` });
    await s.write(fleetState());
    const ended = await sql((c) => c.query('SELECT pg_terminate_backend(pid, 10000) AS ended FROM pg_stat_activity WHERE application_name = $1', [app]));
    expect(ended.rows).toEqual([{ ended: true }]);
    expect((await s.read())?.serial).toBe(1);
    expect(await s.write({ ...fleetState(), serial: 1 })).toBe(2);
  });

  it('says in one line what the database refused, with its SQLSTATE', async () => {
    const s = store();
    await s.write(fleetState());
    await sql((c) => c.query(`DROP TABLE ${c.escapeIdentifier(s.schema)}.records`));
    const err = await s.read().catch((e) => e);
    expect(err).toBeInstanceOf(HvkitError);
    expect(err.message).toBe(`PostgreSQL state ${s.location}: relation "${s.schema}.records" does not exist (SQLSTATE 42P01)`);
  });
});

PrivateCluster.describe('PostgreSQL state store when the database goes away', (cluster) => {
  const open: PgStateStore[] = [];
  // A schema per test: they run in random order on the one cluster.
  const store = (schema: string) => {
    const s = new PgStateStore({ conn: cluster.conn, env: {}, schema, fleet: 'tokyo' });
    open.push(s);
    return s;
  };
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
  });

  it('refuses every write once the server restarted under a held lock; what was committed, in-flight steps included, reads back', async () => {
    const s = store('restarted');
    const held = await s.lock('apply');
    const v1 = { ...fleetState(), serial: await s.write(fleetState()) };
    const v2 = { ...structuredClone(v1), inflight: { [INTENT.step.id]: structuredClone(INTENT) } } as State;
    v2.serial = await s.write(v2);

    cluster.restart();
    // Reads reconnect; the lock does not come back with the new session.
    expect(await s.read()).toEqual(v2);
    const result = { ...structuredClone(v2), inflight: {} };
    const err = await s.write(result).catch((e) => e);
    expect(err).toBeInstanceOf(StateConnectionLostError);
    // Apply treats it as a lost lock: no further step starts.
    expect(err).toBeInstanceOf(StateLockLostError);
    expect(err.message).toMatch(
      new RegExp(`^state ${escapeRe(s.location)}: the connection to the database was lost while this run held the state lock \\(.+\\): no further step was started; the step\\(s\\) running are recorded as in flight; run \`hvkit plan\` when the database is back$`),
    );
    await expect(s.write(result)).rejects.toBe(err);

    // A fresh store sees the last committed version, its in-flight step included, and a free lock.
    const next = store('restarted');
    expect(await next.read()).toEqual(v2);
    const taken = await next.lock('apply', { timeoutMs: 0 });
    await s.unlock(held.id); // harmless: that lock went with its session
    expect(await next.lockInfo()).toEqual(taken);
    expect(await next.write(result)).toBe(3);
    await next.unlock(taken.id);
  });

  it('reports a restart as a lost connection, in the server\'s words, even when a waiting run took the lock since; never as a forced unlock', async () => {
    const s = store('restarted_taken');
    await s.lock('apply');
    const v1 = { ...fleetState(), serial: await s.write(fleetState()) };
    cluster.restart();
    const waiter = store('restarted_taken');
    const taken = await waiter.lock('apply', { timeoutMs: 0 });
    const err = await s.write(v1).catch((e) => e);
    expect(err).toBeInstanceOf(StateConnectionLostError);
    expect(err.message).toBe(
      `state ${s.location}: the connection to the database was lost while this run held the state lock (terminating connection due to administrator command; another run has taken the lock since): ` +
        'no further step was started; the step(s) running are recorded as in flight; run `hvkit plan` when the database is back',
    );
    await waiter.unlock(taken.id);
  });

  it('refuses writes while the server is down, reads say it cannot connect, and all works again once it is back', async () => {
    const s = store('stopped');
    const held = await s.lock('apply');
    const v1 = { ...fleetState(), serial: await s.write(fleetState()) };
    cluster.stop();
    try {
      await expect(s.write(v1)).rejects.toBeInstanceOf(StateConnectionLostError);
      await expect(s.read()).rejects.toThrow(`cannot connect to PostgreSQL state ${s.location}: connection refused`);
    } finally {
      cluster.startAgain();
    }
    expect(await s.read()).toEqual(v1);
    await s.unlock(held.id);
    const again = await s.lock('apply');
    expect(await s.write(v1)).toBe(v1.serial + 1);
    await s.unlock(again.id);
  });

  it('closes within seconds when its server stops answering without closing the connection', async () => {
    const s = store('frozen');
    await s.lock('apply');
    const [{ backend_pid: pid }] = (await sql(cluster.conn, (c) => c.query<{ backend_pid: number }>('SELECT backend_pid FROM frozen.locks'))).rows;
    // A stopped backend: the socket stays open and nothing answers, as across a network partition.
    process.kill(pid, 'SIGSTOP');
    try {
      const started = Date.now();
      await s.close();
      expect(Date.now() - started).toBeLessThan(END_TIMEOUT_MS + 2_000);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }, 20_000);
});

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import { HvkitError } from '../errors';
import { LockIdMismatchError, NotLockedError, StateConflictError, StateConnectionLostError, StateLockLostError, StateLockedError, checkAdoptable, nextSerial } from './errors';
import { holderName, lockWithin } from './lock-wait';
import { checkState } from './read-state';
import { PERMISSIONS, PgStateError, connectFailure, firstLine, isConnectionError, pgTarget, queryFailure, rootCause, type PgTarget } from './private/pg-connection';
import { BadRecordError, changedRecords, fromRecords, readSql, toRecords, type Records } from './private/pg-records';
import { advisoryKeys, checkSchemaName, ensureSchema, schemaReady } from './private/pg-schema';
import { advisoryHeld, endClient, forcedId, socketOf } from './private/pg-session';

export { END_TIMEOUT_MS } from './private/pg-session';
import type { HolderLiveness, LockInfo, LockOptions, State, StateStore, StateVersion } from './types';

export interface PgStateStoreOptions {
  /** libpq connection string, URI or key=value (HVKIT_PG_CONN); the PG* variables of `env` fill in what it leaves out (as libpq does). */
  readonly conn: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** @default 'hvkit' */
  readonly schema?: string;
  readonly fleet: string;
  /** @default 0 */ readonly lockTimeoutMs?: number;
  readonly onLockWait?: LockOptions['onWait'];
}

/** A row of readRecords, in array mode: the version's serial, lineage, base and since_base, then a key and its value (both NULL: a version with no records). */
type ReadRow = [string, string, string, number, string | null, string | null] & pg.QueryResultRow;

/** The records of one stored version, as this store last read or wrote them. */
interface Known {
  lineage: string;
  serial: number;
  records: Records;
  /** The version stored whole that this one's records build on (see `snapshot` in write). */
  base: number;
  /** Rows stored from `base` (excluded) up to this version. */
  sinceBase: number;
}

/** A version is stored whole again once the rows since the last whole one outnumber the state's own records, and at least this many. */
const SNAPSHOT_MIN_ROWS = 64;

const FIX = 'it was left untouched; restore an earlier serial (`hvkit state show --serial N`) or fix it by hand before running hvkit again';

/**
 * The PostgreSQL backend (docs/architecture.md, "PostgreSQL state"): every serial
 * kept in insert-only tables, writes compare-and-swap on (lineage, serial) in one
 * statement, and the lock a session-level advisory lock on this store's one
 * connection, held for the whole run, with a row naming its holder.
 */
export class PgStateStore implements StateStore {
  readonly location: string;
  readonly schema: string;
  readonly fleet: string;
  /** The server; the fleet's measured load (PgSampleStore) lives there too. */ readonly target: PgTarget;
  private readonly s: string;
  private readonly keys: [number, number];
  private readonly lockTimeoutMs: number;
  private readonly onLockWait?: LockOptions['onWait'];
  private client?: pg.Client;
  private connecting?: Promise<pg.Client>;
  /** Queries under way: the socket keeps the process alive only while one is. */
  private busy = 0;
  private held?: LockInfo;
  /** The connection whose session holds the advisory lock: a write while holding it runs there or nowhere. */
  private lockSession?: pg.Client;
  /** The lock this store held and lost (forced unlock, or its session ended), and the error every write gets since. */
  private lost?: { id: string; error: StateLockLostError };
  private known?: Known;
  private closed = false;
  /** This hvkit's tables are known to be in the schema (they are never dropped by hvkit). */
  private ready = false;
  /** Why a connection of this store ended, as the driver or server said it. */
  private readonly endedWhy = new WeakMap<pg.Client, unknown>();

  constructor(opts: PgStateStoreOptions) {
    this.schema = checkSchemaName(opts.schema ?? 'hvkit');
    this.fleet = opts.fleet;
    this.target = pgTarget(opts.conn, opts.env);
    this.location = `${this.target.display} (schema ${this.schema}, fleet ${this.fleet})`;
    this.s = pg.Client.prototype.escapeIdentifier(this.schema);
    this.keys = advisoryKeys(`hvkit-state\0${this.schema}\0${this.fleet}`);
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 0;
    this.onLockWait = opts.onLockWait;
  }

  async read(): Promise<State | undefined> {
    const at = await this.readRecords(undefined);
    return at ? this.parse(at) : undefined;
  }

  async readSerial(serial: number): Promise<State | undefined> {
    if (!Number.isSafeInteger(serial) || serial < 1) return undefined;
    const at = await this.readRecords(serial);
    return at ? this.parse(at) : undefined;
  }

  async history(): Promise<StateVersion[]> {
    if (!(await this.tables(false))) return [];
    const r = await this.query<{ serial: string; lineage: string; created: Date; who: string | null; operation: string | null; hosts: number; guests: number; inflight: number }>(
      `SELECT serial, lineage, created, who, operation, hosts, guests, inflight FROM ${this.s}.versions WHERE fleet = $1 ORDER BY serial`,
      [this.fleet],
      { retry: true },
    );
    return r.rows.map((v) => ({
      serial: Number(v.serial),
      lineage: v.lineage,
      created: v.created.toISOString(),
      ...(v.who !== null && { who: v.who }),
      ...(v.operation !== null && { operation: v.operation }),
      hosts: v.hosts,
      guests: v.guests,
      inflight: v.inflight,
    }));
  }

  async write(state: State): Promise<number> {
    const base = { lineage: state.lineage, serial: state.serial };
    const { records, counts } = toRecords(state);
    if (this.lost) throw this.lost.error;
    if (!this.held) await this.tables(true);
    const held = this.held;
    // While this store holds the lock and wrote (or read) the base itself, nobody else can have
    // changed it: apply's many small writes skip the re-read. Otherwise read and check it, as the
    // file backend does, so a state this store cannot read is never built upon.
    let known = this.known;
    if (!(held && known && known.lineage === base.lineage && known.serial === base.serial)) {
      known = await this.guard(held, async () => {
        const at = await this.readRecords(undefined, this.lockSession);
        if (at) this.parse(at);
        return at;
      });
    }
    nextSerial(this.location, known, base);
    const serial = base.serial + 1;
    let changed = changedRecords(known?.records ?? new Map(), records);
    // Reading a version scans the rows from its base up: once the rows since the last version
    // stored whole outnumber the state's own records, this one is stored whole, so a read costs
    // what the state holds (amortized: at most one extra row per row written), not its history.
    const snapshot = !known || known.sinceBase + changed.count > Math.max(records.size, SNAPSHOT_MIN_ROWS);
    if (snapshot) changed = changedRecords(new Map(), records);
    const next = snapshot ? { base: serial, sinceBase: 0 } : { base: known!.base, sinceBase: known!.sinceBase + changed.count };
    const r = await this.guard(held, () =>
      this.query<{ head_serial: string | null; head_lineage: string | null; lock_id: string | null; written: string | null }>(
        this.insertSql('(base.serial = 0 AND h.serial IS NULL) OR (h.serial = base.serial AND h.lineage = $4)'),
        [this.fleet, held?.id ?? null, base.serial, base.lineage, serial, holderName(), held?.operation ?? null, hostname(), process.pid, counts.hosts, counts.guests, counts.inflight, changed.json, next.base, next.sinceBase],
        { session: this.lockSession },
      ),
    ).catch(async (e) => {
      if ((e as { code?: string }).code !== '23505') throw e;
      // Another writer from the same base committed first: the primary key on versions let only one in.
      nextSerial(this.location, await this.readRecords(undefined), base);
      throw new StateConflictError(this.location, `serial ${serial} was written by another writer meanwhile`);
    });
    const row = r.rows[0];
    if (row.written === null) {
      if (held && row.lock_id !== held.id) throw await this.loseLock(held, new StateLockLostError(this.location));
      const head = row.head_serial === null ? undefined : { lineage: row.head_lineage!, serial: Number(row.head_serial) };
      nextSerial(this.location, head, base);
      throw new StateConflictError(this.location, `serial ${serial} was written by another writer meanwhile`);
    }
    this.known = { lineage: base.lineage, serial, records, ...next };
    return serial;
  }

  async adopt(state: State): Promise<void> {
    const { records, counts } = toRecords(state);
    if (this.lost) throw this.lost.error;
    if (!this.held) await this.tables(true);
    // As write(): while this store holds the lock, on its session only and only while the lock row is
    // still its own, so a push whose lock was lost (forced unlock, session ended) never lands.
    const held = this.held;
    checkAdoptable(this.location, await this.guard(held, () => this.readRecords(undefined, this.lockSession)), state);
    // Stored whole: it continues no version this store holds.
    const r = await this.guard(held, () =>
      this.query<{ lock_id: string | null; written: string | null }>(
        this.insertSql('h.serial IS NULL OR (h.lineage = $4 AND h.serial < $5)'),
        [this.fleet, held?.id ?? null, state.serial - 1, state.lineage, state.serial, holderName(), held?.operation ?? null, hostname(), process.pid, counts.hosts, counts.guests, counts.inflight, changedRecords(new Map(), records).json, state.serial, 0],
        { session: this.lockSession },
      ),
    ).catch(async (e) => {
      if ((e as { code?: string }).code !== '23505') throw e;
      // Another writer stored this serial first: the primary key on versions let only one in.
      checkAdoptable(this.location, await this.readRecords(undefined), state);
      throw new StateConflictError(this.location, 'another writer wrote it while it was being moved');
    });
    const row = r.rows[0];
    if (row.written === null) {
      if (held && row.lock_id !== held.id) throw await this.loseLock(held, new StateLockLostError(this.location));
      checkAdoptable(this.location, await this.readRecords(undefined), state);
      throw new StateConflictError(this.location, 'another writer wrote it while it was being moved');
    }
    this.known = { lineage: state.lineage, serial: state.serial, records, base: state.serial, sinceBase: 0 };
  }

  /**
   * One statement, so one round trip and atomic: checks the head against `guard`
   * (h: the head version; base.serial: $3) and, while this store holds the lock ($2),
   * that the lock row is still its own; then inserts the version ($5) and its changed
   * records. Two writers from the same base both pass the check; the primary key on
   * versions lets one of them in and fails the other (unique violation).
   */
  private insertSql(guard: string): string {
    const s = this.s;
    return `WITH h AS (SELECT serial, lineage FROM ${s}.versions WHERE fleet = $1 ORDER BY serial DESC LIMIT 1),
      hh AS (SELECT max(serial) AS serial, max(lineage) AS lineage FROM h),
      base AS (SELECT $3::bigint AS serial),
      lk AS (SELECT id FROM ${s}.locks WHERE fleet = $1),
      ok AS (SELECT 1 FROM hh h, base WHERE ($2::text IS NULL OR $2 = (SELECT id FROM lk)) AND (${guard})),
      v AS (INSERT INTO ${s}.versions (fleet, serial, lineage, who, operation, host, pid, hosts, guests, inflight, base, since_base)
            SELECT $1, $5::bigint, $4, $6, $7, $8, $9, $10, $11, $12, $14, $15 FROM ok RETURNING serial),
      r AS (INSERT INTO ${s}.records (fleet, key, serial, value)
            SELECT $1, key, $5::bigint, CASE WHEN json_typeof(value) = 'null' THEN NULL ELSE value::text END FROM json_each($13::json) WHERE EXISTS (SELECT 1 FROM v))
      SELECT (SELECT serial FROM h) AS head_serial, (SELECT lineage FROM h) AS head_lineage, (SELECT id FROM lk) AS lock_id, (SELECT serial FROM v) AS written`;
  }

  async lock(operation: string, opts: LockOptions = {}): Promise<LockInfo> {
    return lockWithin(this.location, () => this.tryLock(operation), { timeoutMs: opts.timeoutMs ?? this.lockTimeoutMs, onWait: opts.onWait ?? this.onLockWait });
  }

  private async tryLock(operation: string): Promise<LockInfo> {
    // Advisory locks nest within a session: this store's second lock() must be refused, not granted again.
    if (this.held) throw new StateLockedError(this.location, await this.lockInfo());
    // The lock and its row on one session, in one statement: the row's backend_pid is the session
    // holding the lock, and a waiter never sees the lock taken with no row (or an old one) naming who.
    // A row left by a holder whose session died is replaced: its advisory lock went with the session.
    const info: LockInfo = { id: randomUUID(), who: holderName(), operation, created: new Date().toISOString(), pid: process.pid };
    const text = `WITH l AS (SELECT pg_try_advisory_lock($1, $2) AS got),
      lr AS (INSERT INTO ${this.s}.locks (fleet, id, who, operation, host, pid, created, backend_pid)
        SELECT $3, $4, $5, $6, $7, $8::int, $9::timestamptz, pg_backend_pid() FROM l WHERE l.got
        ON CONFLICT (fleet) DO UPDATE SET id = excluded.id, who = excluded.who, operation = excluded.operation, host = excluded.host, pid = excluded.pid, created = excluded.created, backend_pid = excluded.backend_pid
        RETURNING 1)
      SELECT l.got FROM l`;
    const values = [...this.keys, this.fleet, info.id, info.who, operation, hostname(), info.pid, info.created];
    await this.tables(true);
    let session = await this.connection();
    let got: pg.QueryResult<{ got: boolean }>;
    try {
      try {
        got = await this.query(text, values, { session });
      } catch (e) {
        // A connection that died while idle (the server restarted) is noticed here: lock on a new one.
        if (!isConnectionError(e)) throw e;
        session = await this.connection();
        got = await this.query(text, values, { session });
      }
    } catch (e) {
      // A session-level advisory lock outlives the failed statement that took it.
      await this.query('SELECT pg_advisory_unlock($1, $2)', this.keys, { session }).catch(() => undefined);
      throw e;
    }
    if (!got.rows[0].got) throw new StateLockedError(this.location, await this.lockInfo());
    this.held = info;
    this.lockSession = session;
    this.lost = undefined;
    this.known = undefined;
    return info;
  }

  async unlock(id: string): Promise<void> {
    if (this.lost?.id === id) return;
    if (this.held?.id === id) {
      const session = this.lockSession;
      this.held = undefined;
      this.lockSession = undefined;
      try {
        await this.query(`WITH d AS (DELETE FROM ${this.s}.locks WHERE fleet = $1 AND id = $2) SELECT pg_advisory_unlock($3, $4)`, [this.fleet, id, ...this.keys], { session });
      } catch (e) {
        // The session is gone, and the advisory lock with it: the lock is free already.
        if (!isConnectionError(e)) throw e;
      }
      return;
    }
    const holder = await this.holder();
    if (!holder) throw new NotLockedError(this.location);
    if (holder.info.id !== id) throw new LockIdMismatchError(this.location, id, holder.info);
    // Forced: the row is marked first, so the holder's next write finds the lock not its own and, its
    // session ended, can tell a forced unlock from a restart (which leaves the row as it was); then the
    // session the row named ends, which frees the advisory lock (waiting for that, so the lock is free
    // on return). Only that session, and only while it still holds this fleet's advisory lock: if the
    // row went meanwhile (its holder let go, another took the lock), nobody is ended.
    const d = await this.query<{ backend_pid: number }>(`UPDATE ${this.s}.locks SET id = $3 WHERE fleet = $1 AND id = $2 RETURNING backend_pid`, [this.fleet, id, forcedId(id)], { retry: true });
    const backendPid = d.rows[0]?.backend_pid;
    if (backendPid === undefined) return;
    const ended = await this.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend($1, 10000) AS ended WHERE EXISTS (${advisoryHeld('$1', '$2', '$3')})`,
      [backendPid, ...this.keys],
    ).catch(async (e: Error) => {
      // Not allowed to end it (the holder is a superuser, or another role): the lock stays as it was.
      await this.query(`UPDATE ${this.s}.locks SET id = $2 WHERE fleet = $1 AND id = $3`, [this.fleet, id, forcedId(id)], { retry: true }).catch(() => undefined);
      throw new HvkitError(`lock ${id} on ${this.location}: the holder's database session (backend pid ${backendPid}) could not be ended (${rootCause(e)}), so the lock was left as it was; stop that hvkit, or ask a database administrator to run SELECT pg_terminate_backend(${backendPid})`);
    });
    if (ended.rows.length && !ended.rows[0].ended) throw new HvkitError(`lock ${id} on ${this.location}: the holder's database session (backend pid ${backendPid}) did not end within 10s; run \`hvkit state unlock ${id} --force\` again`);
  }

  /** lockInfo() names a holder only while its session holds the advisory lock: a lock it names is held by an open session. */
  async holderLiveness(info: LockInfo): Promise<HolderLiveness> {
    return (await this.holder())?.info.id === info.id ? 'session-open' : 'dead';
  }

  async lockInfo(): Promise<LockInfo | undefined> {
    return (await this.holder())?.info;
  }

  /** The lock row, only while its session still holds the advisory lock: a lock whose session died is free. */
  private async holder(): Promise<{ info: LockInfo; backendPid: number } | undefined> {
    if (!(await this.tables(false))) return undefined;
    const r = await this.query<{ id: string; who: string; operation: string; created: Date; pid: number; backend_pid: number }>(
      `SELECT l.id, l.who, l.operation, l.created, l.pid, l.backend_pid FROM ${this.s}.locks l
       WHERE l.fleet = $1 AND EXISTS (${advisoryHeld('l.backend_pid', '$2', '$3')})`,
      [this.fleet, ...this.keys],
      { retry: true },
    );
    const l = r.rows[0];
    return l && { info: { id: l.id, who: l.who, operation: l.operation, created: l.created.toISOString(), pid: l.pid }, backendPid: l.backend_pid };
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    this.connecting = undefined;
    if (!client) return;
    // Held open until the server acknowledges the end: with an unref'd socket the process could exit
    // first, and the code after close() (printing, the exit code) would never run.
    socketOf(client)?.ref();
    await endClient(client);
  }

  /** The records of the head version (or of `serial`), or undefined when there is none. */
  private async readRecords(serial: number | undefined, session?: pg.Client): Promise<Known | undefined> {
    if (!session && !(await this.tables(false))) return undefined;
    const r = await this.query<ReadRow>(
      { text: readSql(this.s), rowMode: 'array' },
      [this.fleet, serial ?? null],
      { session, retry: !session },
    );
    if (r.rows.length === 0) return undefined;
    const records: Records = new Map();
    for (const row of r.rows) if (row[4] !== null && row[5] !== null) records.set(row[4], row[5]);
    const [v] = r.rows;
    const known = { lineage: v[1], serial: Number(v[0]), records, base: Number(v[2]), sinceBase: v[3] };
    if (serial === undefined && !this.held) this.known = known;
    return known;
  }

  private parse(at: Known): State {
    let data: Record<string, unknown>;
    try {
      data = fromRecords(at.lineage, at.serial, at.records);
    } catch (e) {
      if (!(e instanceof BadRecordError)) throw e;
      throw new HvkitError(`state ${this.location}: ${e.message} at serial ${at.serial}; ${FIX}`);
    }
    return checkState(this.location, data, FIX);
  }

  /**
   * Runs `fn` on behalf of a write. While this store holds the lock, a connection
   * that fails means its session, and the advisory lock with it, is gone: from then
   * on every write is refused, telling a forced unlock (the lock row is gone) from
   * the database going away (the row still ours or someone else's, or no answer).
   */
  private async guard<T>(held: LockInfo | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (!held || !isConnectionError(e)) throw e;
      let row: string | null | undefined;
      try {
        row = (await this.query<{ id: string }>(`SELECT id FROM ${this.s}.locks WHERE fleet = $1`, [this.fleet], { retry: true })).rows[0]?.id ?? null;
      } catch {
        row = undefined;
      }
      // A forced unlock marks the row before it ends the session; a restart leaves it, and another run
      // may have taken the lock (and let go, removing the row) since: only the mark says forced.
      if (row === forcedId(held.id)) throw await this.loseLock(held, new StateLockLostError(this.location));
      const since = row !== undefined && row !== held.id ? '; another run has taken the lock since' : '';
      throw await this.loseLock(held, new StateConnectionLostError(this.location, `${rootCause(e)}${since}`));
    }
  }

  /**
   * Records that `held` is lost, and ends the session that held it: advisory locks nest per
   * session, so one left open would still hold the lock (a forced unlock whose terminate failed,
   * a row removed by hand) and let this store's next lock() in while another holds the row.
   */
  private async loseLock(held: LockInfo, error: StateLockLostError): Promise<StateLockLostError> {
    const session = this.lockSession;
    if (this.held?.id === held.id) {
      this.held = undefined;
      this.lockSession = undefined;
    }
    this.lost = { id: held.id, error };
    this.known = undefined;
    if (session) {
      if (this.client === session) this.client = undefined;
      await endClient(session);
    }
    return error;
  }

  /**
   * A query on this store's one connection, opened (again) when there is none; or,
   * given `session`, on that connection only: failing when it is no longer open.
   * With `retry` (a read, or a change that may be made twice), a connection found
   * dead is replaced once: one that died idle is only noticed when used.
   */
  private async query<R extends pg.QueryResultRow>(text: string | pg.QueryArrayConfig, values?: unknown[], opts: { session?: pg.Client; retry?: boolean } = {}): Promise<pg.QueryResult<R>> {
    if (opts.session && opts.session !== this.client) throw this.sessionEnded(opts.session);
    const reused = this.client !== undefined;
    const client = opts.session ?? (await this.connection());
    this.busy++;
    socketOf(client)?.ref();
    try {
      // An array-mode query answers rows as arrays: R says which.
      return (await client.query(text as string, values)) as pg.QueryResult<R>;
    } catch (e) {
      if (!isConnectionError(e)) throw queryFailure(this.location, e);
      this.drop(client);
      if (opts.retry && reused && !this.closed) return this.query(text, values, { retry: false });
      throw queryFailure(this.location, e);
    } finally {
      if (--this.busy === 0) socketOf(client)?.unref();
    }
  }

  /** The error for a query on a session that ended: in the server's words when it gave a reason ("terminating connection due to administrator command"). */
  private sessionEnded(session: pg.Client): PgStateError {
    const reason = this.endedWhy.get(session);
    const failure = reason === undefined ? undefined : queryFailure(this.location, reason);
    if (failure instanceof PgStateError && failure.lostConnection) return failure;
    return new PgStateError(`lost the connection to PostgreSQL state ${this.location} (${reason === undefined ? 'the database session holding the state lock ended' : firstLine(reason)}); run the command again once the database answers`, undefined, true, reason);
  }

  /**
   * Whether the schema holds this hvkit's tables; with `create` (a write, lock or adopt) they are made
   * when missing. A read never creates: a mistyped schema name must not leave an empty schema behind.
   */
  private async tables(create: boolean): Promise<boolean> {
    if (this.ready) return true;
    const client = await this.connection();
    this.busy++;
    socketOf(client)?.ref();
    try {
      if (create) await ensureSchema(client, this.schema, this.location);
      else if (!(await schemaReady(client, this.schema, this.location))) return false;
      this.ready = true;
      return true;
    } catch (e) {
      if (e instanceof HvkitError) throw e;
      if (isConnectionError(e)) {
        this.drop(client);
        throw queryFailure(this.location, e);
      }
      const code = (e as { code?: string }).code;
      // Denied on the schema: it exists, and the user lacks rights on it. Denied otherwise, on a write: creating it.
      const onSchema = /permission denied for (schema|table|relation)/.test(firstLine(e));
      const need = code !== '42501' ? '' : create && !onSchema ? `; on first use the user needs CREATE on the database (to make schema ${this.schema}), then ${PERMISSIONS}` : `; ${PERMISSIONS}`;
      throw new PgStateError(`cannot ${create ? 'set up' : 'read'} PostgreSQL state ${this.location}: ${firstLine(e)}${need}`, code, false, e);
    } finally {
      if (--this.busy === 0) socketOf(client)?.unref();
    }
  }

  private async connection(): Promise<pg.Client> {
    if (this.closed) throw new Error(`PgStateStore for ${this.location} used after close()`);
    if (this.client) return this.client;
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client(this.target.config);
    // A dropped connection is noticed at the next query; without a listener the 'error' event would end the process.
    client.on('error', (e) => {
      // Kept: a write on this session later says why it ended, in the server's words.
      if (!this.endedWhy.has(client)) this.endedWhy.set(client, e);
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw connectFailure(this.location, e);
    }
    // An idle connection must not keep a finished process alive; query() holds it while one runs.
    socketOf(client)?.unref();
    this.client = client;
    return client;
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    void endClient(client);
  }
}

import { createHash } from 'node:crypto';
import pg from 'pg';
import { HvkitError } from '../../errors';

/** The table layout this hvkit writes; `meta.format` in the database says which one a schema holds. */
export const PG_FORMAT = 4;

/**
 * The migrations, in order: entry i brings a schema from format i to i + 1.
 * `s` is the escaped schema name. Never edit one once released: add the next.
 */
const MIGRATIONS: readonly ((s: string) => string)[] = [
  (s) => `
    CREATE TABLE ${s}.versions (
      fleet text COLLATE "C" NOT NULL,
      serial bigint NOT NULL,
      lineage text NOT NULL,
      created timestamptz NOT NULL DEFAULT now(),
      who text,
      operation text,
      host text,
      pid integer,
      hosts integer NOT NULL,
      guests integer NOT NULL,
      inflight integer NOT NULL,
      PRIMARY KEY (fleet, serial)
    );
    CREATE TABLE ${s}.records (
      fleet text COLLATE "C" NOT NULL,
      key text COLLATE "C" NOT NULL,
      serial bigint NOT NULL,
      value text,
      PRIMARY KEY (fleet, key, serial)
    );
    CREATE TABLE ${s}.locks (
      fleet text COLLATE "C" PRIMARY KEY,
      id text NOT NULL,
      who text NOT NULL,
      operation text NOT NULL,
      host text NOT NULL,
      pid integer NOT NULL,
      created timestamptz NOT NULL,
      backend_pid integer NOT NULL
    );
    COMMENT ON TABLE ${s}.versions IS 'hvkit state: one row per serial of each fleet, never updated';
    COMMENT ON TABLE ${s}.records IS 'hvkit state: each key of a fleet''s state as of the serial that changed it; value NULL = removed';
    COMMENT ON TABLE ${s}.locks IS 'hvkit state: who holds the advisory lock of a fleet';`,
  // Format 2: each version names the version stored whole that its records build on (itself, when
  // it is one), and how many records rows were stored after that one up to it: a read scans records
  // from its base up. Format 1 stored every version as changes from the fleet's first, which is
  // therefore the base of each; the next write stores its version whole.
  (s) => `
    ALTER TABLE ${s}.versions ADD COLUMN base bigint, ADD COLUMN since_base integer;
    UPDATE ${s}.versions v SET base = f.first, since_base = 2147483647
      FROM (SELECT fleet, min(serial) AS first FROM ${s}.versions GROUP BY fleet) f WHERE v.fleet = f.fleet;
    ALTER TABLE ${s}.versions ALTER COLUMN base SET NOT NULL, ALTER COLUMN since_base SET NOT NULL;`,
  // Format 3: a read takes the records of serials base..serial; the primary key leads with key, so
  // without this index it scanned the fleet's whole history.
  (s) => `CREATE INDEX records_by_serial ON ${s}.records (fleet, serial);`,
  // Format 4: measured load (lib/state/pg-sample-store.ts), one row per fleet, host and 5-minute slot.
  // Not history: a row is replaced within its slot and deleted once out of the window.
  (s) => `
    CREATE TABLE ${s}.samples (
      fleet text COLLATE "C" NOT NULL,
      slot timestamptz NOT NULL,
      host text COLLATE "C" NOT NULL,
      at timestamptz NOT NULL,
      value text NOT NULL,
      PRIMARY KEY (fleet, slot, host)
    );
    COMMENT ON TABLE ${s}.samples IS 'hvkit measured load: one sample per fleet, host and slot, kept for a rolling window';`,
];

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** A schema name as hvkit accepts it: lower-case letters, digits, underscores, as PostgreSQL folds unquoted names. */
export function checkSchemaName(schema: string): string {
  if (!IDENT.test(schema)) {
    throw new HvkitError(`PostgreSQL state schema '${schema}' is not a plain lower-case name: use letters a-z, digits and _ (at most 63, not starting with a digit)`);
  }
  return schema;
}

/** Two positive int4 advisory-lock keys for `text`: positive, so they compare as they are against pg_locks' oid columns. */
export function advisoryKeys(text: string): [number, number] {
  const h = createHash('sha256').update(text).digest();
  return [h.readUInt32BE(0) & 0x7fffffff, h.readUInt32BE(4) & 0x7fffffff];
}

/**
 * Makes sure `schema` holds this hvkit's tables: creates them on first use and
 * migrates an older format up, in one transaction under a transaction-level
 * advisory lock, so two first users at once never race; refuses a format newer
 * than this hvkit knows.
 */
export async function ensureSchema(client: pg.Client, schema: string, location: string): Promise<void> {
  const s = client.escapeIdentifier(schema);
  const quick = await storedFormat(client, s);
  if (quick === PG_FORMAT) return;
  if (quick !== undefined && quick > PG_FORMAT) throw newer(location, quick);
  const [k1, k2] = advisoryKeys(`hvkit-schema\0${schema}`);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [k1, k2]);
    // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema is there: a DBA may have made it for us.
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value text NOT NULL)`);
    const from = (await storedFormat(client, s)) ?? 0;
    if (from > PG_FORMAT) throw newer(location, from);
    for (let f = from; f < PG_FORMAT; f++) await client.query(MIGRATIONS[f](s));
    if (from < PG_FORMAT) {
      await client.query(`INSERT INTO ${s}.meta (key, value) VALUES ('format', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [String(PG_FORMAT)]);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/**
 * Whether `schema` holds this hvkit's tables, for a read: false (creating nothing) when the schema or
 * its tables are not there; an older format is migrated up, a newer one refused, as ensureSchema does.
 */
export async function schemaReady(client: pg.Client, schema: string, location: string): Promise<boolean> {
  const format = await storedFormat(client, client.escapeIdentifier(schema));
  if (format === undefined) return false;
  if (format > PG_FORMAT) throw newer(location, format);
  if (format < PG_FORMAT) await ensureSchema(client, schema, location);
  return true;
}

async function storedFormat(client: pg.Client, s: string): Promise<number | undefined> {
  try {
    const r = await client.query<{ value: string }>(`SELECT value FROM ${s}.meta WHERE key = 'format'`);
    return r.rows.length ? Number(r.rows[0].value) : undefined;
  } catch (e) {
    // 42P01: no such table; 3F000: no such schema. Anything else (no privilege, a dropped connection) is real.
    const code = (e as { code?: string }).code;
    if (code === '42P01' || code === '3F000') return undefined;
    throw e;
  }
}

function newer(location: string, format: number): HvkitError {
  return new HvkitError(`state ${location} was written by a newer hvkit (format ${format}); upgrade hvkit`);
}

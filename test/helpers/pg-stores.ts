import pg from 'pg';
import { afterAll, afterEach } from 'vitest';
import { PgStateStore, type PgStateStoreOptions } from '../../lib/state/pg-store';
import { freshSchema } from './postgres';

/**
 * PgStateStores on `conn` for one test file: each closed after its test, and
 * every schema they used dropped after the file. Call inside a describe block.
 */
export function pgStores(conn: string) {
  const open: PgStateStore[] = [];
  const schemas = new Set<string>();
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    if (schemas.size === 0) return;
    await sql(conn, async (c) => {
      for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${c.escapeIdentifier(s)} CASCADE`);
    });
  });
  return {
    /** A store on `schema` (a fresh one unless given) for `fleet`. */
    store(opts: Partial<Omit<PgStateStoreOptions, 'env'>> = {}): PgStateStore {
      const schema = opts.schema ?? freshSchema();
      schemas.add(schema);
      const s = new PgStateStore({ conn, env: {}, fleet: 'tokyo', ...opts, schema });
      open.push(s);
      return s;
    },
    /** Runs `fn` on a connection of its own, as another program (psql) would. */
    sql: <T>(fn: (c: pg.Client) => Promise<T>) => sql(conn, fn),
  };
}

export async function sql<T>(conn: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: conn });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Polls `check` every 20 ms until it holds, failing after `ms`. */
export async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

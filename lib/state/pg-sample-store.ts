import pg from 'pg';
import type { HostLoad } from '../load/rates';
import type { AppendResult, SampleStore } from '../load/sample-store';
import { aheadOfClock, DEFAULT_WINDOW, MAX_AHEAD_MS, oldestKeptSlot, slotOf, type LoadWindow } from '../load/window';
import { connectFailure, queryFailure, type PgTarget } from './private/pg-connection';
import { checkSchemaName, ensureSchema, schemaReady } from './private/pg-schema';
import { endClient } from './private/pg-session';
import type { PgStateStore } from './pg-store';

/**
 * Measured load beside a pg state: the `samples` table of the fleet's schema
 * (format 4, private/pg-schema.ts), one row per fleet, host and slot. Unlike
 * the state's tables it is not history: a row is replaced within its slot and
 * deleted once it leaves the window. Its own connection, opened on first use:
 * sampling never waits on the state's lock session.
 */
export class PgSampleStore implements SampleStore {
  readonly location: string;
  private readonly s: string;
  private client?: pg.Client;
  private ready = false;

  /** @param window @default DEFAULT_WINDOW (5-minute slots, 7 days) */
  constructor(
    private readonly target: PgTarget,
    readonly schema: string,
    readonly fleet: string,
    readonly window: LoadWindow = DEFAULT_WINDOW,
  ) {
    checkSchemaName(schema);
    this.location = `${target.display} (schema ${schema}, fleet ${fleet}, measured load)`;
    this.s = pg.Client.prototype.escapeIdentifier(schema);
  }

  /** The measured load of the fleet whose state `store` holds, in the same database and schema. */
  static beside(store: PgStateStore, window?: LoadWindow): PgSampleStore {
    return new PgSampleStore(store.target, store.schema, store.fleet, window);
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client(this.target.config);
    // A dropped connection is noticed at the next query; without a listener the 'error' event would end the process.
    client.on('error', () => undefined);
    client.on('end', () => this.client === client && (this.client = undefined));
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw connectFailure(this.location, e);
    }
    this.client = client;
    return client;
  }

  /** Runs `fn` on the connection, a failure as the one line the user sees. */
  private async run<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = await this.connection();
    try {
      return await fn(c);
    } catch (e) {
      throw queryFailure(this.location, e);
    }
  }

  async append(samples: readonly HostLoad[], now: string = new Date().toISOString()): Promise<AppendResult> {
    if (samples.length === 0) return { refused: [] };
    const { keep, refused } = aheadOfClock(samples, now);
    await this.run(async (c) => {
      if (!this.ready) await ensureSchema(c, this.schema, this.location);
      this.ready = true;
      await c.query('BEGIN');
      try {
        // Kept before hvkit refused them: a skewed clock's samples would stand for "latest" until then.
        await c.query(`DELETE FROM ${this.s}.samples WHERE fleet = $1 AND at > $2`, [this.fleet, new Date(Date.parse(now) + MAX_AHEAD_MS)]);
        for (const sample of keep) {
          await c.query(
            `INSERT INTO ${this.s}.samples (fleet, slot, host, at, value) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (fleet, slot, host) DO UPDATE SET at = excluded.at, value = excluded.value
             WHERE excluded.at >= ${this.s}.samples.at`,
            [this.fleet, new Date(slotOf(sample.at, this.window)), sample.host, new Date(sample.at), JSON.stringify(sample)],
          );
        }
        // The window ends at the newest sample appended (as mergeIntoWindow, one by one), not at the newest kept.
        if (keep.length) {
          const newest = Math.max(...keep.map((x) => Date.parse(x.at)));
          await c.query(`DELETE FROM ${this.s}.samples WHERE fleet = $1 AND slot < $2`, [this.fleet, new Date(oldestKeptSlot(newest, this.window))]);
        }
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
    return { refused };
  }

  async read(since?: string): Promise<HostLoad[]> {
    return this.run(async (c) => {
      if (!this.ready && !(await schemaReady(c, this.schema, this.location))) return [];
      this.ready = true;
      const from = since === undefined ? undefined : new Date(slotOf(since, this.window));
      const r = await c.query<{ value: string }>(
        `SELECT value FROM ${this.s}.samples WHERE fleet = $1 AND ($2::timestamptz IS NULL OR slot >= $2) ORDER BY slot, host`,
        [this.fleet, from ?? null],
      );
      return r.rows.map((row) => JSON.parse(row.value) as HostLoad);
    });
  }

  async prune(now: string): Promise<number> {
    return this.run(async (c) => {
      if (!this.ready && !(await schemaReady(c, this.schema, this.location))) return 0;
      this.ready = true;
      const r = await c.query(`DELETE FROM ${this.s}.samples WHERE fleet = $1 AND slot < $2`, [this.fleet, new Date(oldestKeptSlot(now, this.window))]);
      return r.rowCount ?? 0;
    });
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await endClient(c);
  }
}

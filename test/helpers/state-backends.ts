import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { PgStateStore } from '../../lib/state/pg-store';
import type { State, StateStore } from '../../lib/state/types';
import { FileStateStore } from '../../lib/state/file-store';
import { freshSchema } from './postgres';
import type { TempProject } from './project';

/**
 * Where a test project's state lives, as the CLI reaches it and as a test reads
 * it: one harness runs the same end-to-end guarantees against every backend.
 */
export interface StateBackend {
  readonly name: 'file' | 'pg';
  /** What the CLI needs in its environment to use this backend. */
  readonly env: NodeJS.ProcessEnv;
  /** The stored state, read through the backend's own store. */
  read(): Promise<State | undefined>;
  /** The guests state records, as `guest@host`, sorted. */
  guests(): Promise<string[]>;
  /**
   * After an apply was killed: frees its lock as an operator would (file: `hvkit
   * state unlock ID`, as the error says; pg: nothing, a dead session's advisory
   * lock is free at once) and checks it is free.
   */
  releaseDeadHolder(p: TempProject): Promise<void>;
  /** Drops what the backend made for the test (a pg schema). */
  dispose(): Promise<void>;
}

/** A new store on the backend, for a test to read or hold the lock with; the caller closes it. */
export type StoreOpener = () => StateStore;

async function withStore<T>(open: StoreOpener, fn: (s: StateStore) => Promise<T>): Promise<T> {
  const store = open();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const guestsOf = (s: State | undefined): string[] => Object.values(s?.guests ?? {}).map((g) => `${g.spec.name}@${g.spec.host}`).sort();

/** The default backend: `.hvkit/state/<fleet>.json` in the project. */
export function fileBackend(dir: string, fleet = 'tokyo'): StateBackend & { open: StoreOpener } {
  const file = join(dir, '.hvkit', 'state', `${fleet}.json`);
  const open: StoreOpener = () => new FileStateStore(file);
  return {
    name: 'file',
    env: {},
    open,
    read: () => withStore(open, (s) => s.read()),
    guests: async () => guestsOf(await withStore(open, (s) => s.read())),
    async releaseDeadHolder(p) {
      const info = `${file}.lockinfo`;
      expect(existsSync(info), 'a killed apply leaves its lock behind').toBe(true);
      const id = JSON.parse(readFileSync(info, 'utf8')).id;
      const u = await p.run(['state', 'unlock', id, '--fleet', fleet]);
      expect(u.code, u.err).toBe(0);
      expect(existsSync(info)).toBe(false);
    },
    dispose: async () => undefined,
  };
}

/**
 * The pg backend on the server at `conn`, in a schema of the test's own (dropped
 * by dispose), chosen the way CI chooses it: HVKIT_STATE_BACKEND, HVKIT_PG_CONN, HVKIT_PG_SCHEMA.
 */
export function pgBackend(conn: string, fleet = 'tokyo', schema = freshSchema('flow')): StateBackend & { open: StoreOpener; schema: string; conn: string } {
  const open: StoreOpener = () => new PgStateStore({ conn, env: process.env, schema, fleet });
  return {
    name: 'pg',
    schema,
    conn,
    env: { HVKIT_STATE_BACKEND: 'pg', HVKIT_PG_CONN: conn, HVKIT_PG_SCHEMA: schema },
    open,
    read: () => withStore(open, (s) => s.read()),
    guests: async () => guestsOf(await withStore(open, (s) => s.read())),
    async releaseDeadHolder() {
      // The server ends a session whose client died as soon as it sees the socket close: a bounded wait, not a sleep.
      await waitForAsync(async () => (await withStore(open, (s) => s.lockInfo())) === undefined, 15_000, 'the killed apply’s session, and its lock with it, to be gone');
    },
    dispose: () => dropSchema(conn, schema),
  };
}

async function waitForAsync(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Drops a schema a test made (never one it did not). */
export async function dropSchema(conn: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: conn });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${client.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

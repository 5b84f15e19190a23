/**
 * State store speed: read and write of a 10,000-guest state, file vs PostgreSQL,
 * in this process through the stores' own API (no CLI start-up in the figures).
 * The state is what an apply of bench/fleet.ts records: every guest's spec and
 * rendered config, every host's spec.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { renderConfig } from '../lib/hypervisor/render';
import { runApp } from '../lib/synth/run-app';
import { FileStateStore } from '../lib/state/file-store';
import { INTENT_VERSION } from '../lib/state/intent';
import { emptyState, type State, type StateStore } from '../lib/state/types';

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The state an apply of bench/fleet.ts with `guests` guests leaves. */
export async function benchState(projectDir: string, guests: number): Promise<State> {
  const [m] = await runApp({ projectDir, app: 'npx tsx bench/fleet.ts', mode: 'manifest', env: { ...process.env, BENCH_GUESTS: String(guests) } });
  const hosts = new Map(m.hosts.map((h) => [h.name, h]));
  const s = emptyState(m.fleet, randomUUID());
  for (const h of m.hosts) s.hosts[h.name] = { spec: h, installedMiB: h.memory.totalMiB };
  for (const g of m.guests) s.guests[g.name] = { spec: g, provider: 'local', config: renderConfig(hosts.get(g.host)!, g).text };
  return s;
}

export interface StoreTimes {
  /** The first write of the whole state into an empty store. */
  firstWrite: number;
  /** A write after one guest changed, as each step of an apply writes. */
  stepWrite: number;
  read: number;
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Median times (ms) over `runs` fresh stores made by `open`, each written `writes` times. */
export async function timeStore(open: () => Promise<StateStore>, state: State, runs: number, writes = 20): Promise<StoreTimes> {
  const first: number[] = [];
  const step: number[] = [];
  const read: number[] = [];
  for (let r = 0; r < runs; r++) {
    const store = await open();
    const lock = await store.lock('bench');
    try {
      const s = structuredClone(state);
      let t0 = process.hrtime.bigint();
      s.serial = await store.write(s);
      first.push(ms(t0));
      const names = Object.keys(s.guests);
      for (let i = 0; i < writes; i++) {
        const g = s.guests[names[(i * 7919) % names.length]];
        g.spec = { ...g.spec, memoryMiB: g.spec.memoryMiB + 1 };
        // As an apply's intent write: the step in flight, with the guest as it will be.
        s.inflight[`update:${g.spec.name}`] = { version: INTENT_VERSION, run: 'bench', started: new Date(0).toISOString(), step: { id: `update:${g.spec.name}`, kind: 'update', provider: 'local', host: g.spec.host, guest: g.spec.name, after: g.spec } };
        t0 = process.hrtime.bigint();
        s.serial = await store.write(s);
        step.push(ms(t0));
        delete s.inflight[`update:${g.spec.name}`];
      }
      for (let i = 0; i < 5; i++) {
        t0 = process.hrtime.bigint();
        await store.read();
        read.push(ms(t0));
      }
    } finally {
      await store.unlock(lock.id);
      await store.close();
    }
  }
  return { firstWrite: median(first), stepWrite: median(step), read: median(read) };
}

/** A file store in a new temporary folder; removed by the returned cleanup. */
export function fileStores(): { open: () => Promise<StateStore>; cleanup: () => void } {
  const dirs: string[] = [];
  return {
    open: async () => {
      const d = mkdtempSync(join(tmpdir(), 'hvkit-bench-state-'));
      dirs.push(d);
      return new FileStateStore(join(d, 'bench.json'));
    },
    cleanup: () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })),
  };
}

/** A pg store in a schema of its own on `conn`; the schemas are dropped by the returned cleanup. */
export function pgStores(conn: string): { open: () => Promise<StateStore>; schema: () => string; cleanup: () => Promise<void> } {
  const schemas: string[] = [];
  const schema = () => {
    const s = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    schemas.push(s);
    return s;
  };
  return {
    schema,
    open: async () => {
      const { PgStateStore } = await import('../lib/state/pg-store');
      return new PgStateStore({ conn, env: process.env, schema: schema(), fleet: 'bench' });
    },
    cleanup: async () => {
      const c = new pg.Client({ connectionString: conn });
      await c.connect();
      try {
        for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${c.escapeIdentifier(s)} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

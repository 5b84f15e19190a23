import { join, resolve } from 'node:path';
import { assertNever, HvkitError } from '../errors';
import type { Manifest } from '../manifest/types';
import type { SampleStore } from '../load/sample-store';
import { FileSampleStore } from '../state/file-sample-store';
import { FileStateStore } from '../state/file-store';
import { parseDuration } from '../state/lock-wait';
import type { LockInfo, StateStore } from '../state/types';
import { pickFleet, runApp } from '../synth/run-app';
import type { FleetOptions, Io } from './context';
import { backendWithoutCode, checkPgSettings, chooseBackend, howChosen, type BackendChoice } from './state-backend';

/** Runs the app for its manifests only (no Terraform JSON) and picks the fleet. */
export async function loadFleet(io: Io, opts: FleetOptions): Promise<Manifest> {
  const manifests = await runApp({ projectDir: io.cwd, app: opts.app, mode: 'manifest', env: io.env });
  return pickFleet(manifests, opts.fleet);
}

export function stateFile(io: Io, opts: Pick<FleetOptions, 'state'>, fleet: string): string {
  return opts.state ? resolve(io.cwd, opts.state) : join(io.cwd, '.hvkit', 'state', `${fleet}.json`);
}

/**
 * Which fleet's state a command opens: its name alone when the command did not
 * run the app (only --state-backend and HVKIT_STATE_BACKEND then choose the
 * backend), or its manifest, whose Fleet `state` prop chooses it too.
 */
export type StoreTarget = string | Pick<Manifest, 'fleet' | 'state'>;

/**
 * The fleet of a `state` subcommand: `--fleet` names it and `--state` names its
 * file, so neither runs the app (and the Fleet's `state` prop is not read:
 * the flag or HVKIT_STATE_BACKEND chooses); otherwise the app runs.
 */
export async function stateTarget(io: Io, opts: FleetOptions): Promise<StoreTarget> {
  return opts.fleet ?? (opts.state ? '' : await loadFleet(io, opts));
}

/** The schema of a pg store; undefined for any other. Duck-typed: the pg store is loaded only when pg is chosen. */
function pgSchemaOf(store: StateStore): string | undefined {
  return (store as Partial<Record<'schema', string>>).schema;
}

/** How a "no state" message says to look elsewhere: a file backend by --state, pg by its schema. */
export function elsewhere(store: StateStore): string {
  return pgSchemaOf(store) === undefined
    ? '(or pass the right --state / --fleet)'
    : "(or pass the right --fleet, or name the schema: HVKIT_PG_SCHEMA or the Fleet's state.schema)";
}

/**
 * What a "no state" message adds when the pg backend was chosen without running the app: the
 * Fleet's state prop may name a schema other than the one read, which only HVKIT_PG_SCHEMA can say here.
 */
export function schemaHint(store: StateStore, target: StoreTarget): string {
  const schema = pgSchemaOf(store);
  if (typeof target !== 'string' || schema === undefined) return '';
  return `; the app did not run, so if the Fleet's state prop names a schema other than ${schema}, set HVKIT_PG_SCHEMA to it`;
}

/** The backend a command's options, the environment and (when known) the fleet's code choose. */
export function backendOf(io: Io, opts: FleetOptions, target: StoreTarget): BackendChoice {
  const choice = typeof target === 'string' ? backendWithoutCode(opts.stateBackend, io.env) : chooseBackend(opts.stateBackend, io.env, target.state);
  if (choice.kind === 'pg' && opts.state !== undefined) {
    throw new HvkitError(`--state names a state file, but the state backend is pg (${howChosenText(choice)}): drop --state (the fleet's state is in PostgreSQL), or pass --state-backend file`);
  }
  checkPgSettings(io.env, choice);
  return choice;
}

function howChosenText(choice: BackendChoice): string {
  switch (choice.source) {
    case 'flag':
      return '--state-backend pg';
    case 'env':
      return 'HVKIT_STATE_BACKEND=pg';
    case 'fleet':
      return "the Fleet's state prop";
    case 'default':
    case 'move':
      return howChosen(choice.source);
    default:
      return assertNever(choice.source, 'state backend source');
  }
}

/** Stores a command opened, by the Io of its run: main closes them all when the command ends, however it ends. */
const opened = new WeakMap<Io, Pick<StateStore, 'close' | 'location'>[]>();

/**
 * The fleet's state store on the chosen backend (file by default). Every
 * store opened here is closed by `closeStores` when the command ends, so a
 * pg connection never outlives its command, whichever way it ends.
 */
export async function stateStore(io: Io, opts: FleetOptions, target: StoreTarget): Promise<StateStore> {
  const fleet = typeof target === 'string' ? target : target.fleet;
  return openStore(io, opts, fleet, backendOf(io, opts, target));
}

/** A store on a given backend: `hvkit state push` / `pull` open both sides. */
export async function openStore(io: Io, opts: FleetOptions, fleet: string, backend: BackendChoice): Promise<StateStore> {
  const timeoutMs = lockTimeoutOf(opts);
  const onLockWait = (h: LockInfo | undefined) => io.err(`Waiting up to ${opts.lockTimeout} for the state lock${h ? ` held by ${holderText(h)} for '${h.operation}' since ${h.created}` : ''}...\n`);
  let store: StateStore;
  switch (backend.kind) {
    case 'file': {
      const stale = Number(io.env.HVKIT_LOCK_STALE_MS);
      // push and pull use the file a push moved away; every other command is refused it.
      store = new FileStateStore(stateFile(io, opts, fleet), { ...(Number.isFinite(stale) && stale > 0 ? { staleMs: stale } : {}), lockTimeoutMs: timeoutMs, onLockWait, ignoreMoved: backend.source === 'move' });
      break;
    }
    case 'pg': {
      // Loaded only for pg: the file backend's commands start without node-postgres.
      const { PgStateStore } = await import('../state/pg-store');
      store = new PgStateStore({ conn: io.env.HVKIT_PG_CONN || undefined, env: io.env, schema: backend.schema, fleet, lockTimeoutMs: timeoutMs, onLockWait });
      break;
    }
    default:
      return assertNever(backend, 'state backend');
  }
  const list = opened.get(io) ?? [];
  list.push(store);
  opened.set(io, list);
  return store;
}

/**
 * The store of measured load beside `store` (lib/load/sample-store.ts): the
 * `.samples` file beside a state file, the `samples` table in a pg state's
 * schema. Closed with the state stores when the command ends.
 */
export async function sampleStoreBeside(io: Io, store: StateStore): Promise<SampleStore> {
  let samples: SampleStore;
  if (store instanceof FileStateStore) samples = FileSampleStore.beside(store.file);
  else {
    const [{ PgStateStore }, { PgSampleStore }] = await Promise.all([import('../state/pg-store'), import('../state/pg-sample-store')]);
    if (!(store instanceof PgStateStore)) throw new Error(`no measured-load store beside ${store.location}`);
    samples = PgSampleStore.beside(store);
  }
  const list = opened.get(io) ?? [];
  list.push(samples);
  opened.set(io, list);
  return samples;
}

/**
 * Closes every store `stateStore` opened for this run, newest first. Returns
 * what could not be closed, for a warning: the command's own outcome stands.
 */
export async function closeStores(io: Io): Promise<string[]> {
  const list = opened.get(io) ?? [];
  opened.delete(io);
  const problems: string[] = [];
  for (const s of list.reverse()) {
    try {
      await s.close();
    } catch (e) {
      problems.push(`could not close the state store ${s.location}: ${(e as Error).message}`);
    }
  }
  return problems;
}

/** A lock holder as messages name it: who, where, which process. */
export function holderText(h: LockInfo): string {
  const host = (h as LockInfo & { host?: string }).host;
  const on = host && !h.who.endsWith(`@${host}`) ? ` on ${host}` : '';
  return `${h.who}${on} (pid ${h.pid})`;
}

function lockTimeoutOf(opts: FleetOptions): number {
  if (opts.lockTimeout === undefined) return 0;
  const ms = parseDuration(opts.lockTimeout);
  if (ms === undefined) throw new HvkitError(`--lock-timeout must be a duration such as 500ms, 30s or 2m, got '${opts.lockTimeout}'`);
  return ms;
}

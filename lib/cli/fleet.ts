import { join, resolve } from 'node:path';
import { HvkitError } from '../errors';
import type { Manifest } from '../manifest/types';
import { FileStateStore } from '../state/file-store';
import { parseDuration } from '../state/lock-wait';
import { pickFleet, runApp } from '../synth/run-app';
import type { FleetOptions, Io } from './context';

/** Runs the app for its manifests only (no Terraform JSON) and picks the fleet. */
export async function loadFleet(io: Io, opts: FleetOptions): Promise<Manifest> {
  const manifests = await runApp({ projectDir: io.cwd, app: opts.app, mode: 'manifest', env: io.env });
  return pickFleet(manifests, opts.fleet);
}

export function stateFile(io: Io, opts: FleetOptions, fleet: string): string {
  return opts.state ? resolve(io.cwd, opts.state) : join(io.cwd, '.hvkit', 'state', `${fleet}.json`);
}

export function stateStore(io: Io, opts: FleetOptions, fleet: string): FileStateStore {
  const stale = Number(io.env.HVKIT_LOCK_STALE_MS);
  const timeoutMs = lockTimeoutOf(opts);
  return new FileStateStore(stateFile(io, opts, fleet), {
    ...(Number.isFinite(stale) && stale > 0 ? { staleMs: stale } : {}),
    lockTimeoutMs: timeoutMs,
    onLockWait: (h) => io.err(`Waiting up to ${opts.lockTimeout} for the state lock${h ? ` held by ${h.who} (pid ${h.pid}) for '${h.operation}' since ${h.created}` : ''}...\n`),
  });
}

function lockTimeoutOf(opts: FleetOptions): number {
  if (opts.lockTimeout === undefined) return 0;
  const ms = parseDuration(opts.lockTimeout);
  if (ms === undefined) throw new HvkitError(`--lock-timeout must be a duration such as 500ms, 30s or 2m, got '${opts.lockTimeout}'`);
  return ms;
}

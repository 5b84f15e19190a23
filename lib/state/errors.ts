import { HvkitError } from '../errors';
import type { LockInfo } from './types';

export class StateLockedError extends HvkitError {
  readonly holder: LockInfo | undefined;
  /** @param waitedMs how long the caller waited for the lock (-lock-timeout), if at all */
  constructor(location: string, holder: LockInfo | undefined, waitedMs?: number) {
    const waited = waitedMs ? ` (gave up after waiting ${formatMs(waitedMs)})` : '';
    super(
      holder
        ? `state ${location} is locked by ${holder.who} (pid ${holder.pid}) since ${holder.created} for '${holder.operation}' (lock ID ${holder.id})${waited}.\n` +
          `Wait for it to finish${waitedMs ? '' : ' (or pass --lock-timeout 2m to wait for it)'}; if that process is gone, run: hvkit state unlock ${holder.id}`
        : `state ${location} is locked by another hvkit process${waited}; wait for it to finish`,
    );
    this.name = 'StateLockedError';
    this.holder = holder;
  }
}

export class StateConflictError extends HvkitError {
  constructor(location: string, message: string) {
    super(`state ${location}: ${message}; run \`hvkit plan\` again`);
    this.name = 'StateConflictError';
  }
}

/**
 * The lock this store held was released by someone else (`hvkit state unlock
 * --force`) while it was held: every further write from this holder is refused,
 * so two writers never interleave their serials.
 */
export class StateLockLostError extends HvkitError {
  /** @param message @default the lock was released by `hvkit state unlock --force` */
  constructor(location: string, message?: string) {
    super(
      message ??
        `the state lock on ${location} was released by someone else (\`hvkit state unlock --force\`) while this apply held it: ` +
          'no further step was started; the steps that were running are recorded as in flight, and the next `hvkit plan` settles them with the provider',
    );
    this.name = 'StateLockLostError';
  }
}

/**
 * The database session that held the state lock ended (the server restarted or
 * went away) while it was held: the lock went with it, so every further write
 * from this holder is refused, as after a forced unlock. What was committed
 * before stays: the steps running are recorded as in flight.
 */
export class StateConnectionLostError extends StateLockLostError {
  /** @param why what happened to the connection, one line, no password */
  constructor(location: string, why: string) {
    super(
      location,
      `state ${location}: the connection to the database was lost while this run held the state lock (${why}): ` +
        'no further step was started; the step(s) running are recorded as in flight; run `hvkit plan` when the database is back',
    );
    this.name = 'StateConnectionLostError';
  }
}

/**
 * Checks that a write from a state read at `base.serial` may replace `current`
 * (compare-and-swap on lineage and serial) and returns the serial it gets.
 */
export function nextSerial(location: string, current: { lineage: string; serial: number } | undefined, base: { lineage: string; serial: number }): number {
  if (!current) {
    if (base.serial !== 0) throw new StateConflictError(location, `it was read at serial ${base.serial}, but no state is stored any more`);
  } else if (current.lineage !== base.lineage) {
    throw new StateConflictError(location, `lineage ${base.lineage} does not match the stored ${current.lineage}`);
  } else if (base.serial !== current.serial) {
    throw new StateConflictError(location, `it changed since it was read (serial ${base.serial} → ${current.serial})`);
  }
  return base.serial + 1;
}

/**
 * Checks that `state` may be stored as it is (`hvkit state push` / `pull`): into a store
 * holding nothing, or the same lineage at a lower serial, so a move never rolls a fleet back.
 */
export function checkAdoptable(location: string, current: { lineage: string; serial: number } | undefined, state: { lineage: string; serial: number }): void {
  if (!current) return;
  if (current.lineage !== state.lineage) {
    throw new HvkitError(`state ${location} holds lineage ${current.lineage}, not ${state.lineage}: it is another fleet's state, or one started afresh; nothing was written`);
  }
  if (current.serial >= state.serial) {
    throw new HvkitError(`state ${location} is already at serial ${current.serial}, not older than serial ${state.serial} being moved there: nothing was written`);
  }
}

function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `state unlock` with an ID that is not the current lock's: say which ID is, not "plan again". */
export class LockIdMismatchError extends HvkitError {
  constructor(location: string, given: string, holder: LockInfo) {
    super(`state ${location} is locked with ID ${holder.id} (by ${holder.who}, pid ${holder.pid}, for '${holder.operation}'), not ${given}: check the ID and run \`hvkit state unlock ${holder.id}\` if that holder is gone`);
    this.name = 'LockIdMismatchError';
  }
}

/** `state unlock` when no lock is held. */
export class NotLockedError extends HvkitError {
  constructor(location: string) {
    super(`state ${location} is not locked: nothing to unlock`);
    this.name = 'NotLockedError';
  }
}

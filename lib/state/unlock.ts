import { assertNever, HvkitError } from '../errors';
import { storeHolderLiveness } from './lock-wait';
import type { LockInfo, StateStore } from './types';

/**
 * `hvkit state unlock ID`: releases a lock left by a process that died.
 * Refuses, unless `force`, while the holder may still run — alive on this
 * machine, or on another machine where hvkit cannot tell — because the
 * holder would go on writing a state it no longer owns.
 */
export async function releaseLock(store: StateStore, id: string, opts: { force?: boolean } = {}): Promise<LockInfo | undefined> {
  const info = await store.lockInfo();
  if (info && info.id === id && !opts.force) {
    const since = `since ${info.created} for '${info.operation}'`;
    const liveness = await storeHolderLiveness(store, info);
    switch (liveness) {
      case 'session-open':
        throw new HvkitError(`lock ${id} on ${store.location} is held by ${info.who} (pid ${info.pid}) ${since}, and its database session is still open: let it finish (or stop it) instead. If you are sure it no longer writes the state, run: hvkit state unlock ${id} --force`);
      case 'alive':
        throw new HvkitError(`lock ${id} on ${store.location} is held by ${info.who} (pid ${info.pid}) ${since}, and that process is still running: let it finish (or stop it) instead. If you are sure it no longer writes the state, run: hvkit state unlock ${id} --force`);
      case 'unknown':
        throw new HvkitError(`lock ${id} on ${store.location} is held by ${info.who} (pid ${info.pid}) ${since}, on another machine: hvkit cannot tell whether it still runs. Check there; if it is gone, run: hvkit state unlock ${id} --force`);
      case 'dead':
        break;
      default:
        assertNever(liveness, 'holder liveness');
    }
  }
  await store.unlock(id);
  return info;
}

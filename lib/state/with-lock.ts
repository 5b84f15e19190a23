import { isHvkitError } from '../errors';
import type { LockInfo, StateStore } from './types';

/** What an operation run under the state lock returns besides its own result. */
export interface LockRelease {
  /**
   * Set when the lock could not be released: one line naming the lock and
   * how to release it. The operation's result stands; the CLI shows this as
   * a warning. @default undefined (released)
   */
  unlockWarning?: string;
}

/**
 * Runs `fn` holding the state lock for `operation` and releases it after.
 * A lock that cannot be released does not undo what `fn` did: on success it
 * comes back as `unlockWarning`; when `fn` failed with an HvkitError (of any copy of hvkit), its
 * message gets the warning as a line of its own; any other error is a bug,
 * whose message stays as it is and whose stack (what the CLI prints for a
 * bug) ends with the warning.
 */
export async function withStateLock<T>(store: StateStore, operation: string, fn: (lock: LockInfo) => Promise<T>): Promise<{ value: T } & LockRelease> {
  const lock = await store.lock(operation);
  let value: T;
  try {
    value = await fn(lock);
  } catch (e) {
    const warning = await release(store, lock);
    // By brand, not class: an error from another copy of hvkit (an app's bundle) is the user's to act on too.
    if (warning && isHvkitError(e)) (e as { message: string }).message += `\n${warning}`;
    // A bug keeps its own message, but the CLI prints its stack: the held lock must not go unsaid there either.
    else if (warning && e instanceof Error && typeof e.stack === 'string') e.stack += `\n${warning}`;
    throw e;
  }
  const warning = await release(store, lock);
  return warning ? { value, unlockWarning: warning } : { value };
}

async function release(store: StateStore, lock: LockInfo): Promise<string | undefined> {
  try {
    await store.unlock(lock.id);
    return undefined;
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    return `could not release the state lock ${lock.id} on ${store.location} (${why}); once no hvkit process uses this state, release it with: hvkit state unlock ${lock.id}`;
  }
}

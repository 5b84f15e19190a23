import { afterEach, describe, expect, it } from 'vitest';
import { HvkitError } from '../../lib/errors';
import { withStateLock } from '../../lib/state/with-lock';
import { unreleasableStore, type UnreleasableStore } from '../helpers/stores';

/** The brand every copy of hvkit puts on its errors. */
const BRAND: unique symbol = Symbol.for('hvkit.error');

/** An HvkitError of another copy of hvkit (an app's bundle has its own classes): same brand, another class. */
class OtherCopyHvkitError extends Error {
  readonly [BRAND] = true;
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'HvkitError';
  }
}

describe('withStateLock', () => {
  let store: UnreleasableStore | undefined;
  afterEach(async () => store?.releaseForReal());

  it('releases the lock after the operation', async () => {
    store = unreleasableStore();
    store.failing = false;
    const r = await withStateLock(store, 'refresh', async (lock) => lock.operation);
    expect(r).toEqual({ value: 'refresh' });
    expect(await store.lockInfo()).toBeUndefined();
  });

  it('keeps the result of an operation whose lock it cannot release, with a one-line warning naming the lock and how to release it', async () => {
    store = unreleasableStore();
    const r = await withStateLock(store, 'refresh', async () => 42);
    const held = (await store.lockInfo())!;
    expect(r).toEqual({
      value: 42,
      unlockWarning: `could not release the state lock ${held.id} on ${store.file} (EACCES: permission denied, rmdir '${store.file}.lock'); ` +
        `once no hvkit process uses this state, release it with: hvkit state unlock ${held.id}`,
    });
  });

  it('adds the warning to the error of an operation that failed, as a line of its own', async () => {
    store = unreleasableStore();
    const err = await withStateLock(store, 'apply', async () => {
      throw new HvkitError('the saved plan is stale');
    }).catch((e) => e);
    const held = (await store.lockInfo())!;
    expect(err).toBeInstanceOf(HvkitError);
    expect(err.message).toBe(`the saved plan is stale\ncould not release the state lock ${held.id} on ${store.file} (EACCES: permission denied, rmdir '${store.file}.lock'); once no hvkit process uses this state, release it with: hvkit state unlock ${held.id}`);
  });

  it('adds the warning to an hvkit error of another copy of hvkit too (recognised by its brand, not its class)', async () => {
    store = unreleasableStore();
    const foreign = new OtherCopyHvkitError('the app has 2 fleets: choose one with --fleet NAME');
    const err = await withStateLock(store, 'apply', async () => {
      throw foreign;
    }).catch((e) => e);
    const held = (await store.lockInfo())!;
    expect(err).toBe(foreign);
    expect(err.message.split('\n')).toEqual([
      'the app has 2 fleets: choose one with --fleet NAME',
      `could not release the state lock ${held.id} on ${store.file} (EACCES: permission denied, rmdir '${store.file}.lock'); once no hvkit process uses this state, release it with: hvkit state unlock ${held.id}`,
    ]);
  });

  it('leaves the message of an error that is a bug as it is', async () => {
    store = unreleasableStore();
    const bug = new TypeError('x is undefined');
    await expect(withStateLock(store, 'apply', async () => { throw bug; })).rejects.toBe(bug);
    expect(bug.message).toBe('x is undefined');
  });

  it('still reports the lock it could not release after a bug: the warning ends the stack the CLI prints, the message stays the bug’s', async () => {
    store = unreleasableStore();
    const bug = new TypeError('x is undefined');
    await expect(withStateLock(store, 'apply', async () => { throw bug; })).rejects.toBe(bug);
    const held = (await store.lockInfo())!;
    expect(bug.message).toBe('x is undefined');
    expect(bug.stack!.split('\n').at(-1)).toBe(`could not release the state lock ${held.id} on ${store.file} (EACCES: permission denied, rmdir '${store.file}.lock'); once no hvkit process uses this state, release it with: hvkit state unlock ${held.id}`);
  });
});

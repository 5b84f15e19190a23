import { describe, expect, it } from 'vitest';
import { HvkitError } from '../../lib/errors';
import { StateLockLostError, StateLockedError } from '../../lib/state/errors';
import { emptyState, type LockInfo, type State, type StateStore } from '../../lib/state/types';

const LINEAGE = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

function next(s: State): State {
  return { ...structuredClone(s), serial: s.serial + 1 };
}

export interface ConformanceOptions {
  /** Makes the store's state unreadable. */
  corrupt?: (store: StateStore) => Promise<void>;
  /** Does what `hvkit state unlock ID --force` from another process does to the lock `store` holds. */
  forceUnlock: (store: StateStore, held: LockInfo) => Promise<void>;
}

/**
 * What every state backend must do. A backend's test file calls this with a
 * factory for fresh, empty stores and a way to force-unlock one (and optionally to corrupt one).
 */
export function stateStoreConformance(name: string, fresh: () => Promise<StateStore>, opts: ConformanceOptions): void {
  describe(`StateStore conformance: ${name}`, () => {
    it('reads nothing from an empty store', async () => {
      expect(await (await fresh()).read()).toBeUndefined();
    });

    it('reads back what it wrote', async () => {
      const store = await fresh();
      const s = { ...emptyState('tokyo', LINEAGE), serial: 1 };
      await store.write(s);
      expect(await store.read()).toEqual(s);
    });

    it('accepts only the next serial of the same lineage', async () => {
      const store = await fresh();
      const s1 = { ...emptyState('tokyo', LINEAGE), serial: 1 };
      await store.write(s1);
      await expect(store.write(s1)).rejects.toThrow(/serial 1 does not follow the stored 1/);
      await expect(store.write({ ...next(s1), lineage: 'ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee' })).rejects.toThrow(/lineage/);
      await store.write(next(s1));
      expect((await store.read())?.serial).toBe(2);
    });

    it('takes a snapshot at write(): changing the object afterwards changes nothing stored', async () => {
      const store = await fresh();
      const s = { ...emptyState('tokyo', LINEAGE), serial: 1 };
      const pending = store.write(s);
      s.fleet = 'changed';
      await pending;
      expect((await store.read())?.fleet).toBe('tokyo');
    });

    it('refuses a first write that does not start at serial 1', async () => {
      await expect((await fresh()).write({ ...emptyState('tokyo', LINEAGE), serial: 5 })).rejects.toThrow(/first write must have serial 1/);
    });

    it('gives one lock at a time and names the holder to the second', async () => {
      const store = await fresh();
      const held = await store.lock('apply');
      expect(held).toMatchObject({ operation: 'apply', pid: process.pid });
      const err = await store.lock('apply').catch((e) => e);
      expect(err).toBeInstanceOf(StateLockedError);
      expect(err.message).toContain(`lock ID ${held.id}`);
      expect(err.message).toContain(`hvkit state unlock ${held.id}`);
      expect(err.message).toMatch(/since \d{4}-\d\d-\d\dT/);
      expect(await store.lockInfo()).toEqual(held);
      await store.unlock(held.id);
      expect(await store.lockInfo()).toBeUndefined();
      const again = await store.lock('apply');
      await store.unlock(again.id);
    });

    it('waits for the holder to let go when given a lock timeout (-lock-timeout)', async () => {
      const store = await fresh();
      const held = await store.lock('apply');
      const waitedOn: unknown[] = [];
      // The holder lets go as soon as the waiter starts waiting: no sleep, no race.
      const got = await store.lock('refresh', { timeoutMs: 60_000, onWait: (h) => { waitedOn.push(h?.id); void store.unlock(held.id); } });
      expect(waitedOn).toEqual([held.id]);
      expect(got.operation).toBe('refresh');
      expect(await store.lockInfo()).toEqual(got);
      await store.unlock(got.id);
    });

    it('gives up when the lock timeout passes and names the holder', async () => {
      const store = await fresh();
      const held = await store.lock('apply');
      let waits = 0;
      const err = await store.lock('apply', { timeoutMs: 150, onWait: () => waits++ }).catch((e) => e);
      expect(err).toBeInstanceOf(StateLockedError);
      expect(err.message).toContain(`for 'apply' (lock ID ${held.id}) (gave up after waiting 150ms)`);
      expect(waits).toBe(1);
      expect(await store.lockInfo()).toEqual(held);
      await store.unlock(held.id);
    });

    it('refuses to unlock with the wrong lock ID, naming the ID that holds it', async () => {
      const store = await fresh();
      const held = await store.lock('apply');
      await expect(store.unlock('not-the-id')).rejects.toThrow(`is locked with ID ${held.id} (by ${held.who}, pid ${held.pid}, for 'apply'), not not-the-id: check the ID and run \`hvkit state unlock ${held.id}\` if that holder is gone`);
      await store.unlock(held.id);
      await expect(store.unlock(held.id)).rejects.toThrow('is not locked: nothing to unlock');
    });

    it('refuses every write from a holder whose lock was force-unlocked, and writes nothing', async () => {
      const store = await fresh();
      const held = await store.lock('apply');
      const s1 = { ...emptyState('tokyo', LINEAGE), serial: 1 };
      await store.write(s1);
      await opts.forceUnlock(store, held);
      const s2 = next(s1);
      s2.fleet = 'written-without-the-lock';
      await expect(store.write(s2)).rejects.toBeInstanceOf(StateLockLostError);
      await expect(store.write(s2)).rejects.toThrow(`the state lock on ${store.location} was released by someone else (\`hvkit state unlock --force\`) while this apply held it`);
      expect(await store.read()).toEqual(s1);
      // The holder's own release afterwards is harmless: the lock may be someone else's by now.
      await store.unlock(held.id);
      // A lock taken afresh writes again.
      const again = await store.lock('apply');
      await store.write(s2);
      expect((await store.read())?.serial).toBe(2);
      await store.unlock(again.id);
    });

    if (opts.corrupt) {
      it('refuses a corrupted state and never overwrites it', async () => {
        const store = await fresh();
        await store.write({ ...emptyState('tokyo', LINEAGE), serial: 1 });
        await opts.corrupt!(store);
        await expect(store.read()).rejects.toBeInstanceOf(HvkitError);
        await expect(store.write({ ...emptyState('tokyo', LINEAGE), serial: 2 })).rejects.toBeInstanceOf(HvkitError);
      });
    }
  });
}

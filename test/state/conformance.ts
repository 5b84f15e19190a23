import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HvkitError } from '../../lib/errors';
import { StateConflictError, StateLockLostError, StateLockedError } from '../../lib/state/errors';
import { emptyState, type LockInfo, type State, type StateStore } from '../../lib/state/types';

const LINEAGE = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

/** A state file as hvkit wrote it before intents had a version: apply killed right after recording create:web-01's intent. */
function legacyState(): { inflight: Record<string, { run: string; started: string; step: Record<string, any> }> } {
  return JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'legacy-intent-state.json'), 'utf8'));
}

/** What the legacy record of create:web-01 reads as: what recovery needs of the step, nothing rendered for display. */
const LEGACY_AS_RECORD = (() => {
  const old = legacyState().inflight['create:web-01'];
  return {
    version: 1, run: old.run, started: old.started,
    step: { id: 'create:web-01', kind: 'create', provider: 'local', host: 'host-a', guest: 'web-01', hostSpec: old.step.hostSpec, after: old.step.after, configText: old.step.config.text },
  };
})();

/** What a caller does after a write: goes on from the serial the store gave. */
async function written(store: StateStore, s: State): Promise<State> {
  return { ...structuredClone(s), serial: await store.write(s) };
}

export interface ConformanceOptions {
  /** Makes the store's state unreadable. */
  corrupt?: (store: StateStore) => Promise<void>;
  /** Does what `hvkit state unlock ID --force` from another process does to the lock `store` holds. */
  forceUnlock: (store: StateStore, held: LockInfo) => Promise<void>;
  /** Makes the store hold `stored` as it is (a state as another hvkit version wrote it), bypassing `write`. */
  seed: (store: StateStore, stored: object) => Promise<void>;
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

    it('reads back what it wrote, under the serial it gave', async () => {
      const store = await fresh();
      const s = emptyState('tokyo', LINEAGE);
      expect(await store.write(s)).toBe(1);
      expect(await store.read()).toEqual({ ...s, serial: 1 });
    });

    it('numbers every version itself: the next serial of the one the writer read, without changing the object given', async () => {
      const store = await fresh();
      const s = emptyState('tokyo', LINEAGE);
      expect(await store.write(s)).toBe(1);
      expect(s.serial).toBe(0);
      const s1 = { ...s, serial: 1, fleet: 'tokyo' };
      expect(await store.write(s1)).toBe(2);
      expect(await store.write({ ...s1, serial: 2 })).toBe(3);
      expect((await store.read())?.serial).toBe(3);
    });

    it('refuses a write from a state read before another writer wrote (compare-and-swap), and keeps that writer\'s version', async () => {
      const store = await fresh();
      const base = await written(store, emptyState('tokyo', LINEAGE));
      const first = { ...structuredClone(base), fleet: 'first' };
      const second = { ...structuredClone(base), fleet: 'second' };
      expect(await store.write(first)).toBe(2);
      const err = await store.write(second).catch((e) => e);
      expect(err).toBeInstanceOf(StateConflictError);
      expect(err.message).toBe(`state ${store.location}: it changed since it was read (serial 1 → 2); run \`hvkit plan\` again`);
      expect(await store.read()).toEqual({ ...first, serial: 2 });
    });

    it('refuses a write from a state of another lineage, and writes nothing', async () => {
      const store = await fresh();
      const s1 = await written(store, emptyState('tokyo', LINEAGE));
      await expect(store.write({ ...s1, lineage: 'ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee', fleet: 'other' })).rejects.toThrow(
        `state ${store.location}: lineage ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee does not match the stored ${LINEAGE}; run \`hvkit plan\` again`,
      );
      expect(await store.read()).toEqual(s1);
    });

    it('refuses a write that claims to continue a version it does not hold', async () => {
      const store = await fresh();
      await expect(store.write({ ...emptyState('tokyo', LINEAGE), serial: 5 })).rejects.toThrow(`state ${store.location}: it was read at serial 5, but no state is stored any more`);
      expect(await store.read()).toBeUndefined();
      const s1 = await written(store, emptyState('tokyo', LINEAGE));
      await expect(store.write({ ...s1, serial: 7 })).rejects.toThrow('it changed since it was read (serial 7 → 1)');
      expect(await store.read()).toEqual(s1);
    });

    it('keeps an in-flight record of an intent version it cannot read as it is, for recovery to report', async () => {
      const store = await fresh();
      const later = { version: 2, run: 'r1', started: '2030-01-01T00:00:00.000Z', step: { id: 'teleport:web-01', kind: 'teleport', guest: 'web-01', host: 'host-a', beam: { power: 3 } } };
      await opts.seed(store, { ...emptyState('tokyo', LINEAGE), serial: 1, inflight: { 'teleport:web-01': later } });
      expect((await store.read())?.inflight).toEqual({ 'teleport:web-01': later });
    });

    it('takes a snapshot at write(): changing the object afterwards changes nothing stored', async () => {
      const store = await fresh();
      const s = emptyState('tokyo', LINEAGE);
      const pending = store.write(s);
      s.fleet = 'changed';
      s.serial = 41;
      await pending;
      expect(await store.read()).toMatchObject({ fleet: 'tokyo', serial: 1 });
    });

    it('reads in-flight records written before intents had a version as current intent records', async () => {
      const store = await fresh();
      await opts.seed(store, legacyState());
      const s = await store.read();
      expect(s?.inflight).toEqual({ 'create:web-01': LEGACY_AS_RECORD });
      // And writes them back in the current shape.
      await store.write(s!);
      expect((await store.read())?.inflight).toEqual({ 'create:web-01': LEGACY_AS_RECORD });
    });

    it('lists the current version last in its history, with what it holds, and shows it by serial', async () => {
      const store = await fresh();
      expect(await store.history()).toEqual([]);
      const s1 = await written(store, emptyState('tokyo', LINEAGE));
      const s2 = { ...structuredClone(s1), inflight: { 'create:web-01': structuredClone(LEGACY_AS_RECORD) } } as State;
      const serial = await store.write(s2);
      const last = (await store.history()).at(-1)!;
      expect(last).toMatchObject({ serial: 2, lineage: LINEAGE, hosts: 0, guests: 0, inflight: 1 });
      expect(await store.readSerial(serial)).toEqual({ ...s2, serial: 2 });
      expect(await store.readSerial(9)).toBeUndefined();
    });

    it('adopts a state moved from another backend with its lineage and serial, and goes on from that serial', async () => {
      const store = await fresh();
      const moved = { ...emptyState('tokyo', LINEAGE), serial: 41 };
      await store.adopt(moved);
      expect(await store.read()).toEqual(moved);
      expect(await store.write(moved)).toBe(42);
    });

    it('refuses to adopt another lineage, or a serial not newer than its own, and writes nothing', async () => {
      const store = await fresh();
      const s1 = await written(store, emptyState('tokyo', LINEAGE));
      await expect(store.adopt({ ...emptyState('osaka', 'ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee'), serial: 7 })).rejects.toThrow(
        `state ${store.location} holds lineage ${LINEAGE}, not ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee: it is another fleet's state, or one started afresh; nothing was written`,
      );
      await expect(store.adopt({ ...s1, fleet: 'older' })).rejects.toThrow(`state ${store.location} is already at serial 1, not older than serial 1 being moved there: nothing was written`);
      expect(await store.read()).toEqual(s1);
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
      const s1 = await written(store, emptyState('tokyo', LINEAGE));
      await opts.forceUnlock(store, held);
      const s2 = { ...structuredClone(s1), fleet: 'written-without-the-lock' };
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
        await store.write(emptyState('tokyo', LINEAGE));
        await opts.corrupt!(store);
        await expect(store.read()).rejects.toBeInstanceOf(HvkitError);
        await expect(store.write({ ...emptyState('tokyo', LINEAGE), serial: 1 })).rejects.toBeInstanceOf(HvkitError);
      });
    }
  });
}

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStateStore } from '../../lib/state/file-store';
import { StateMovedError, readMovedMarker, writeMovedMarker } from '../../lib/state/moved-marker';
import { emptyState } from '../../lib/state/types';
import { stateStoreConformance } from './conformance';

// A held lock must never look stale because a loaded machine paused this process for a few seconds.
const STALE_MS = 60_000;
const fresh = async () => new FileStateStore(join(mkdtempSync(join(tmpdir(), 'hvkit-state-')), 'state', 'tokyo.json'), { staleMs: STALE_MS });

stateStoreConformance('local file', fresh, {
  corrupt: async (store) => writeFileSync((store as FileStateStore).file, '{"version": 1, "lineage": "x", "ser'),
  // What `hvkit state unlock --force` does: another store on the same file releases the lock by its ID.
  forceUnlock: async (store, held) => new FileStateStore((store as FileStateStore).file, { staleMs: STALE_MS }).unlock(held.id),
  seed: async (store, stored) => {
    mkdirSync(dirname((store as FileStateStore).file), { recursive: true });
    writeFileSync((store as FileStateStore).file, JSON.stringify(stored) + '\n');
  },
});

describe('local file backend', () => {
  const L = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

  describe('a state moved by hvkit state push', () => {
    const moved = async () => {
      const store = await fresh();
      await store.write({ ...emptyState('tokyo', L), serial: 0 });
      await writeMovedMarker(store.file, { fleet: 'tokyo', to: 'postgres://ci@db/state (schema hvkit, fleet tokyo)', serial: 1, lineage: L, at: '2030-01-01T00:00:00.000Z' });
      return store;
    };
    const LINE = 'the state of fleet tokyo moved to postgres://ci@db/state (schema hvkit, fleet tokyo) at serial 1 (hvkit state push, 2030-01-01T00:00:00.000Z): pass --state-backend pg or set HVKIT_STATE_BACKEND=pg; `hvkit state pull` brings it back';

    it('refuses to read, write or lock the file left behind, in one line naming where it went', async () => {
      const store = await moved();
      const bytes = readFileSync(store.file, 'utf8');
      await expect(store.read()).rejects.toThrow(new StateMovedError(readMovedMarker(store.file)!));
      await expect(store.read()).rejects.toThrow(LINE);
      await expect(store.readSerial(1)).rejects.toThrow(LINE);
      await expect(store.history()).rejects.toThrow(LINE);
      await expect(store.write({ ...emptyState('tokyo', L), serial: 1 })).rejects.toThrow(LINE);
      await expect(store.lock('apply')).rejects.toThrow(LINE);
      expect(readFileSync(store.file, 'utf8')).toBe(bytes);
    });

    it('lets push and pull use it, and pull store the very version pushed when nothing was written since', async () => {
      const store = await moved();
      const mover = new FileStateStore(store.file, { staleMs: STALE_MS, ignoreMoved: true });
      const pushed = await mover.read();
      expect(pushed?.serial).toBe(1);
      await mover.adopt(pushed!);
      await expect(mover.adopt({ ...pushed!, serial: 0 })).rejects.toThrow('is already at serial 1');
    });
  });

  it('keeps one backup of the previous version', async () => {
    const store = await fresh();
    await store.write({ ...emptyState('tokyo', L), serial: 0 });
    await store.write({ ...emptyState('tokyo', L), serial: 1 });
    await store.write({ ...emptyState('tokyo', L), serial: 2 });
    expect(JSON.parse(readFileSync(store.backupFile, 'utf8')).serial).toBe(2);
  });

  it('leaves a corrupted state file byte for byte as it was, and says what to do', async () => {
    const store = await fresh();
    await store.write(emptyState('tokyo', L));
    const torn = '{"version":1,"lineage":"' + L + '","serial":1,"fleet":"tokyo","hosts":{},"guests":{},"inflight":{},"extra":true}';
    writeFileSync(store.file, torn);
    await expect(store.read()).rejects.toThrow(`state ${store.file}: at /: has unknown field 'extra'; this state file was edited by hand or cut short: it was left untouched; restore ${store.file}.backup or fix it by hand before running hvkit again`);
    await expect(store.write({ ...emptyState('tokyo', L), serial: 1 })).rejects.toThrow();
    expect(readFileSync(store.file, 'utf8')).toBe(torn);
  });

  it('refuses a second lock through another store on the same file', async () => {
    const a = await fresh();
    const held = await a.lock('apply');
    const b = new FileStateStore(a.file, { staleMs: STALE_MS });
    await expect(b.lock('apply')).rejects.toThrow(`for 'apply' (lock ID ${held.id})`);
    await a.unlock(held.id);
    expect(existsSync(`${a.file}.lock`)).toBe(false);
  });

  it('stops a force-unlocked holder at its next write even after a new holder took the lock, and leaves that lock alone', async () => {
    const a = await fresh();
    const lost = await a.lock('apply');
    await a.write(emptyState('tokyo', L));
    const b = new FileStateStore(a.file, { staleMs: STALE_MS });
    await b.unlock(lost.id);
    const taken = await b.lock('apply');
    // Before proper-lockfile's next refresh could notice: the write itself checks the lock.
    await expect(a.write({ ...emptyState('tokyo', L), serial: 1 })).rejects.toThrow(/was released by someone else/);
    await a.unlock(lost.id);
    expect(await b.lockInfo()).toEqual(taken);
    await b.write({ ...emptyState('tokyo', L), serial: 1 });
    await b.unlock(taken.id);
  });

  it('lets an operator force-unlock a lock held by another store by its ID', async () => {
    const a = await fresh();
    const held = await a.lock('apply');
    const b = new FileStateStore(a.file, { staleMs: STALE_MS });
    await b.unlock(held.id);
    const again = await b.lock('apply');
    await b.unlock(again.id);
  });
});

import { describe, expect, it } from 'vitest';
import { moveState } from '../../lib/state/move-state';
import { MemoryStateStore } from '../../lib/state/memory-store';
import { MemorySampleStore } from '../../lib/state/memory-sample-store';
import { CLOCK, sample } from './sample-conformance';
import { emptyState, type State } from '../../lib/state/types';

const LINEAGE = { a: '11111111-1111-4111-8111-111111111111', b: '22222222-2222-4222-8222-222222222222' };

function stateAt(serial: number, lineage = LINEAGE.a, fleet = 'tokyo'): State {
  return { ...emptyState(fleet, lineage), serial };
}

describe('moveState (state push / pull)', () => {
  it('stores the source version in an empty destination with its lineage and serial, leaving the source as it was', async () => {
    const from = new MemoryStateStore(stateAt(12));
    const to = new MemoryStateStore();
    const r = await moveState(from, to, 'state push', 'tokyo');
    expect(r.state).toMatchObject({ lineage: LINEAGE.a, serial: 12 });
    expect(await to.read()).toEqual(await from.read());
    expect(await from.read()).toEqual(stateAt(12));
    expect(r.unlockWarning).toBeUndefined();
  });

  it('lets go of both locks, whether it moved or was refused', async () => {
    const from = new MemoryStateStore(stateAt(3));
    const to = new MemoryStateStore(stateAt(5));
    await expect(moveState(from, to, 'state push')).rejects.toThrow();
    expect(await from.lockInfo()).toBeUndefined();
    expect(await to.lockInfo()).toBeUndefined();
  });

  it('moves onto an older serial of the same lineage', async () => {
    const to = new MemoryStateStore(stateAt(4));
    await moveState(new MemoryStateStore(stateAt(9)), to, 'state push');
    expect((await to.read())?.serial).toBe(9);
  });

  it('refuses, writing nothing, a destination of another lineage', async () => {
    const to = new MemoryStateStore(stateAt(1, LINEAGE.b));
    await expect(moveState(new MemoryStateStore(stateAt(9)), to, 'state push')).rejects.toThrow(new RegExp(`holds lineage ${LINEAGE.b}, not ${LINEAGE.a}: .*nothing was written`));
    expect(await to.read()).toEqual(stateAt(1, LINEAGE.b));
    expect(to.written).toEqual([]);
  });

  it('refuses, writing nothing, a destination at the same or a newer serial', async () => {
    for (const serial of [9, 10]) {
      const to = new MemoryStateStore(stateAt(serial));
      await expect(moveState(new MemoryStateStore(stateAt(9)), to, 'state pull')).rejects.toThrow(new RegExp(`already at serial ${serial}, not older than serial 9 .*nothing was written`));
      expect(to.written).toEqual([]);
    }
  });

  it('refuses a destination another process holds locked, naming it, and writes nothing', async () => {
    const to = new MemoryStateStore();
    await to.lock('apply');
    await expect(moveState(new MemoryStateStore(stateAt(2)), to, 'state push')).rejects.toThrow(/locked by .* for 'apply'/);
    expect(await to.read()).toBeUndefined();
  });

  it("refuses an empty source, and another fleet's state", async () => {
    await expect(moveState(new MemoryStateStore(), new MemoryStateStore(), 'state push')).rejects.toThrow(/there is no state at memory to move: nothing was written/);
    const to = new MemoryStateStore();
    await expect(moveState(new MemoryStateStore(stateAt(2, LINEAGE.a, 'osaka')), to, 'state push', 'tokyo')).rejects.toThrow(/is fleet 'osaka''s, not 'tokyo''s/);
    expect(await to.read()).toBeUndefined();
  });
});

describe('moveState with the measured load beside the state', () => {
  it('moves every kept sample into the destination with the state, answering how many', async () => {
    const from = { state: new MemoryStateStore(stateAt(7)), samples: new MemorySampleStore() };
    const to = { state: new MemoryStateStore(), samples: new MemorySampleStore() };
    await from.samples.append([sample('host-a', 0, 1), sample('host-b', 0, 2), sample('host-a', 5 * 60_000, 3)], CLOCK);
    const r = await moveState(from.state, to.state, 'state push', 'tokyo', { from: from.samples, to: to.samples });
    expect(r.samplesMoved).toBe(3);
    expect(await to.samples.read()).toEqual(await from.samples.read());
    expect(await from.samples.read()).toHaveLength(3);
  });

  it('moves no samples when the state move is refused', async () => {
    const samples = { from: new MemorySampleStore(), to: new MemorySampleStore() };
    await samples.from.append([sample('host-a', 0, 1)], CLOCK);
    await expect(moveState(new MemoryStateStore(stateAt(3)), new MemoryStateStore(stateAt(5)), 'state pull', 'tokyo', samples)).rejects.toThrow(/not older/);
    expect(await samples.to.read()).toEqual([]);
  });
});

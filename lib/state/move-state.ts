import { HvkitError } from '../errors';
import type { SampleStore } from '../load/sample-store';
import { printable } from '../manifest/names';
import type { State, StateStore } from './types';
import { withStateLock, type LockRelease } from './with-lock';

/**
 * Moves a fleet's state between backends (`hvkit state push` / `pull`): the
 * version `from` holds is stored in `to` as it is, lineage and serial kept.
 * Both locks are held throughout, so no apply writes either side meanwhile;
 * they are taken in one order (by location) whichever way the state moves,
 * so a push and a pull at the same time never each wait for the other. `to.adopt` refuses — writing nothing —
 * when `to` holds another lineage or a serial not older than the one moved,
 * as `terraform state push` refuses; the source is never changed.
 * With `samples`, the measured load kept beside the state (lib/load/sample-store.ts)
 * goes with it, under the same locks, after the state is adopted: a refused move
 * moves no samples either. They join what the destination keeps (slot by slot),
 * and the source keeps its own.
 * @param fleet when given, the state must be this fleet's
 * @param samples the measured-load stores beside `from` and `to` @default none moved
 * @returns the state moved, and how many samples went with it (when `samples` was given)
 */
export async function moveState(
  from: StateStore,
  to: StateStore,
  operation: string,
  fleet?: string,
  samples?: { from: SampleStore; to: SampleStore },
): Promise<{ state: State; samplesMoved?: number } & LockRelease> {
  const [first, second] = from.location <= to.location ? [from, to] : [to, from];
  const outer = await withStateLock(first, operation, async () => {
    const inner = await withStateLock(second, operation, async () => {
      const state = await from.read();
      if (!state) throw new HvkitError(`there is no state at ${from.location} to move: nothing was written`);
      if (fleet && state.fleet !== fleet) {
        throw new HvkitError(`the state at ${from.location} is fleet '${printable(state.fleet)}''s, not '${printable(fleet)}''s: pass --fleet ${printable(state.fleet)} (or the right --state); nothing was written`);
      }
      await to.adopt(state);
      if (!samples) return { state };
      const kept = await samples.from.read();
      await samples.to.append(kept);
      return { state, samplesMoved: kept.length };
    });
    return inner;
  });
  const warnings = [outer.value.unlockWarning, outer.unlockWarning].filter((w): w is string => w !== undefined);
  return { ...outer.value.value, ...(warnings.length ? { unlockWarning: warnings.join('\n') } : {}) };
}

import type { Command } from 'commander';
import { HvkitError } from '../../errors';
import { releaseLock } from '../../state/unlock';
import { addFleetOptions, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';

export function registerState(program: Command, io: Io): void {
  const state = program.command('state').description('inspect and repair the state');
  addFleetOptions(
    state
      .command('unlock <id>')
      .description('release a state lock left by a process that died (ID from the lock error)')
      .option('--force', 'release it even though its holder still runs (or runs on another machine)'),
  ).action(async (id: string, opts: FleetOptions & { force?: boolean }) => {
    const store = stateStore(io, opts, await fleetName(io, opts));
    await releaseLock(store, id, { force: opts.force });
    io.out(`Released lock ${id} on ${store.location}.\n`);
  });
  addFleetOptions(state.command('show').description('print the state as JSON'))
    .action(async (opts: FleetOptions) => {
      const store = stateStore(io, opts, await fleetName(io, opts));
      const s = await store.read();
      if (!s) throw new HvkitError(`there is no state at ${store.location}: nothing was applied yet (or pass the right --state / --fleet)`);
      io.out(JSON.stringify(s, null, 2) + '\n');
    });
}

/** With --state and no --fleet the store is named by its file and needs no fleet name, so the app is not run. */
async function fleetName(io: Io, opts: FleetOptions): Promise<string> {
  return opts.fleet ?? (opts.state ? '' : (await loadFleet(io, opts)).fleet);
}

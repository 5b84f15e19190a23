import type { Command } from 'commander';
import { addFleetOptions, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';

export function registerState(program: Command, io: Io): void {
  const state = program.command('state').description('inspect and repair the state');
  addFleetOptions(state.command('unlock <id>').description('force-release a state lock left by a process that died (ID from the lock error)'))
    .action(async (id: string, opts: FleetOptions) => {
      const fleet = opts.fleet ?? (opts.state ? 'fleet' : (await loadFleet(io, opts)).fleet);
      const store = stateStore(io, opts, fleet);
      await store.unlock(id);
      io.out(`Released lock ${id} on ${store.location}.\n`);
    });
  addFleetOptions(state.command('show').description('print the state as JSON'))
    .action(async (opts: FleetOptions) => {
      const fleet = opts.fleet ?? (opts.state ? 'fleet' : (await loadFleet(io, opts)).fleet);
      const s = await stateStore(io, opts, fleet).read();
      io.out(JSON.stringify(s ?? null, null, 2) + '\n');
    });
}

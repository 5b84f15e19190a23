import type { Command } from 'commander';
import { describeDomain, importGuest } from '../../ops/refresh';
import { addFleetOptions, addLockTimeoutOption, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';

export function registerImport(program: Command, io: Io): void {
  addLockTimeoutOption(addFleetOptions(program.command('import <guest>').description('adopt a domain that already runs on its host into state (code must declare it)')))
    .action(async (guest: string, opts: FleetOptions) => {
      const manifest = await loadFleet(io, opts);
      const r = await importGuest({ manifest, store: stateStore(io, opts, manifest.fleet), projectDir: io.cwd, env: io.env, guest });
      io.out(`Imported ${guest} on ${r.host} (${describeDomain(r.domain)}). Run \`hvkit plan\` to see what differs from code.\n`);
      if (r.unlockWarning) io.err(`Warning: ${r.unlockWarning}\n`);
    });
}

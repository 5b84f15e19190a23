import type { Command } from 'commander';
import { describeDomain, importGuest } from '../../ops/refresh';
import { addFleetOptions, addLockTimeoutOption, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';
import { withUsage } from '../help';

export function registerImport(program: Command, io: Io): void {
  withUsage(addLockTimeoutOption(addFleetOptions(program.command('import <guest>').description('adopt a domain that already runs on its host into state (code must declare it)'))), {
    examples: ['hvkit import web-01          # then hvkit plan shows what differs from code', 'hvkit state rm web-01 && hvkit import web-01  # record it again as it runs'],
    exitCodes: { 1: 'the guest is not in code, already in state, or not running on its host; or the host did not answer' },
  }).action(async (guest: string, opts: FleetOptions) => {
      const manifest = await loadFleet(io, opts);
      const r = await importGuest({ manifest, store: await stateStore(io, opts, manifest), projectDir: io.cwd, env: io.env, guest });
      io.out(`Imported ${guest} on ${r.host} (${describeDomain(r.domain)}). Run \`hvkit plan\` to see what differs from code.\n`);
      if (r.unlockWarning) io.err(`Warning: ${r.unlockWarning}\n`);
    });
}

import type { Command } from 'commander';
import { importGuest } from '../../ops/import';
import { describeDomain } from '../../ops/refresh';
import { addFleetOptions, addLockTimeoutOption, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';
import { withUsage } from '../help';

export function registerImport(program: Command, io: Io): void {
  const cmd = program.command('import <guest>').description('adopt a domain that already runs on its host into state (code must declare it)')
    .option('--host <host>', 'for a guest hvkit places (declared without a host): the host that runs it (default: the one of its candidate hosts that runs it)');
  withUsage(addLockTimeoutOption(addFleetOptions(cmd)), {
    examples: [
      'hvkit import web-01          # then hvkit plan shows what differs from code',
      'hvkit state rm web-01 && hvkit import web-01  # record it again as it runs',
      'hvkit import web-09 --host kvm-02  # a placed guest that runs on two hosts: take this copy',
    ],
    exitCodes: { 1: 'the guest is not in code, already in state, or not running on its host (or on any host it may run on, or on several); or a host did not answer' },
  }).action(async (guest: string, opts: FleetOptions & { host?: string }) => {
      const manifest = await loadFleet(io, opts);
      const r = await importGuest({ manifest, store: await stateStore(io, opts, manifest), projectDir: io.cwd, env: io.env, guest, ...(opts.host !== undefined ? { host: opts.host } : {}) });
      io.out(`Imported ${guest} on ${r.host} (${describeDomain(r.domain)}). Run \`hvkit plan\` to see what differs from code.\n`);
      for (const w of r.warnings) io.err(`Warning: ${w}\n`);
      if (r.unlockWarning) io.err(`Warning: ${r.unlockWarning}\n`);
    });
}

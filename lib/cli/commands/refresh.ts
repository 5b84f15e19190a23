import type { Command } from 'commander';
import { refresh } from '../../ops/refresh';
import { addFleetOptions, addLockTimeoutOption, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';
import { withUsage } from '../help';

export function registerRefresh(program: Command, io: Io): void {
  withUsage(addLockTimeoutOption(addFleetOptions(program.command('refresh').description("ask every host's provider what really runs and record it; `hvkit plan` then shows the drift"))), {
    examples: ['hvkit refresh && hvkit plan   # see and converge the drift', 'hvkit refresh --lock-timeout 2m'],
    exitCodes: { 0: 'refreshed, drift or not (unreachable hosts are recorded as such)', 1: 'the code is not valid, the state cannot be read, or its lock is held' },
  }).action(async (opts: FleetOptions) => {
      const manifest = await loadFleet(io, opts);
      const { state, drift, unlockWarning } = await refresh({ manifest, store: await stateStore(io, opts, manifest), projectDir: io.cwd, env: io.env });
      if (unlockWarning) io.err(`Warning: ${unlockWarning}\n`);
      const hosts = Object.entries(state.observed!.hosts);
      io.out(`Refreshed ${hosts.length} host${hosts.length === 1 ? '' : 's'}: ${hosts.filter(([, h]) => h.reachable).length} answered, ${hosts.reduce((a, [, h]) => a + h.domains.length, 0)} domains.\n`);
      if (drift.items.length === 0) io.out('No drift: the hypervisors run what state records.\n');
      else {
        io.out(`Drift (${drift.items.length}):\n`);
        for (const d of drift.items) io.out(`  ! ${d.message}\n`);
        io.out('Run `hvkit plan` to see how hvkit converges it.\n');
      }
    });
}

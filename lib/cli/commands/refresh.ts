import type { Command } from 'commander';
import { HvkitError } from '../../errors';
import { refresh } from '../../ops/refresh';
import { loadLine } from '../../render/load';
import { addFleetOptions, addLockTimeoutOption, type FleetOptions, type Io } from '../context';
import { loadFleet, sampleStoreBeside, stateStore } from '../fleet';
import { withUsage } from '../help';

/** `--interval SECONDS` as milliseconds: a positive number of seconds, at most an hour. */
export function intervalMs(value: string | undefined, flag = '--interval'): number {
  const s = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(s) || s <= 0 || s > 3600) {
    throw new HvkitError(`${flag} '${value}' is not a number of seconds more than 0 and at most 3600 (e.g. ${flag} 5)`);
  }
  return Math.round(s * 1000);
}

/** Said on stderr before the wait between the two reads, so a quiet pause is not taken for a hang. */
export function waitLine(ms: number, hosts: number): string {
  return `measuring load for ${ms / 1000} s on ${hosts} host${hosts === 1 ? '' : 's'}…`;
}

export function registerRefresh(program: Command, io: Io): void {
  const cmd = program.command('refresh').description("ask every host's provider what really runs and record it, and measure the load its guests put on it; `hvkit plan` then shows the drift")
    .option('--interval <seconds>', 'time between the two reads of each host\'s counters that make the measured rates', '5')
    .option('--no-stats', 'only look for drift: do not measure load');
  withUsage(addLockTimeoutOption(addFleetOptions(cmd)), {
    examples: ['hvkit refresh && hvkit plan   # see and converge the drift', 'hvkit refresh --interval 10   # measure load over 10 s', 'hvkit refresh --no-stats --lock-timeout 2m'],
    exitCodes: { 0: 'refreshed, drift or not (unreachable hosts are recorded as such; a host whose load could not be measured is named)', 1: 'the code is not valid, the state cannot be read, or its lock is held' },
  }).action(async (opts: FleetOptions & { interval: string; stats: boolean }) => {
      const ms = opts.stats ? intervalMs(opts.interval) : 0;
      const manifest = await loadFleet(io, opts);
      const store = await stateStore(io, opts, manifest);
      const { state, drift, load, samplesWarning, unlockWarning } = await refresh({
        manifest, store, projectDir: io.cwd, env: io.env,
        ...(opts.stats ? { load: { intervalMs: ms, samples: await sampleStoreBeside(io, store), onWait: (n: number) => io.err(`${waitLine(ms, n)} (--no-stats skips, --interval sets)\n`) } } : {}),
      });
      if (unlockWarning) io.err(`Warning: ${unlockWarning}\n`);
      const hosts = Object.entries(state.observed!.hosts);
      const domains = hosts.reduce((a, [, h]) => a + h.domains.length, 0);
      io.out(`Refreshed ${hosts.length} host${hosts.length === 1 ? '' : 's'}: ${hosts.filter(([, h]) => h.reachable).length} answered, ${domains} domain${domains === 1 ? '' : 's'}.\n`);
      if (load) {
        io.out(`${loadLine(load, ms / 1000)}\n`);
        for (const f of load.failed) io.err(`Warning: load of ${f.host} not measured: ${f.error}\n`);
        for (const w of samplesWarning?.split('\n') ?? []) io.err(`Warning: ${w}\n`);
      }
      if (drift.items.length === 0) io.out('No drift: the hypervisors run what state records.\n');
      else {
        io.out(`Drift (${drift.items.length}):\n`);
        for (const d of drift.items) io.out(`  ! ${d.message}\n`);
        io.out('Run `hvkit plan` to see how hvkit converges it.\n');
      }
    });
}

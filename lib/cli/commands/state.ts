import type { Command } from 'commander';
import { HvkitError } from '../../errors';
import { moveRecord, removeRecords, stateAddresses } from '../../state/edit-records';
import type { State } from '../../state/types';
import { releaseLock } from '../../state/unlock';
import { addFleetOptions, addLockTimeoutOption, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';
import { withUsage } from '../help';

const NO_STATE = { 1: 'no state, an unknown address (the closest one is named), or a held lock' };

export function registerState(program: Command, io: Io): void {
  const state = withUsage(program.command('state').description('inspect and repair the state'), {
    examples: ['hvkit state list', 'hvkit state rm tokyo/web-host-01/web-01', 'hvkit state --help'],
    exitCodes: { 1: 'an unknown subcommand; see each subcommand\'s --help' },
  });
  withUsage(addFleetOptions(
    state
      .command('unlock <id>')
      .description('release a state lock left by a process that died (ID from the lock error)')
      .option('--force', 'release it even though its holder still runs (or runs on another machine)'),
  ), {
    examples: ['hvkit state unlock 3f2a…  # the ID the lock error printed'],
    exitCodes: { 1: 'no lock, another lock ID, or its holder still runs (without --force)' },
  }).action(async (id: string, opts: FleetOptions & { force?: boolean }) => {
    const store = stateStore(io, opts, await fleetName(io, opts));
    await releaseLock(store, id, { force: opts.force });
    io.out(`Released lock ${id} on ${store.location}.\n`);
  });
  // `list` of no state lists nothing, as `terraform state list` does: a note on stderr keeps stdout a clean (empty) list.
  const reader = (name: string, description: string, examples: string[], print: (s: State) => string, emptyOk = false) =>
    withUsage(addFleetOptions(state.command(name).description(description)), {
      examples,
      exitCodes: { 1: emptyOk ? 'the state cannot be read (no state lists nothing and exits 0)' : 'there is no state (nothing applied yet) or it cannot be read' },
    }).action(async (opts: FleetOptions) => {
      const store = stateStore(io, opts, await fleetName(io, opts));
      const s = await store.read();
      const none = `there is no state at ${store.location}: nothing was applied yet (or pass the right --state / --fleet)`;
      if (!s && emptyOk) return io.err(`Note: ${none}\n`);
      if (!s) throw new HvkitError(none);
      io.out(print(s));
    });
  reader('show', 'print the state as JSON', ['hvkit state show', "hvkit state show | jq '.guests | keys'"], (s) => JSON.stringify(s, null, 2) + '\n');
  reader('list', 'list what state records, one construct path a line: each host, then its guests', ['hvkit state list', 'hvkit state list | grep web-'],
    (s) => stateAddresses(s).map((a) => `${a.path}\n`).join(''), true);
  withUsage(addLockTimeoutOption(addFleetOptions(
    state
      .command('rm <address...>')
      .description('forget guests (and hosts no guest is recorded on) without touching any hypervisor; `hvkit import GUEST` adopts a guest again'),
  )), {
    examples: ['hvkit state rm tokyo/web-host-01/web-01   # a path from hvkit state list', 'hvkit state rm web-01 memcached-01           # or guest and host names'],
    exitCodes: NO_STATE,
  }).action(async (addresses: string[], opts: FleetOptions) => {
    const store = stateStore(io, opts, await fleetName(io, opts));
    const r = await removeRecords(store, addresses);
    for (const a of r.removed) io.out(`Removed ${a.path}\n`);
    io.out(`Removed ${r.removed.length} record${r.removed.length === 1 ? '' : 's'} from ${store.location} (the previous version is ${store.backupFile}); nothing on the hypervisors was touched.\n`);
    if (r.unlockWarning) io.err(`Warning: ${r.unlockWarning}\n`);
  });
  withUsage(addLockTimeoutOption(addFleetOptions(
    state
      .command('mv <old> <new>')
      .description("rename a guest's record (after renaming its domain by hand); the guest stays on its host and nothing on a hypervisor is touched"),
  )), {
    examples: ['hvkit state mv web-01 web-11', 'hvkit state mv tokyo/web-host-01/web-01 tokyo/web-host-01/web-11'],
    exitCodes: { 1: 'no state, an unknown OLD, a NEW that exists, is not a DNS label or is on another host, or a held lock' },
  }).action(async (from: string, to: string, opts: FleetOptions) => {
    const store = stateStore(io, opts, await fleetName(io, opts));
    const r = await moveRecord(store, from, to);
    io.out(`Moved ${r.from.path} to ${r.to.path} in ${store.location} (the previous version is ${store.backupFile}).\n`);
    if (r.unlockWarning) io.err(`Warning: ${r.unlockWarning}\n`);
  });
}

/** With --state and no --fleet the store is named by its file and needs no fleet name, so the app is not run. */
async function fleetName(io: Io, opts: FleetOptions): Promise<string> {
  return opts.fleet ?? (opts.state ? '' : (await loadFleet(io, opts)).fleet);
}

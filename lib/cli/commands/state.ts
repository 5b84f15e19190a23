import type { Command } from 'commander';
import { moveRecord, removeRecords, stateAddresses } from '../../state/edit-records';
import { FileStateStore } from '../../state/file-store';
import type { StateStore } from '../../state/types';
import { releaseLock } from '../../state/unlock';
import { addFleetOptions, addLockTimeoutOption, type FleetOptions, type Io } from '../context';
import { elsewhere, schemaHint, stateStore, stateTarget } from '../fleet';
import { withUsage } from '../help';
import { registerStateHistory, WITHOUT_APP } from './state-history';
import { registerStateMove } from './state-move';

const NO_STATE = { 1: 'no state, an unknown address (the closest one is named), or a held lock' };

export function registerState(program: Command, io: Io): void {
  const state = withUsage(program.command('state').description('inspect and repair the state, list and show its versions, move it between backends'), {
    examples: ['hvkit state list', 'hvkit state rm tokyo/web-host-01/web-01', 'hvkit state history', 'hvkit state push --to pg', 'hvkit state --help'],
    exitCodes: { 1: 'an unknown subcommand; see each subcommand\'s --help' },
  });
  withUsage(addFleetOptions(
    state
      .command('unlock <id>')
      .description('release a state lock left by a process that died (ID from the lock error)')
      .option('--force', 'release it even though its holder still runs (or runs on another machine)'),
  ), {
    examples: ['hvkit state unlock 3f2a…  # the ID the lock error printed', 'hvkit state unlock 3f2a… --fleet tokyo --state-backend pg  # a pg lock, without running the app'],
    exitCodes: { 1: 'no lock, another lock ID, or its holder still runs (without --force)' },
  }).addHelpText('after', `\n${WITHOUT_APP}`).action(async (id: string, opts: FleetOptions & { force?: boolean }) => {
    const store = await stateStore(io, opts, await stateTarget(io, opts));
    await releaseLock(store, id, { force: opts.force });
    io.out(`Released lock ${id} on ${store.location}.\n`);
  });
  registerStateHistory(state, io);
  // `list` of no state lists nothing, as `terraform state list` does: a note on stderr keeps stdout a clean (empty) list.
  withUsage(addFleetOptions(state.command('list').description('list what state records, one construct path a line: each host, then its guests')), {
    examples: ['hvkit state list', 'hvkit state list | grep web-'],
    exitCodes: { 1: 'the state cannot be read (no state lists nothing and exits 0)' },
  }).addHelpText('after', `\n${WITHOUT_APP}`).action(async (opts: FleetOptions) => {
    const target = await stateTarget(io, opts);
    const store = await stateStore(io, opts, target);
    const s = await store.read();
    if (!s) return io.err(`Note: there is no state at ${store.location}: nothing was applied yet ${elsewhere(store)}${schemaHint(store, target)}\n`);
    io.out(stateAddresses(s).map((a) => `${a.path}\n`).join(''));
  });
  withUsage(addLockTimeoutOption(addFleetOptions(
    state
      .command('rm <address...>')
      .description('forget guests (and hosts no guest is recorded on) without touching any hypervisor; `hvkit import GUEST` adopts a guest again'),
  )), {
    examples: ['hvkit state rm tokyo/web-host-01/web-01   # a path from hvkit state list', 'hvkit state rm web-01 memcached-01           # or guest and host names'],
    exitCodes: NO_STATE,
  }).addHelpText('after', `\n${WITHOUT_APP}`).action(async (addresses: string[], opts: FleetOptions) => {
    const store = await stateStore(io, opts, await stateTarget(io, opts));
    const r = await removeRecords(store, addresses);
    for (const a of r.removed) io.out(`Removed ${a.path}\n`);
    io.out(`Removed ${r.removed.length} record${r.removed.length === 1 ? '' : 's'} from ${store.location} (${previousVersion(store, r.serial)}); nothing on the hypervisors was touched.\n`);
    if (r.unlockWarning) io.err(`Warning: ${r.unlockWarning}\n`);
  });
  withUsage(addLockTimeoutOption(addFleetOptions(
    state
      .command('mv <old> <new>')
      .description("rename a guest's record (after renaming its domain by hand); the guest stays on its host and nothing on a hypervisor is touched"),
  )), {
    examples: ['hvkit state mv web-01 web-11', 'hvkit state mv tokyo/web-host-01/web-01 tokyo/web-host-01/web-11'],
    exitCodes: { 1: 'no state, an unknown OLD, a NEW that exists, is not a DNS label or is on another host, or a held lock' },
  }).addHelpText('after', `\n${WITHOUT_APP}`).action(async (from: string, to: string, opts: FleetOptions) => {
    const store = await stateStore(io, opts, await stateTarget(io, opts));
    const r = await moveRecord(store, from, to);
    io.out(`Moved ${r.from.path} to ${r.to.path} in ${store.location} (${previousVersion(store, r.serial)}).\n`);
    if (r.unlockWarning) io.err(`Warning: ${r.unlockWarning}\n`);
  });
  registerStateMove(state, io);
}

/** Where the version before an edit went: the file backend's one backup, or a serial the database keeps. */
function previousVersion(store: StateStore, serial: number): string {
  if (store instanceof FileStateStore) return `the previous version is ${store.backupFile}`;
  const prev = serial - 1;
  return `the previous version, serial ${prev}, is kept: \`hvkit state show --serial ${prev}\` prints it`;
}

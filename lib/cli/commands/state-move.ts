import type { Command } from 'commander';
import { HvkitError } from '../../errors';
import { printable } from '../../manifest/names';
import type { Manifest } from '../../manifest/types';
import { FileStateStore } from '../../state/file-store';
import { moveState } from '../../state/move-state';
import { removeMovedMarker, writeMovedMarker } from '../../state/moved-marker';
import type { State } from '../../state/types';
import { addLockTimeoutOption, type FleetOptions, type Io } from '../context';
import { loadFleet, openStore, sampleStoreBeside, stateFile } from '../fleet';
import { withUsage } from '../help';
import { checkPgSettings, chooseBackend, DEFAULT_PG_SCHEMA, type BackendChoice } from '../state-backend';

const REFUSED = 'nothing to move, or the destination holds another lineage or a serial not older (nothing is written then; there is no --force: the destination is never rolled back or replaced), or a held lock';

/**
 * `hvkit state push --to pg` and `hvkit state pull [--from pg]`: a fleet's
 * state moves between the file backend (`--state`, or .hvkit/state/<fleet>.json)
 * and PostgreSQL (HVKIT_PG_CONN; schema from the Fleet prop, else HVKIT_PG_SCHEMA,
 * else 'hvkit'), lineage and serial kept, both locks held.
 */
export function registerStateMove(state: Command, io: Io): void {
  const push = moveOptions(state.command('push')
    .description("move the fleet's state from the file backend into PostgreSQL, keeping its lineage and serial (the file stays as it was)")
    .requiredOption('--to <backend>', 'where the state goes: pg'));
  withUsage(push, {
    examples: [
      'hvkit state push --to pg   # HVKIT_PG_CONN=postgresql://hvkit@db.example/hvkit set',
      'hvkit state push --to pg --state old/tokyo.json   # a state file elsewhere (its fleet is the one it records)',
    ],
    exitCodes: { 1: REFUSED },
  }).action(async (opts: MoveOptions & { to: string }) => {
    otherBackend('--to', opts.to, 'state push moves the file backend\'s state into pg; `hvkit state pull` brings it back');
    // A state file says whose it is: the app need not run to name the fleet.
    const fromFile = opts.fleet === undefined && opts.state !== undefined ? await fleetInFile(io, opts) : undefined;
    const { fleet, code } = await fleetOf(io, opts, fromFile);
    const to = pgChoice(io, code);
    const moved = await move(io, opts, fleet, { kind: 'file', source: 'move' }, to, 'state push');
    // Beside the file, so commands on the file backend refuse the stale copy instead of acting on it.
    await writeMovedMarker(stateFile(io, opts, fleet), { fleet, to: moved.to, serial: moved.state.serial, lineage: moved.state.lineage, at: new Date().toISOString(), ...(to.kind === 'pg' && to.schema !== DEFAULT_PG_SCHEMA && { schema: to.schema }) });
    io.err(`Note: choose the pg backend for ${fleet} from now on (the Fleet's state: { backend: 'pg' }, HVKIT_STATE_BACKEND=pg or --state-backend pg). ${stateFile(io, opts, fleet)} was left as it was: remove it once every runner uses pg, so that no command reads it by mistake.\n`);
  });
  const pull = moveOptions(state.command('pull')
    .description("move the fleet's state from PostgreSQL into the file backend, keeping its lineage and serial (the database keeps every version)")
    .option('--from <backend>', 'where the state comes from: pg', 'pg'));
  withUsage(pull, {
    examples: ['hvkit state pull                       # into .hvkit/state/<fleet>.json', 'hvkit state pull --state backup/tokyo.json --fleet tokyo'],
    exitCodes: { 1: REFUSED },
  }).action(async (opts: MoveOptions & { from: string }) => {
    otherBackend('--from', opts.from, 'state pull moves pg\'s state into the file backend; `hvkit state push --to pg` moves it the other way');
    const { fleet, code } = await fleetOf(io, opts, undefined);
    await move(io, opts, fleet, pgChoice(io, code), { kind: 'file', source: 'move' }, 'state pull');
    removeMovedMarker(stateFile(io, opts, fleet));
  });
}

type MoveOptions = Omit<FleetOptions, 'stateBackend'>;

/** --app, --fleet, --state (the file side), --lock-timeout: no --state-backend, as --to and --from name the backends. */
function moveOptions(cmd: Command): Command {
  return addLockTimeoutOption(cmd
    .option('--app <command>', 'command that runs the fleet app (default: "app" in cdktf.json)')
    .option('--fleet <name>', 'fleet whose state moves (default: the app\'s, running it)')
    .option('--state <path>', 'the file side (default: .hvkit/state/<fleet>.json)')
    .option('--no-color', 'plain output without colour (also NO_COLOR)'));
}

function otherBackend(flag: string, value: string, why: string): void {
  if (value !== 'pg') throw new HvkitError(`${flag} '${printable(value)}': ${why}; use ${flag} pg`);
}

function pgChoice(io: Io, code: Manifest['state']): BackendChoice {
  const choice = { ...chooseBackend('pg', io.env, code), source: 'move' as const };
  checkPgSettings(io.env, choice);
  return choice;
}

/** The fleet named by --fleet, by the state file, or by the app (whose Fleet prop may name the pg schema). */
async function fleetOf(io: Io, opts: MoveOptions, fromFile: string | undefined): Promise<{ fleet: string; code?: Manifest['state'] }> {
  const name = opts.fleet ?? fromFile;
  if (name !== undefined) return { fleet: name };
  const m = await loadFleet(io, opts);
  return { fleet: m.fleet, code: m.state };
}

async function fleetInFile(io: Io, opts: MoveOptions): Promise<string> {
  const file = stateFile(io, opts, '');
  const s = await new FileStateStore(file, { ignoreMoved: true }).read();
  if (!s) throw new HvkitError(`there is no state at ${file} to move: nothing was written`);
  return s.fleet;
}

async function move(io: Io, opts: MoveOptions, fleet: string, from: BackendChoice, to: BackendChoice, operation: string): Promise<{ state: State; to: string }> {
  const src = await openStore(io, opts, fleet, from);
  const dst = await openStore(io, opts, fleet, to);
  const samples = { from: await sampleStoreBeside(io, src), to: await sampleStoreBeside(io, dst) };
  const r = await moveState(src, dst, operation, fleet, samples);
  io.out(`Moved ${movedText(r.state)} from ${src.location} to ${dst.location}.\n`);
  const k = r.samplesMoved ?? 0;
  io.out(`Moved ${k} measured-load sample${k === 1 ? '' : 's'} with it (from ${samples.from.location} to ${samples.to.location}).\n`);
  if (r.unlockWarning) io.err(`Warning: ${r.unlockWarning}\n`);
  return { state: r.state, to: dst.location };
}

function movedText(s: State): string {
  const n = (k: number, noun: string) => `${k} ${noun}${k === 1 ? '' : 's'}`;
  const inflight = Object.keys(s.inflight).length;
  return `${s.fleet}'s state (lineage ${s.lineage}, serial ${s.serial}, ${n(Object.keys(s.hosts).length, 'host')}, ${n(Object.keys(s.guests).length, 'guest')}${inflight ? `, ${n(inflight, 'step')} in flight` : ''})`;
}

import type { Command } from 'commander';
import { HvkitError } from '../../errors';
import { FileStateStore } from '../../state/file-store';
import type { State, StateStore, StateVersion } from '../../state/types';
import { addFleetOptions, type FleetOptions, type Io } from '../context';
import { elsewhere, schemaHint, stateStore, stateTarget } from '../fleet';
import { withUsage } from '../help';
import { table } from './lookups';

/** Said in the help of the subcommands that take --fleet: what then chooses the backend. */
export const WITHOUT_APP = "Backend: with --fleet or --state the app does not run, so the Fleet's state prop is not read: choose pg there with --state-backend pg or HVKIT_STATE_BACKEND=pg.";

/** The state a reading subcommand prints, or a one-line error when there is none. */
export async function requireStored(store: StateStore, hint = ''): Promise<State> {
  const s = await store.read();
  if (!s) throw new HvkitError(`there is no state at ${store.location}: nothing was applied yet ${elsewhere(store)}${hint}`);
  return s;
}

/** What the file backend keeps, said wherever its short history shows. */
const FILE_KEEPS = 'the file backend keeps the current version and one backup; --state-backend pg keeps every serial (`hvkit state push --to pg` moves a fleet there)';

/** `hvkit state show [--serial N]` and `hvkit state history`. */
export function registerStateHistory(state: Command, io: Io): void {
  withUsage(addFleetOptions(
    state.command('show').description('print the state as JSON: the current version, or the one at --serial')
      .option('--serial <n>', 'the version at this serial (`hvkit state history` lists the kept ones)')
      .option('--json', 'print JSON (what show always prints; for scripts that pass it)'),
  ), {
    examples: ['hvkit state show', "hvkit state show | jq '.guests | keys'", 'hvkit state show --serial 11 --state-backend pg  # as it was before serial 12'],
    exitCodes: { 1: 'there is no state (nothing applied yet), it cannot be read, or that serial is not kept (the kept ones are named)' },
  }).addHelpText('after', `\n${WITHOUT_APP}`).action(async (opts: FleetOptions & { serial?: string }) => {
    const serial = opts.serial === undefined ? undefined : serialOf(opts.serial);
    const target = await stateTarget(io, opts);
    const store = await stateStore(io, opts, target);
    const s = serial === undefined ? await requireStored(store, schemaHint(store, target)) : await store.readSerial(serial);
    if (!s) throw new HvkitError(`serial ${serial} is not kept at ${store.location}: ${await keptText(store)}`);
    io.out(JSON.stringify(s, null, 2) + '\n');
  });
  withUsage(addFleetOptions(
    state.command('history').description('list the kept versions of the state, oldest first: serial, when, who, by what, hosts, guests, steps in flight')
      .option('--json', 'print JSON'),
  ), {
    examples: ['hvkit state history --state-backend pg', "hvkit state history --json | jq '.[-1].serial'", 'hvkit state show --serial 11  # one of them'],
    exitCodes: { 1: 'there is no state (nothing applied yet) or it cannot be read' },
  }).addHelpText('after', `\n${WITHOUT_APP}`).action(async (opts: FleetOptions & { json?: boolean }) => {
    const target = await stateTarget(io, opts);
    const store = await stateStore(io, opts, target);
    const versions = await store.history();
    if (versions.length === 0) throw new HvkitError(`there is no state at ${store.location}: nothing was applied yet ${elsewhere(store)}${schemaHint(store, target)}`);
    if (opts.json) io.out(JSON.stringify(versions, null, 2) + '\n');
    else io.out(await historyText(store.location, versions));
    if (store instanceof FileStateStore) io.err(`Note: ${FILE_KEEPS}.\n`);
  });
}

async function historyText(location: string, versions: readonly StateVersion[]): Promise<string> {
  const lineages = [...new Set(versions.map((v) => v.lineage))];
  const oneLineage = lineages.length === 1;
  const head = ['SERIAL', 'CREATED', 'WHO', 'OPERATION', 'HOSTS', 'GUESTS', 'IN FLIGHT', ...(oneLineage ? [] : ['LINEAGE'])];
  const rows = versions.map((v) => [String(v.serial), v.created ?? '-', v.who ?? '-', v.operation ?? '-', String(v.hosts), String(v.guests), String(v.inflight), ...(oneLineage ? [] : [v.lineage])]);
  const title = `${versions.length} version${versions.length === 1 ? '' : 's'} of the state at ${location}${oneLineage ? `, lineage ${lineages[0]}` : ''}:\n`;
  return title + (await table(head, rows));
}

/** `--serial` as a serial number: a whole number from 1. */
function serialOf(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new HvkitError(`--serial must be a whole number from 1 (\`hvkit state history\` lists them), got '${text}'`);
  return n;
}

/** The serials a store keeps, as a reader wants them: `1–12`, `11 and 12`, `3, 5–9`. */
async function keptText(store: StateStore): Promise<string> {
  const serials = (await store.history()).map((v) => v.serial).sort((a, b) => a - b);
  if (serials.length === 0) return 'it keeps no state (nothing was applied yet)';
  const runs: string[] = [];
  for (let i = 0; i < serials.length; ) {
    let j = i;
    while (j + 1 < serials.length && serials[j + 1] === serials[j] + 1) j++;
    runs.push(j === i ? `${serials[i]}` : j === i + 1 ? `${serials[i]}, ${serials[j]}` : `${serials[i]}–${serials[j]}`);
    i = j + 1;
  }
  const list = runs.join(', ').replace(/, ([^,]*)$/, ' and $1');
  const note = store instanceof FileStateStore ? `: ${FILE_KEEPS}` : '';
  return `it keeps serial${serials.length === 1 ? '' : 's'} ${list}${note}`;
}

import { readFileSync, rmSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import { HvkitError } from '../errors';
import { printable } from '../manifest/names';

/**
 * What `hvkit state push` leaves beside the state file it moved (`<file>.moved`):
 * the file stays as it was, but the fleet's state lives on elsewhere, so the file
 * store refuses it rather than let a command act on a stale copy.
 */
export interface MovedMarker {
  readonly fleet: string;
  /** Where the state went, as its store names it: never with a password. */
  readonly to: string;
  readonly serial: number;
  readonly lineage: string;
  /** ISO time of the push. */
  readonly at: string;
  /** The pg schema it went to, when not the default one: commands must be told it too. */
  readonly schema?: string;
}

export function movedMarkerFile(stateFile: string): string {
  return `${stateFile}.moved`;
}

/** Written after the state was stored at its destination, so a failed push leaves no marker. */
export async function writeMovedMarker(stateFile: string, marker: MovedMarker): Promise<void> {
  await writeFileAtomic(movedMarkerFile(stateFile), JSON.stringify(marker) + '\n', { fsync: true });
}

/** The marker beside `stateFile`, or undefined when there is none. */
export function readMovedMarker(stateFile: string): MovedMarker | undefined {
  const file = movedMarkerFile(stateFile);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new HvkitError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const m = JSON.parse(text) as MovedMarker;
    if (typeof m.fleet === 'string' && typeof m.to === 'string' && Number.isSafeInteger(m.serial) && typeof m.lineage === 'string' && typeof m.at === 'string' && (m.schema === undefined || typeof m.schema === 'string')) return m;
  } catch {
    // Said below.
  }
  throw new HvkitError(`${file} says the state beside it was moved, but it is not the JSON hvkit state push writes: run \`hvkit state pull\` to bring the state back, or remove ${file} if the state never moved`);
}

export function removeMovedMarker(stateFile: string): void {
  rmSync(movedMarkerFile(stateFile), { force: true });
}

/** A command on the file backend, refused because the state file's fleet was pushed elsewhere. */
export class StateMovedError extends HvkitError {
  constructor(marker: MovedMarker) {
    super(
      `the state of fleet ${printable(marker.fleet)} moved to ${marker.to} at serial ${marker.serial} (hvkit state push, ${marker.at}): ` +
        `pass --state-backend pg or set HVKIT_STATE_BACKEND=pg${marker.schema ? ` (and HVKIT_PG_SCHEMA=${printable(marker.schema)}, unless the Fleet's state prop names it)` : ''}; \`hvkit state pull\` brings it back`,
    );
    this.name = 'StateMovedError';
  }
}

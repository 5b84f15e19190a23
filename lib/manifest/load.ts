import { readFileSync } from 'node:fs';
import { HvkitError } from '../errors';
import { describeSchemaError, isSchemaChecked, manifestSchema, parseAndValidate, schemaValidator } from './schema';
import type { GuestSpec, Manifest } from './types';

const FIX = 'run `hvkit synth` again to regenerate it';

/** Reads and checks a manifest; a hand-edited or truncated one is refused with the JSON pointer of the first bad field. */
export function loadManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new HvkitError(`${file}: cannot read the manifest (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${FIX}`);
  }
  return parseManifest(file, text);
}

export function parseManifest(source: string, text: string): Manifest {
  const m = parseAndValidate<Manifest>(source, text, manifestSchema, 'manifest', FIX);
  checkReferences(source, m);
  return m;
}

/**
 * A manifest handed over in memory. buildManifest holds what it makes to the
 * schema; anything else (a manifest made another way) is checked here, so
 * every manifest that reaches the planner has passed the schema once.
 * @param heldToSchema true when buildManifest made it (in an app's synthesis worker, which says so); @default whether buildManifest made this very object
 */
export function checkManifestObject(source: string, m: Manifest, heldToSchema = isSchemaChecked(m)): Manifest {
  if (m?.formatVersion !== 1) throw new HvkitError(`${source}: the app built a manifest of format ${m?.formatVersion}, this hvkit reads format 1`);
  if (!heldToSchema) {
    const validate = schemaValidator(manifestSchema);
    if (!validate(m)) throw new HvkitError(`${describeSchemaError(source, validate.errors?.[0])}; the app made this manifest without buildManifest: ${FIX}`);
  }
  checkReferences(source, m);
  return m;
}

/** What the schema cannot say: guests name hosts that exist, names, UUIDs and MACs are unique. */
function checkReferences(source: string, m: Manifest): void {
  const hosts = new Map(m.hosts.map((h, i) => [h.name, i]));
  if (hosts.size !== m.hosts.length) throw new HvkitError(`${source}: at /hosts: host names repeat; ${FIX}`);
  const guests = new Set<string>();
  const uuids = new Set<string>();
  const macs = new Set<string>();
  const unique = (list: 'guests' | 'unplaced', g: GuestSpec, i: number) => {
    if (guests.has(g.name)) throw new HvkitError(`${source}: at /${list}/${i}/name: guest '${g.name}' repeats; ${FIX}`);
    guests.add(g.name);
    if (uuids.has(g.uuid)) throw new HvkitError(`${source}: at /${list}/${i}/uuid: uuid ${g.uuid} repeats; ${FIX}`);
    uuids.add(g.uuid);
    g.nics.forEach((n, j) => {
      if (macs.has(n.mac)) throw new HvkitError(`${source}: at /${list}/${i}/nics/${j}/mac: MAC ${n.mac} repeats; ${FIX}`);
      macs.add(n.mac);
    });
  };
  // Guests hvkit places name no host yet: placement checks where they may go.
  m.unplaced?.forEach((g, i) => unique('unplaced', g, i));
  m.guests.forEach((g, i) => {
    unique('guests', g, i);
    const h = hosts.get(g.host);
    if (h === undefined) throw new HvkitError(`${source}: at /guests/${i}/host: host '${g.host}' is not in /hosts; ${FIX}`);
    g.disks.forEach((d, j) => {
      if (!m.hosts[h].disks.some((hd) => hd.name === d.on)) {
        throw new HvkitError(`${source}: at /guests/${i}/disks/${j}/on: host '${g.host}' has no disk '${d.on}'; ${FIX}`);
      }
    });
  });
}

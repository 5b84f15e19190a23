import type { State } from '../types';

/**
 * A state as the pg backend stores it: one JSON text per key — `meta` (version,
 * fleet, lastApply and any other top-level field), `observed`, `host/<name>`,
 * `guest/<name>`, `inflight/<step id>` — so a write stores only the keys that changed.
 * Lineage and serial live in the versions table.
 */
export type Records = Map<string, string>;

const MAPS = [
  ['hosts', 'host/'],
  ['guests', 'guest/'],
  ['inflight', 'inflight/'],
] as const;

/** What the versions table counts of a state, for `hvkit state history`. */
export interface RecordCounts {
  hosts: number;
  guests: number;
  inflight: number;
}

/** Splits `state` into its records (synchronously: the caller may change `state` right after). */
export function toRecords(state: State): { records: Records; counts: RecordCounts } {
  const { lineage: _l, serial: _s, hosts, guests, inflight, observed, ...meta } = state;
  const records: Records = new Map([['meta', JSON.stringify(meta)]]);
  if (observed !== undefined) records.set('observed', JSON.stringify(observed));
  const maps = { hosts, guests, inflight };
  for (const [field, prefix] of MAPS) {
    const map = maps[field] as Record<string, unknown>;
    for (const name of Object.keys(map)) {
      // As JSON.stringify of the whole state would: an entry whose value is undefined is not there.
      const text = JSON.stringify(map[name]);
      if (text !== undefined) records.set(prefix + name, text);
    }
  }
  return { records, counts: { hosts: Object.keys(hosts).length, guests: Object.keys(guests).length, inflight: Object.keys(inflight).length } };
}

/**
 * The records of `next` whose text differs from `known`, and those `known` has that `next`
 * lost (null: removed), as one JSON object of key → stored text: the server reads it with
 * json_each, which gives each value's text back byte for byte (json, not jsonb), at a fraction of the
 * cost of a text[] parameter (no array-literal escaping of every quote).
 */
export function changedRecords(known: Records, next: Records): { count: number; json: string } {
  const parts: string[] = [];
  for (const [k, v] of next) if (known.get(k) !== v) parts.push(`${JSON.stringify(k)}:${v}`);
  for (const k of known.keys()) if (!next.has(k)) parts.push(`${JSON.stringify(k)}:null`);
  return { count: parts.length, json: `{${parts.join(',')}}` };
}

/**
 * The state text `records` make at (lineage, serial), in the order the file
 * backend writes a state; built from the stored texts without parsing them, so
 * reading 10,000 guests parses once (in readState).
 */
export function fromRecords(lineage: string, serial: number, records: Records): string {
  const meta = JSON.parse(records.get('meta') ?? '{}') as Record<string, unknown>;
  const parts: string[] = [];
  const field = (k: string, text: string) => parts.push(`${JSON.stringify(k)}:${text}`);
  if ('version' in meta) field('version', JSON.stringify(meta.version));
  field('lineage', JSON.stringify(lineage));
  field('serial', String(serial));
  if ('fleet' in meta) field('fleet', JSON.stringify(meta.fleet));
  const maps: Record<string, string[]> = { hosts: [], guests: [], inflight: [] };
  for (const [key, text] of records) {
    const entry = MAPS.find(([, prefix]) => key.startsWith(prefix));
    if (entry) maps[entry[0]].push(`${JSON.stringify(key.slice(entry[1].length))}:${text}`);
  }
  for (const [name] of MAPS) field(name, `{${maps[name].join(',')}}`);
  const observed = records.get('observed');
  if (observed !== undefined) field('observed', observed);
  for (const [k, v] of Object.entries(meta)) if (k !== 'version' && k !== 'fleet') field(k, JSON.stringify(v));
  return `{${parts.join(',')}}`;
}

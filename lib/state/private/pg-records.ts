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

/** A record whose text is not JSON: the one key of a stored state that is unreadable. */
export class BadRecordError extends Error {
  constructor(readonly key: string, cause: unknown) {
    super(`record ${key} is not JSON (${(cause as Error).message})`);
  }
}

/**
 * The state `records` make at (lineage, serial), its fields in the order the file backend
 * writes them; parsed record by record, never assembled into one text first (for 10,000
 * guests that text alone costs more than reading the rows). Not yet checked against the schema.
 */
export function fromRecords(lineage: string, serial: number, records: Records): Record<string, unknown> {
  const parse = (key: string, text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new BadRecordError(key, e);
    }
  };
  const meta = parse('meta', records.get('meta') ?? '{}') as Record<string, unknown>;
  const { version, fleet, ...rest } = meta;
  const maps: Record<string, Record<string, unknown>> = { hosts: {}, guests: {}, inflight: {} };
  for (const [key, text] of records) {
    const entry = MAPS.find(([, prefix]) => key.startsWith(prefix));
    if (entry) maps[entry[0]][key.slice(entry[1].length)] = parse(key, text);
  }
  const observed = records.get('observed');
  return {
    ...('version' in meta && { version }),
    lineage,
    serial,
    ...('fleet' in meta && { fleet }),
    ...maps,
    ...(observed !== undefined && { observed: parse('observed', observed) }),
    ...rest,
  };
}

/**
 * The query reading one version's records ($1 fleet; $2 a serial, or NULL for the head):
 * the latest row of each key from the version's base up to its serial, removed keys left
 * out, in key order. Rows come as arrays (cheaper for pg to build than objects: 10,000
 * guests are 10,000 rows); the version (serial, lineage, base, since_base) is on every row,
 * and on one row with a NULL key when it has no records. `s` is the escaped schema name.
 */
export function readSql(s: string): string {
  return `WITH v AS (SELECT serial, lineage, base, since_base FROM ${s}.versions WHERE fleet = $1 AND ($2::bigint IS NULL OR serial = $2) ORDER BY serial DESC LIMIT 1)
    SELECT v.serial, v.lineage, v.base, v.since_base, r.key, r.value FROM v LEFT JOIN LATERAL (
      SELECT key, value FROM (
        SELECT DISTINCT ON (key) key, value FROM ${s}.records WHERE fleet = $1 AND serial >= v.base AND serial <= v.serial ORDER BY key, serial DESC
      ) latest WHERE value IS NOT NULL
    ) r ON true
    ORDER BY r.key`;
}

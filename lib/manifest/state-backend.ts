import { describeValue, nearestName, type Collector } from './check';
import { PG_SCHEMA, PG_SCHEMA_HINT, printable } from './names';
import { PROP_KEYS } from './props';
import { STATE_BACKENDS, type StateBackendName, type StateBackendSpec } from './types';

/** Keys someone might write to put the database connection in code, which hvkit never takes. */
const CONNECTION_KEY = /conn|url|uri|dsn|host|port|user|password|database|^db$/i;

/**
 * The Fleet's `state` prop, checked where it is written: a backend hvkit has,
 * a schema only for pg, and no connection setting (it may hold a password,
 * so it comes from the environment only). Undefined when the prop is absent.
 */
export function stateBackendProps(c: Collector, path: string, raw: unknown): StateBackendSpec | undefined {
  const p = c.record(path, 'state', raw, "{ backend: 'pg' }");
  if (!p) return undefined;
  const connection = Object.keys(p).filter((k) => !PROP_KEYS.state.includes(k) && CONNECTION_KEY.test(k));
  for (const k of connection) {
    c.add(path, `state.${printable(k)}: the database connection is never written in code (it may hold a password); set HVKIT_PG_CONN (or PGHOST, PGDATABASE, …) where hvkit runs`);
  }
  c.keys(path, Object.fromEntries(Object.entries(p).filter(([k]) => !connection.includes(k))), PROP_KEYS.state, 'state.');
  const backend = backendOf(c, path, p.backend);
  if (!backend) return undefined;
  if (p.schema === undefined) return { backend };
  if (backend !== 'pg') {
    c.add(path, `state.schema is for the 'pg' backend only: remove it, or set state.backend to 'pg'`);
    return { backend };
  }
  return { backend, schema: c.pattern(path, 'state.schema', p.schema, PG_SCHEMA, PG_SCHEMA_HINT) };
}

function backendOf(c: Collector, path: string, v: unknown): StateBackendName | undefined {
  if (typeof v === 'string' && (STATE_BACKENDS as readonly string[]).includes(v)) return v as StateBackendName;
  const choices = STATE_BACKENDS.map((b) => `'${b}'`).join(' or ');
  if (v === undefined) c.add(path, `state.backend is missing: set it to ${choices}`);
  else if (typeof v !== 'string') c.add(path, `state.backend must be ${choices}, got ${describeValue(v)}`);
  else {
    const near = nearestName(v, STATE_BACKENDS);
    c.add(path, `state.backend '${printable(v)}' is not a state backend: ${near ? `did you mean '${near}'?` : `use ${choices}`}`);
  }
  return undefined;
}

import { assertNever, HvkitError } from '../errors';
import { nearest, PG_SCHEMA, PG_SCHEMA_HINT, printable } from '../manifest/names';
import { STATE_BACKENDS, type StateBackendName, type StateBackendSpec } from '../manifest/types';

/** What chose the backend, for messages that say how to choose another. */
export type BackendSource = 'flag' | 'env' | 'fleet' | 'default' | 'move';

/** The state backend of one run, with what chose it. */
export type BackendChoice =
  | { readonly kind: 'file'; readonly source: BackendSource }
  | { readonly kind: 'pg'; readonly source: BackendSource; readonly schema: string };

/** The schema pg state lives in when neither the Fleet prop nor HVKIT_PG_SCHEMA names one. */
export const DEFAULT_PG_SCHEMA = 'hvkit';

/**
 * The state backend: `--state-backend`, else HVKIT_STATE_BACKEND, else the
 * Fleet's `state` prop (only known where the command ran the app), else the
 * file. The pg schema: the Fleet prop's, else HVKIT_PG_SCHEMA, else 'hvkit' —
 * the code names the state it belongs to, so a variable left in a shell cannot
 * point a fleet whose code says where its state is at another schema.
 * Throws a one-line HvkitError on a value that names no backend or schema.
 */
export function chooseBackend(flag: string | undefined, env: NodeJS.ProcessEnv, code: StateBackendSpec | undefined): BackendChoice {
  const fromEnv = env.HVKIT_STATE_BACKEND === '' ? undefined : env.HVKIT_STATE_BACKEND;
  const [kind, source]: [StateBackendName, BackendSource] =
    flag !== undefined ? [backendName(flag, '--state-backend'), 'flag']
    : fromEnv !== undefined ? [backendName(fromEnv, 'HVKIT_STATE_BACKEND'), 'env']
    : code ? [code.backend, 'fleet']
    : ['file', 'default'];
  switch (kind) {
    case 'file':
      return { kind, source };
    case 'pg':
      return { kind, source, schema: code?.schema ?? envSchema(env) ?? DEFAULT_PG_SCHEMA };
    default:
      return assertNever(kind, 'state backend');
  }
}

/** Only the flag and HVKIT_STATE_BACKEND: for commands that do not run the app, so never learn the Fleet prop. */
export function backendWithoutCode(flag: string | undefined, env: NodeJS.ProcessEnv): BackendChoice {
  return chooseBackend(flag, env, undefined);
}

function backendName(value: string, where: string): StateBackendName {
  if ((STATE_BACKENDS as readonly string[]).includes(value)) return value as StateBackendName;
  // Terraform's backend is called `pg`; people still type the database's name.
  const near = /^postgres(ql)?$/i.test(value) ? 'pg' : nearest(value, STATE_BACKENDS)[0];
  throw new HvkitError(`${where} '${printable(value)}' is not a state backend: ${near ? `did you mean '${near}'? ` : ''}use ${STATE_BACKENDS.map((b) => `'${b}'`).join(' or ')}`);
}

function envSchema(env: NodeJS.ProcessEnv): string | undefined {
  const s = env.HVKIT_PG_SCHEMA;
  if (s === undefined || s === '') return undefined;
  if (!PG_SCHEMA.test(s)) throw new HvkitError(`HVKIT_PG_SCHEMA '${printable(s)}' is not a schema name hvkit uses: ${PG_SCHEMA_HINT}`);
  return s;
}

/**
 * Refuses a pg backend that has nothing to connect to: without HVKIT_PG_CONN,
 * PGHOST or PGDATABASE, node-postgres would quietly try localhost as the
 * current user, which is never a team's shared database.
 */
export function checkPgSettings(env: NodeJS.ProcessEnv, choice: BackendChoice): void {
  if (choice.kind !== 'pg') return;
  if (env.HVKIT_PG_CONN || env.PGHOST || env.PGDATABASE) return;
  throw new HvkitError(`the pg state backend (${howChosen(choice.source)}) needs a database: set HVKIT_PG_CONN (e.g. postgresql://hvkit@db.example/hvkit, or host=db.example dbname=hvkit), or PGHOST and PGDATABASE; the password goes in PGPASSWORD or ~/.pgpass, never in code`);
}

export function howChosen(source: BackendSource): string {
  switch (source) {
    case 'flag':
      return 'chosen by --state-backend';
    case 'env':
      return 'chosen by HVKIT_STATE_BACKEND';
    case 'fleet':
      return "chosen by the Fleet's state prop";
    case 'default':
      return 'the default';
    case 'move':
      return 'named by state push --to or state pull --from';
    default:
      return assertNever(source, 'state backend source');
  }
}

import { createReadStream, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import parseConnectionString from '@databases/pg-connection-string';
import pg from 'pg';
// The password-file reader node-postgres itself uses (its helper, so the file and environment are ours to give).
import pgpassHelper from 'pgpass/lib/helper.js';
import { HvkitError } from '../../errors';

/** How to reach the server, and how to name it in messages (never with its password). */
export interface PgTarget {
  readonly config: pg.ClientConfig;
  /** `postgres://user@host:port/db`: no password, ever. */
  readonly display: string;
}

/**
 * Reads a libpq connection string (URI or key=value), filling in what it leaves
 * out from the PG* variables of `env` and then libpq's own defaults, as psql does.
 */
export function pgTarget(conn: string | undefined, env: NodeJS.ProcessEnv): PgTarget {
  let c: ReturnType<typeof parseConnectionString>;
  if (conn && hasUnterminatedQuote(conn.trim())) {
    // The parser takes the rest of the string as the value, spaces and `password=…` included; libpq refuses it.
    throw new HvkitError("HVKIT_PG_CONN has an unterminated quoted value (libpq refuses it): close the quote, as in password='…'");
  }
  try {
    c = parseConnectionString(conn?.trim() || undefined, { env, invalidOptionMode: 'error', unrecognisedOptionMode: 'error' });
  } catch (e) {
    throw new HvkitError(`HVKIT_PG_CONN is not a PostgreSQL connection string libpq reads (${parseProblem(e)}); give a URI (postgresql://user@host:5432/db) or key=value pairs (host=… dbname=…)`);
  }
  const host = c.host.find((h) => h !== '') ?? 'localhost';
  const port = c.port.find((p) => p !== null) ?? 5432;
  const user = c.user ?? osUser();
  const database = c.dbname ?? user;
  const config: pg.ClientConfig = {
    host,
    port,
    user,
    database,
    // Given explicitly (or looked up in the password file here): node-postgres's own password-file
    // lookup prints a deprecation warning on every command.
    // node-postgres takes an undefined answer as "no password" (its types say otherwise).
    password: c.password ?? ((() => passwordFromFile(c.passfile, env, { host, port, database, user })) as () => Promise<string>),
    application_name: c.application_name ?? 'hvkit',
    connectionTimeoutMillis: c.connect_timeout ? Math.max(2, c.connect_timeout) * 1000 : 15_000,
    ssl: sslOf(c),
    options: c.options,
    // A lock holder idle between steps must not be mistaken for a dead peer by a NAT or firewall; and a
    // server gone without closing the connection is noticed after 10s idle plus the kernel's probes
    // (net.ipv4.tcp_keepalive_intvl × _probes: about 11 minutes by default), not after two hours.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
  const where = host.includes(':') && !host.startsWith('/') ? `[${host}]` : host;
  const display = `postgres://${field(user)}@${field(where)}:${port}/${field(database)}`;
  return { config, display: maskPassword(display, c.password) };
}

/** A field of the display, hidden whole when it holds a `password=` (a value the user meant as a password). */
function field(value: string): string {
  return /password\s*=/i.test(value) ? '***' : value === '' ? '' : value.startsWith('[') ? value : encodeURIComponent(value);
}

/** `display` with every occurrence of `password` (as given or URI-encoded) masked: never printed, whatever led it there. */
export function maskPassword(display: string, password: string | undefined): string {
  if (!password) return display;
  let out = display;
  for (const p of new Set([password, encodeURIComponent(password)])) out = out.split(p).join('***');
  return out;
}

/** Whether a key=value connection string ends inside a quoted value (libpq: "unterminated quoted string"). */
export function hasUnterminatedQuote(conn: string): boolean {
  if (/^postgres(?:ql)?:\/\//.test(conn)) return false;
  let inValue = false;
  let quoted = false;
  let started = false;
  for (let i = 0; i < conn.length; i++) {
    const ch = conn[i];
    if (!inValue) {
      if (ch === '=') {
        inValue = true;
        started = false;
      }
    } else if (quoted) {
      if (ch === '\\') i++;
      else if (ch === "'") {
        quoted = false;
        inValue = false;
      }
    } else if (ch === "'" && !started) {
      quoted = true;
    } else if (/\s/.test(ch)) {
      if (started) inValue = false;
    } else {
      started = true;
    }
  }
  return quoted;
}

/**
 * The password for `to` from the password file (`passfile`, PGPASSFILE or ~/.pgpass), with libpq's
 * rules as the `pgpass` package keeps them (a file group or world can read is ignored, as is any file
 * when PGPASSWORD is set); undefined when none matches.
 */
async function passwordFromFile(passfile: string | undefined, env: NodeJS.ProcessEnv, to: { host: string; port: number; database: string; user: string }): Promise<string | undefined> {
  if (env.PGPASSWORD !== undefined) return undefined;
  const file = passfile ?? pgpassHelper.getFileName(env);
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return undefined;
  }
  if (!pgpassHelper.usePgPass(stat, file)) return undefined;
  // libpq matches a Unix-socket host against the file's `localhost` entries.
  const host = to.host.startsWith('/') ? 'localhost' : to.host;
  return new Promise((resolve) => pgpassHelper.getPassword({ ...to, host, port: String(to.port) }, createReadStream(file), resolve));
}

/** The keywords libpq reads (libpq-connect, "Parameter Key Words"). */
const LIBPQ_KEYWORDS = new Set([
  'host', 'hostaddr', 'port', 'dbname', 'user', 'password', 'passfile', 'require_auth', 'channel_binding', 'connect_timeout',
  'client_encoding', 'options', 'application_name', 'fallback_application_name', 'keepalives', 'keepalives_idle',
  'keepalives_interval', 'keepalives_count', 'tcp_user_timeout', 'replication', 'gssencmode', 'sslmode', 'requiressl',
  'sslcompression', 'sslcert', 'sslkey', 'sslpassword', 'sslcertmode', 'sslrootcert', 'sslcrl', 'sslcrldir', 'sslsni',
  'requirepeer', 'ssl_min_protocol_version', 'ssl_max_protocol_version', 'krbsrvname', 'gsslib', 'gssdelegation', 'service',
  'target_session_attrs', 'load_balance_hosts',
]);

/**
 * What the parser found wrong, said without a word of the string: its messages quote a
 * token of it, which for a password with a space unquoted is part of the password.
 * A message is kept only when the token it names is a libpq keyword (or a PG* variable).
 */
function parseProblem(e: unknown): string {
  const m = firstLine(e);
  const named = /^(?:Missing value for |Unrecognised option in connection string: |Expected ")([^"]*)/.exec(m)?.[1];
  if (named !== undefined && (LIBPQ_KEYWORDS.has(named) || /^PG[A-Z]+$/.test(named))) return dedupeChoices(m);
  if (m.startsWith('Expected either a Connection URI')) return 'neither a URI nor key=value pairs';
  return "a word in it is not a libpq key=value option; quote values with spaces: password='…'";
}

/** The parser lists each choice once per spelling it maps (`"disable", "disable", …`): each once. */
function dedupeChoices(m: string): string {
  const at = /^(Expected "[^"]*" to be one of )(.*)$/.exec(m);
  if (!at) return m;
  return at[1] + [...new Set(at[2].split(', '))].join(', ');
}

/** libpq's sslmode and certificate files as node-postgres takes them (the files read now, so a missing one is said at once). */
function sslOf(c: ReturnType<typeof parseConnectionString>): pg.ClientConfig['ssl'] {
  const files = {
    ...(c.sslrootcert && { ca: readPem(c.sslrootcert, 'sslrootcert') }),
    ...(c.sslcert && { cert: readPem(c.sslcert, 'sslcert') }),
    ...(c.sslkey && { key: readPem(c.sslkey, 'sslkey') }),
  };
  switch (c.sslmode) {
    case undefined:
    case 'disable':
    case 'allow':
    case 'prefer':
      return undefined;
    case 'no-verify':
      // Not libpq's: node-postgres's own, encrypted without checking the certificate.
      return { rejectUnauthorized: false, ...files };
    case 'require':
      // libpq checks the server's certificate under `require` only when a root certificate is given.
      return { rejectUnauthorized: files.ca !== undefined, ...files };
    default:
      // verify-ca and verify-full: checked against sslrootcert, or the system's CAs.
      return { rejectUnauthorized: true, ...files };
  }
}

function readPem(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new HvkitError(`cannot read the ${option} file ${file} named by HVKIT_PG_CONN (or the PG* variables): ${(e as NodeJS.ErrnoException).code ?? firstLine(e)}`);
  }
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'postgres';
  }
}

/**
 * A failed query or connection, said in one line for the user (never with a password),
 * keeping the SQLSTATE for the store's own checks and whether the session is gone.
 */
export class PgStateError extends HvkitError {
  constructor(message: string, readonly code: string | undefined, readonly lostConnection: boolean, cause: unknown) {
    super(message, { cause });
    this.name = 'PgStateError';
  }
}

/**
 * Whether `e` means the session is gone (server stopped or restarted, socket closed,
 * session terminated, no connection to be had), as against an SQL error the session survives.
 */
export function isConnectionError(e: unknown): boolean {
  if (e instanceof PgStateError) return e.lostConnection;
  if (e instanceof HvkitError) return false;
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (e instanceof pg.DatabaseError) {
    const c = e.code ?? '';
    return c.startsWith('08') || /^57P0[123]$/.test(c) || c === '53300';
  }
  if (typeof code === 'string' && SOCKET_ERRORS.has(code)) return true;
  // node-postgres's own words for a socket that closed or a client that can no longer be used.
  return /^Connection terminated|^Client has encountered a connection error and is not queryable|^Client was closed and is not queryable|^Connection closed/.test(e.message);
}

/** Socket errors meaning the connection is gone or could not be made (not a bug in hvkit). */
const SOCKET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ENOENT']);

/** What a role needs on an existing schema (README, "Team state on PostgreSQL", has the GRANTs). */
export const PERMISSIONS =
  'the user needs USAGE on the schema, SELECT and INSERT on its tables, and UPDATE and DELETE on its locks table (see "Team state on PostgreSQL" in the README for the GRANTs)';

/** `e`, thrown by a query on `location`, as the one line the user sees. */
export function queryFailure(location: string, e: unknown): unknown {
  if (e instanceof HvkitError) return e;
  const code = (e as { code?: string }).code;
  if (isConnectionError(e)) {
    return new PgStateError(`lost the connection to PostgreSQL state ${location} (${firstLine(e)}); run the command again once the database answers`, code, true, e);
  }
  const hint = code === '42501' ? `; ${PERMISSIONS}` : '';
  return new PgStateError(`PostgreSQL state ${location}: ${firstLine(e)}${code ? ` (SQLSTATE ${code})` : ''}${hint}`, code, false, e);
}

/** One line saying why a connection could not be made and what to do; no password, no stack. */
export function connectFailure(location: string, e: unknown): PgStateError {
  const code = (e as { code?: string }).code;
  const fix: Record<string, string> = {
    ECONNREFUSED: 'connection refused: check that the server runs and HVKIT_PG_CONN (or PGHOST/PGPORT) points at it',
    ENOTFOUND: 'unknown host: check the host in HVKIT_PG_CONN (or PGHOST)',
    EAI_AGAIN: 'the host name could not be resolved: check the host in HVKIT_PG_CONN (or PGHOST) and the network',
    ETIMEDOUT: 'the server did not answer in time: check the host and port, and that a firewall lets hvkit through',
    ENOENT: 'no server socket in that folder: check that the server runs and the host in HVKIT_PG_CONN (or PGHOST)',
    '28P01': 'password authentication failed: check the user and password in HVKIT_PG_CONN (or PGUSER/PGPASSWORD, ~/.pgpass)',
    '28000': 'the server refused this user: check the user in HVKIT_PG_CONN and the server\'s pg_hba.conf',
    '3D000': 'the database does not exist: create it (createdb) or fix the database name in HVKIT_PG_CONN',
    '57P03': 'the server is starting up or shutting down: try again in a moment',
    '53300': 'the server has no free connection slots: try again later, or raise max_connections',
  };
  // node-postgres's words when the server asks for a password and none was given (SCRAM says it this way).
  const noPassword = /client password must be a string|password must be a string/i.test(firstLine(e));
  const why = noPassword
    ? 'the server asks for a password: set PGPASSWORD or a ~/.pgpass entry (never in code)'
    : (code && fix[code]) || `${firstLine(e)}: check HVKIT_PG_CONN and that the server is reachable`;
  return new PgStateError(`cannot connect to PostgreSQL state ${location}: ${why}`, code, true, e);
}

/** What went wrong underneath, one line: the driver's own words, not a wrapping message. */
export function rootCause(e: unknown): string {
  return firstLine(e instanceof PgStateError ? e.cause : e);
}

export function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0] || (e as { code?: string }).code || 'unknown error';
}

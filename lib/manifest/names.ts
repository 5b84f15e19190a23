import { distance } from 'fastest-levenshtein';

/**
 * What may appear in names and paths that reach domain XML, xl configs, shell
 * argument vectors and HTML. Anything else is refused before rendering.
 */
export const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const ROLE = /^[a-z][a-z0-9-]{0,31}$/;
export const BRIDGE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
export const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
export const DISK_NAME = /^[a-z][a-z0-9]{0,15}$/;
/** Kernel and bootloader paths: no quotes, spaces, `$`, backticks, `<>`, `;`, `|`, `\` or control characters. */
export const SAFE_PATH = /^[A-Za-z0-9_./:@+=,?&%~-]{1,255}$/;
export const TAG_KEY = /^[a-z][a-z0-9_.-]{0,62}$/;
/** PostgreSQL schema names hvkit uses: plain lowercase identifiers (no quoting surprises), never PostgreSQL's reserved `pg_` ones. */
export const PG_SCHEMA = /^(?!pg_)[a-z_][a-z0-9_]{0,62}$/;
export const PG_SCHEMA_HINT = "use 1–63 lowercase letters, digits and '_', not starting with a digit or 'pg_'";
/** C0 and C1 control characters, DEL, line/paragraph separators and bidi overrides. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CONTROL_ALL = new RegExp(CONTROL.source, 'g');
export const TAG_VALUE_MAX = 255;

export function hasControl(s: string): boolean {
  return CONTROL.test(s);
}

export function checkDnsLabel(kind: string, name: unknown): string | undefined {
  if (typeof name === 'string' && DNS_LABEL.test(name)) return undefined;
  return `${kind} name '${typeof name === 'string' ? printable(name) : typeof name}' is not a DNS label: use 1–63 lowercase letters, digits and '-', not starting or ending with '-'`;
}

/** True if a `/`-separated path has a `.` or `..` segment or an empty one (`a//b`). */
export function hasDotSegment(p: string): boolean {
  return p.split('/').some((s, i, all) => s === '..' || s === '.' || (s === '' && i > 0 && i < all.length - 1));
}

/** Shows a hostile value on one line, control characters escaped. */
export function printable(value: string): string {
  const s = escapeControl(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Control characters as `\n`, `\u001b`…; everything else as it is. Used for construct paths in messages. */
export function escapeControl(value: string): string {
  const s = JSON.stringify(value).slice(1, -1);
  return s.replace(CONTROL_ALL, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The known names a mistyped one most likely meant, best first: names it is a
 * prefix of (`net` for `netMbps`: a name cut short is as likely a slip as a
 * misspelt one), in the order given, then names within a few edits of it by
 * distance, ties by name so the answer is stable. Names further off are left
 * out: suggesting an unrelated name misleads more than suggesting none.
 * @param opts.max how many names to return @default 1
 */
export function nearest(name: string, known: readonly string[], opts: { max?: number } = {}): string[] {
  const lower = name.toLowerCase();
  const within = Math.max(2, Math.floor(name.length / 3));
  const prefixed: string[] = [];
  const close: { c: string; d: number }[] = [];
  for (const c of new Set(known)) {
    if (lower.length >= 3 && c.toLowerCase().startsWith(lower)) prefixed.push(c);
    else {
      const d = distance(name, c);
      if (d <= within) close.push({ c, d });
    }
  }
  close.sort((a, b) => a.d - b.d || (a.c < b.c ? -1 : a.c > b.c ? 1 : 0));
  return [...prefixed, ...close.map((x) => x.c)].slice(0, opts.max ?? 1);
}

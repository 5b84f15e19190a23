import { nearest, printable } from './names';

/** What an address on the command line can name. */
export type ResourceKind = 'guest' | 'host';

/** One guest or host an address may name, as code or state has it. */
export interface AddressEntry {
  kind: ResourceKind;
  name: string;
  /** Its construct path (`tokyo/web-host-01/web-01`). */
  path: string;
}

/** The Terraform resource types hvkit generates (`resourceType` of a fleet). */
const RESOURCE_TYPES = ['null_resource', 'terraform_data'] as const;

/**
 * The Terraform resource name of a guest or host, as the generated Terraform
 * and `plan --json` have it: named by kind, so a guest and a host of the same
 * name do not collide.
 */
export function resourceName(kind: ResourceKind, name: string): string {
  return `${kind}_${name}`;
}

/**
 * The guest or host a Terraform resource address names
 * (`null_resource.guest_web-01`, `terraform_data.host_web-host-01`), or
 * undefined when the address has another shape.
 */
export function parseResourceAddress(address: string): { type: string; kind: ResourceKind; name: string } | undefined {
  const dot = address.indexOf('.');
  const type = address.slice(0, dot);
  if (dot < 0 || !(RESOURCE_TYPES as readonly string[]).includes(type)) return undefined;
  const rest = address.slice(dot + 1);
  for (const kind of ['guest', 'host'] as const) {
    const prefix = resourceName(kind, '');
    if (rest.startsWith(prefix) && rest.length > prefix.length) return { type, kind, name: rest.slice(prefix.length) };
  }
  return undefined;
}

/** An address resolved to one guest or host, or why it names none (one line, without the address itself). */
export type Resolved = { ok: true; kind: ResourceKind; name: string; path: string } | { ok: false; error: string };

/**
 * The guest or host an address names: a guest or host name, a construct path,
 * or a Terraform resource address (`null_resource.guest_web-01`). Entries may
 * repeat one guest or host (code's and state's); they count once.
 *
 * Errors read the same for every command: an unknown address names the
 * closest known one in the form it was given (name, path or resource
 * address), or none when nothing is close; a name that is both a host's and a
 * guest's asks for the construct path.
 * @param where what the entries come from, for the error @default 'code or state'
 */
export function resolveResource(address: string, entries: readonly AddressEntry[], where = 'code or state'): Resolved {
  const tf = parseResourceAddress(address);
  const byPath = !tf && address.includes('/');
  const matches = entries.filter((e) => (tf ? e.kind === tf.kind && e.name === tf.name : byPath ? e.path === address : e.name === address));
  const found = [...new Map(matches.map((e) => [`${e.kind}:${e.name}`, e])).values()];
  if (found.length === 1) return { ok: true, kind: found[0].kind, name: found[0].name, path: found[0].path };
  if (found.length > 1) {
    const paths = [...found].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'host' ? -1 : 1)).map((e) => e.path);
    return { ok: false, error: `names both a host and a guest; give the construct path of the one you mean (${paths.join(' or ')})` };
  }
  const known = tf ? entries.filter((e) => e.kind === tf.kind).map((e) => e.name) : entries.map((e) => (byPath ? e.path : e.name));
  const near = nearest(tf ? tf.name : address, [...new Set(known)].sort())[0];
  const shown = near === undefined ? undefined : tf ? `${tf.type}.${resourceName(tf.kind, near)}` : near;
  return {
    ok: false,
    error: `no guest or host of that name or construct path in ${where}${shown ? `; did you mean '${printable(shown)}'?` : '; `hvkit state list` shows what state records'}`,
  };
}

import type { Diagnostic } from '../diagnostics';
import { HvkitError } from '../errors';
import { printable } from '../manifest/names';
import { resolveResource } from '../manifest/resource-address';
import type { GuestSpec, HostSpec, Manifest } from '../manifest/types';
import { addressEntries } from '../state/addresses';
import { own, type State } from '../state/types';
import { withRecordedIdentities } from './identities';
import type { PlanScope } from './plan-file';

/**
 * Addresses as the command line gives them (repeated flags, comma-separated
 * lists) in one canonical order, so a saved plan and a command compare equal.
 */
export function normalizeAddresses(addresses: readonly string[] | undefined): string[] {
  return [...new Set((addresses ?? []).flatMap((a) => a.split(',')).map((a) => a.trim()).filter(Boolean))].sort();
}

/**
 * The scope a command line asks for (`--target`, `--replace`, `--destroy`),
 * normalized, with empty lists left out: a plain plan is `{ kind: 'plan' }`,
 * as plans saved before targeting existed say.
 */
export function planScope(opts: { targets?: readonly string[]; replace?: readonly string[]; destroy?: boolean }): PlanScope {
  const targets = normalizeAddresses(opts.targets);
  const replace = normalizeAddresses(opts.replace);
  if (opts.destroy) {
    if (replace.length) throw new HvkitError('--replace recreates guests and --destroy removes them: use one or the other');
    return { kind: 'destroy', ...(targets.length ? { targets } : {}) };
  }
  return { kind: 'plan', ...(targets.length ? { targets } : {}), ...(replace.length ? { replace } : {}) };
}

/** Guests and hosts named by `--target` / `--replace` addresses. */
export interface Named {
  guests: ReadonlySet<string>;
  hosts: ReadonlySet<string>;
}

/**
 * Resolves the addresses of `flag` (`--target`, `--replace`): each a guest
 * name, a host name, a construct path as code or state has it, or the
 * resource address of `plan --json` (`null_resource.guest_web-01`), as
 * `resolveResource` reads them.
 */
export function resolveAddresses(flag: string, addresses: readonly string[], manifest: Manifest, state: State | undefined): Named {
  const guests = new Set<string>();
  const hosts = new Set<string>();
  if (addresses.length === 0) return { guests, hosts };
  const entries = addressEntries(manifest, state);
  for (const address of addresses) {
    const r = resolveResource(address, entries);
    if (!r.ok) throw new HvkitError(`${flag} ${printable(address)}: ${r.error}`);
    (r.kind === 'guest' ? guests : hosts).add(r.name);
  }
  return { guests, hosts };
}

/** A `--target`ed manifest and what the planner must know to plan it. */
export interface TargetedManifest {
  manifest: Manifest;
  /** Guests left as state records them: the planner must not restart them for a config that renders differently now. */
  keep: string[];
  /** Every guest the plan may change. */
  guests: string[];
  /** Every host the plan may change. */
  hosts: string[];
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The world a `--target`ed apply leaves, as a manifest: the targeted guests
 * (those named, and every guest code places on or state records on a named
 * host) as code has them, the hosts they depend on (where they are and where
 * they go: an added host, a memory change) as code has them, and everything
 * else as state records it (absent when state has no record). Planning it as
 * usual makes fit, ordering and the step-by-step simulation judge exactly
 * what will run, so a targeted plan can never count on room the untargeted
 * part of the code would free. A host named itself takes its own change,
 * retirement included; a host that only a targeted guest depends on keeps its
 * record when code retires it (the retire is not the guest's dependency).
 */
export function targetedManifest(code: Manifest, state: State | undefined, named: Named): TargetedManifest {
  // Identities as the full plan would assign them, so a targeted new guest gets the same MACs and UUID.
  const manifest = withRecordedIdentities(code, state);
  const recorded = state?.guests ?? {};
  const inCode = new Map(manifest.guests.map((g) => [g.name, g]));
  const targeted = new Set(named.guests);
  for (const g of manifest.guests) if (named.hosts.has(g.host)) targeted.add(g.name);
  for (const [name, r] of Object.entries(recorded)) if (named.hosts.has(r.spec.host)) targeted.add(name);
  // A renamed guest (`movedFrom`, where the spec has it) takes its old record along: left untargeted, it would stay beside it.
  for (const name of [...targeted]) {
    const from = (inCode.get(name) as { movedFrom?: unknown } | undefined)?.movedFrom;
    if (typeof from === 'string' && own(recorded, from)) targeted.add(from);
  }
  const needed = new Set<string>(named.hosts);
  for (const name of targeted) {
    const c = inCode.get(name);
    if (c) needed.add(c.host);
    const r = own(recorded, name);
    if (r) needed.add(r.spec.host);
  }

  const guests: GuestSpec[] = [];
  const keep: string[] = [];
  for (const name of [...new Set([...inCode.keys(), ...Object.keys(recorded)])].sort()) {
    const spec = targeted.has(name) ? inCode.get(name) : own(recorded, name)?.spec;
    if (!spec) continue;
    guests.push(spec);
    if (!targeted.has(name)) keep.push(name);
  }
  const hostsInCode = new Map(manifest.hosts.map((h) => [h.name, h]));
  const hostOf = (name: string): HostSpec | undefined => {
    const rec = own(state?.hosts, name)?.spec;
    if (named.hosts.has(name)) return hostsInCode.get(name);
    if (needed.has(name)) return hostsInCode.get(name) ?? rec;
    return rec;
  };
  const hosts = new Map<string, HostSpec>();
  for (const name of new Set([...hostsInCode.keys(), ...Object.keys(state?.hosts ?? {})])) {
    const spec = hostOf(name);
    if (spec) hosts.set(name, spec);
  }
  // A kept guest must keep a host to stand on, whatever the records of hosts say.
  for (const g of guests) {
    const h = hosts.has(g.host) ? undefined : (hostsInCode.get(g.host) ?? own(state?.hosts, g.host)?.spec);
    if (h) hosts.set(g.host, h);
  }
  return {
    manifest: { ...manifest, hosts: [...hosts.values()].sort(byName), guests },
    keep,
    guests: [...targeted].sort(),
    hosts: [...needed].sort(),
  };
}

/**
 * Refuses a `--replace` the plan could not carry out as asked: a guest that
 * is not deployed, that code removes, or that also moves to another host.
 */
export function checkReplace(guests: ReadonlySet<string>, hosts: ReadonlySet<string>, manifest: Manifest, state: State | undefined): void {
  for (const h of [...hosts].sort()) {
    throw new HvkitError(`--replace ${h}: is a host; --replace takes guests (to recreate every guest of a host from code, use \`hvkit rebuild ${h}\`)`);
  }
  if (guests.size === 0) return;
  const inCode = new Map(manifest.guests.map((g) => [g.name, g]));
  for (const name of [...guests].sort()) {
    const rec = own(state?.guests, name)?.spec;
    const code = inCode.get(name);
    if (!rec) throw new HvkitError(`--replace ${name}: is not deployed (state has no record of it), so there is nothing to replace; \`hvkit apply\` creates it`);
    if (!code) throw new HvkitError(`--replace ${name}: code no longer has it, so the plan destroys it; there is nothing to create again`);
    if (code.host !== rec.host) throw new HvkitError(`--replace ${name}: it also moves ${rec.host} → ${code.host} in code; apply the move first, then replace it`);
  }
}

/** The warning of a partial plan, in the words Terraform users know. */
export function targetingWarning(manifest: Manifest, addresses: readonly string[], scope: { guests: readonly string[]; hosts: readonly string[] }, destroy: boolean): Diagnostic {
  const list = (what: string, xs: readonly string[]) => (xs.length ? `${what} ${xs.join(', ')}` : '');
  const covers = [list(xs(scope.guests.length, 'guest'), scope.guests), list(xs(scope.hosts.length, 'host'), scope.hosts)].filter(Boolean).join(' and ') || 'nothing';
  const head = `Resource targeting is in effect (--target ${addresses.join(', ')}):`;
  const message = destroy
    ? `${head} the destroy covers only the ${covers}; everything else stays as it is`
    : `${head} the plan covers only the ${covers}; every other change in code is left out and its guests and hosts stay as state records them, so the plan may be incomplete. Run \`hvkit plan\` without --target to see every change code asks for`;
  return { severity: 'warning', code: 'targeting', path: manifest.path, message };
}

function xs(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

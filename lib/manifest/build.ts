import { DEFAULT_CAPACITY } from './defaults';
import { ValidationError } from '../errors';
import { guestOf } from './build-guest';
import { byName, capacityOf, hostOf, providerOf, reserveProps, type FleetDefaults } from './build-host';
import { unplacedGuests } from './build-unplaced';
import { Collector, isRecord, shown } from './check';
import { lifecycleProps } from './lifecycle';
import { movedFromProblems } from './moved-from';
import { DerivedIds, IdentityRegistry } from './identities';
import { BRIDGE, checkDnsLabel, printable } from './names';
import { PROP_KEYS, type FleetInput } from './props';
import { checkBuiltManifest } from './schema';
import { stateBackendProps } from './state-backend';
import { MANIFEST_FORMAT_VERSION, N_PLUS_ONE_POLICIES, type GuestSpec, type HostSpec, type Manifest, type NPlusOnePolicy, type PlacementSpec, type UnplacedGuestSpec } from './types';

/**
 * Turns the construct tree into the canonical manifest: every default filled
 * in, sizes as integer MiB, hosts and guests sorted by name, every prop
 * checked for type and range (unknown props refused), no MAC or UUID shared
 * by two guests. Every problem is collected and thrown once as a
 * ValidationError naming construct paths; the result is held to the manifest
 * schema before it is returned. Fit is not checked here.
 */
export function buildManifest(fleet: FleetInput): Manifest {
  const c = new Collector();
  for (const p of fleet.treeProblems ?? []) c.add(p.path, p.message);
  const nameMsg = checkDnsLabel('fleet', fleet.name);
  if (nameMsg) c.add(fleet.path, nameMsg);
  const fp = c.record(fleet.path, 'fleet props', fleet.props, "{ provider: 'xen' }") ?? {};
  c.keys(fleet.path, fp, PROP_KEYS.fleet);
  const defaults: FleetDefaults = {
    fleet: typeof fleet.name === 'string' ? fleet.name : '',
    provider: providerOf(c, fleet.path, fp.provider ?? 'local'),
    capacity: capacityOf(c, fleet.path, DEFAULT_CAPACITY, fp.capacity),
    reserve: reserveProps(c, fleet.path, fp.reserve),
  };
  const fleetLifecycle = lifecycleProps(c, fleet.path, fp.lifecycle);
  const bridge = c.pattern(fleet.path, 'bridge', fp.bridge ?? 'br0', BRIDGE, 'use a Linux interface name of at most 15 characters');
  const rt = fp.resourceType ?? 'null_resource';
  const resourceType = rt === 'terraform_data' ? rt : 'null_resource';
  if (rt !== resourceType) c.add(fleet.path, `resourceType ${shown(rt)} must be 'null_resource' or 'terraform_data'`);
  const state = stateBackendProps(c, fleet.path, fp.state);
  const nPlusOne = nPlusOneOf(c, fleet.path, fp.nPlusOne);

  const hosts: HostSpec[] = [];
  const guests: { spec: GuestSpec; explicit: boolean[]; provider: HostSpec['provider'] }[] = [];
  const hostNames = new Map<string, string>();
  const guestNames = new Map<string, string>();
  for (const h of c.list(fleet.path, 'hosts', fleet.hosts, '[]') as FleetInput['hosts']) {
    const spec = hostOf(c, h, defaults);
    const prev = hostNames.get(spec.name);
    if (prev) c.add(h.path, `host name '${printable(spec.name)}' is already used by ${prev}: host names must be unique in the fleet`);
    hostNames.set(spec.name, h.path);
    hosts.push(spec);
    const hostLifecycle = lifecycleProps(c, h.path, isRecord(h.props) ? h.props.lifecycle : undefined);
    for (const g of c.list(h.path, 'guests', h.guests, '[]') as typeof h.guests) {
      const name = typeof g.name === 'string' ? g.name : '';
      const other = guestNames.get(name);
      if (other) c.add(g.path, `guest name '${printable(name)}' is already used by ${other}: guest names must be unique across the fleet`);
      guestNames.set(name, g.path);
      const built = guestOf(c, g, spec, bridge, [hostLifecycle, fleetLifecycle]);
      guests.push({ spec: built.spec, explicit: built.explicit, provider: spec.provider });
    }
  }
  const placement = new Map<GuestSpec, PlacementSpec>();
  for (const u of unplacedGuests(c, fleet, hosts, defaults.provider, bridge, fleetLifecycle)) {
    const other = guestNames.get(u.spec.name);
    if (other) c.add(u.path, `guest name '${printable(u.spec.name)}' is already used by ${other}: guest names must be unique across the fleet`);
    guestNames.set(u.spec.name, u.path);
    placement.set(u.spec, u.placement);
    guests.push({ spec: u.spec, explicit: u.explicit, provider: u.placement.provider });
  }
  // Placed and unplaced guests together, by name: a guest's MACs do not change when code pins or unpins it.
  guests.sort((a, b) => byName(a.spec, b.spec));
  const explicitMacs = assignIdentities(c, typeof fleet.name === 'string' ? fleet.name : '', guests);
  for (const p of movedFromProblems(guests.map((g) => g.spec))) c.add(p.path, p.message);
  if (c.problems.length) throw new ValidationError(c.problems);
  const unplaced: UnplacedGuestSpec[] = [];
  for (const g of guests) {
    const p = placement.get(g.spec);
    // Keys in sorted order, as every other object of the manifest ('placement' sorts between 'path' and 'power').
    if (p) unplaced.push(Object.fromEntries(Object.entries({ ...g.spec, placement: p }).sort(([a], [b]) => (a < b ? -1 : 1))) as unknown as UnplacedGuestSpec);
  }
  // Every object is built with its keys in sorted order, so JSON.stringify of a
  // manifest is already its canonical form (see manifestDigest).
  return checkBuiltManifest({
    capacity: defaults.capacity,
    explicitMacs,
    fleet: fleet.name,
    formatVersion: MANIFEST_FORMAT_VERSION,
    guests: guests.filter((g) => !placement.has(g.spec)).map((g) => g.spec),
    hosts: hosts.sort(byName),
    path: fleet.path,
    resourceType,
    // Only when code sets it: every other fleet's manifest (and digest) stays as it was.
    ...(state ? { state } : {}),
    ...(nPlusOne ? { nPlusOne } : {}),
    ...(unplaced.length ? { unplaced } : {}),
  });
}

/** The Fleet's `nPlusOne` prop as checked; undefined when code does not set it (the manifest then has no key). */
function nPlusOneOf(c: Collector, path: string, value: unknown): NPlusOnePolicy | undefined {
  if (value === undefined) return undefined;
  if ((N_PLUS_ONE_POLICIES as readonly unknown[]).includes(value)) return value as NPlusOnePolicy;
  c.add(path, `nPlusOne ${shown(value)} must be ${N_PLUS_ONE_POLICIES.map((p) => `'${p}'`).join(' or ')}`);
  return undefined;
}

/**
 * Gives every guest its UUID and every NIC without a MAC in code its MAC,
 * derived from the fleet and guest names. MACs written in code are claimed
 * first (two equal ones are an error naming both); derived ones follow in
 * guest-name order and move to their next try when taken, so none collide.
 * Returns the MACs written in code, sorted.
 */
function assignIdentities(c: Collector, fleet: string, guests: { spec: GuestSpec; explicit: boolean[]; provider: HostSpec['provider'] }[]): string[] {
  const reg = new IdentityRegistry();
  const explicitMacs: string[] = [];
  for (const { spec, explicit } of guests) {
    spec.nics.forEach((n, i) => {
      if (!explicit[i] || n.mac === '') return;
      const prev = reg.claimMac(n.mac, `${spec.path} nics[${i}]`);
      if (prev) c.add(spec.path, `nics[${i}].mac '${n.mac}' is also set on ${prev}: a MAC must be unique in the fleet; change one of them (or leave it out to have one derived)`);
      else explicitMacs.push(n.mac);
    });
  }
  for (const { spec, explicit, provider } of guests) {
    const ids = new DerivedIds(provider, fleet, spec.name);
    spec.uuid = reg.deriveUuid(ids, spec.path);
    spec.nics.forEach((n, i) => {
      if (explicit[i]) return;
      const mac = reg.deriveMac(ids, i, spec.path);
      if (mac === undefined) c.add(spec.path, `nics[${i}] found no free MAC to derive: set nics[${i}].mac`);
      n.mac = mac ?? '';
    });
  }
  return explicitMacs.sort();
}

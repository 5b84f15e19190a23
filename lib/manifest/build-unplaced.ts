import { guestOf, type Candidates } from './build-guest';
import { providerOf, tagsOf } from './build-host';
import { isRecord, type Collector } from './check';
import { lifecycleProps } from './lifecycle';
import { checkDnsLabel, printable } from './names';
import { PROP_KEYS, type FleetInput, type GuestInput } from './props';
import type { GuestLifecycle, GuestSpec, HostSpec, PlacementSpec, ProviderName } from './types';

/** A guest code created in the Fleet or a HostGroup, built; its identities are given out with every other guest's. */
export interface BuiltUnplaced {
  path: string;
  spec: GuestSpec;
  explicit: boolean[];
  placement: PlacementSpec;
}

interface Scope {
  group: string | null;
  provider: ProviderName;
  selector: Record<string, string>;
  /** Lifecycle props of the group (when in one) and the fleet, nearest first. */
  inherited: Partial<GuestLifecycle>[];
  /** Where the selector comes from, for the error of a guest's own that contradicts it. */
  path: string;
}

/**
 * The guests code does not put on a host: created in the Fleet (any host of
 * the fleet's provider, narrowed by their `hostSelector`) or in a HostGroup
 * (its provider and selector, ANDed with the guest's). Hosts must be built
 * first: a disk a guest names must be on some host it may go to.
 */
export function unplacedGuests(c: Collector, fleet: FleetInput, hosts: readonly HostSpec[], fleetProvider: ProviderName, bridge: string, fleetLifecycle: Partial<GuestLifecycle>): BuiltUnplaced[] {
  const out: BuiltUnplaced[] = [];
  const cache = new Map<string, Candidates>();
  const inFleet: Scope = { group: null, provider: fleetProvider, selector: {}, inherited: [fleetLifecycle], path: fleet.path };
  for (const g of c.list(fleet.path, 'guests', fleet.guests ?? [], '[]') as readonly GuestInput[]) out.push(unplacedOf(c, g, inFleet, hosts, bridge, cache));
  const groupNames = new Map<string, string>();
  for (const grp of c.list(fleet.path, 'groups', fleet.groups ?? [], '[]') as NonNullable<FleetInput['groups']>) {
    const nameMsg = checkDnsLabel('host group', grp.name);
    if (nameMsg) c.add(grp.path, nameMsg);
    const prev = groupNames.get(grp.name);
    if (prev) c.add(grp.path, `host group name '${printable(grp.name)}' is already used by ${prev}: HostGroup names must be unique in the fleet`);
    groupNames.set(grp.name, grp.path);
    const p = c.record(grp.path, 'HostGroup props', grp.props, "{ selector: { rack: 'b' } }") ?? {};
    c.keys(grp.path, p, PROP_KEYS.hostGroup);
    const scope: Scope = {
      group: typeof grp.name === 'string' ? grp.name : '',
      provider: p.provider === undefined ? fleetProvider : providerOf(c, grp.path, p.provider),
      selector: tagsOf(c, grp.path, p.selector, 'selector'),
      inherited: [lifecycleProps(c, grp.path, isRecord(p) ? p.lifecycle : undefined), fleetLifecycle],
      path: grp.path,
    };
    for (const g of c.list(grp.path, 'guests', grp.guests, '[]') as readonly GuestInput[]) out.push(unplacedOf(c, g, scope, hosts, bridge, cache));
  }
  return out;
}

function unplacedOf(c: Collector, g: GuestInput, scope: Scope, hosts: readonly HostSpec[], bridge: string, cache: Map<string, Candidates>): BuiltUnplaced {
  const own = tagsOf(c, g.path, isRecord(g.props) ? g.props.hostSelector : undefined, 'hostSelector');
  const selector: Record<string, string> = { ...scope.selector };
  for (const k of Object.keys(own)) {
    if (k in selector && selector[k] !== own[k]) {
      c.add(g.path, `hostSelector ${k}=${printable(own[k])} contradicts ${scope.path}'s selector ${k}=${printable(selector[k])}: no host carries both; drop one of them`);
    }
    selector[k] = own[k];
  }
  const sorted = Object.fromEntries(Object.keys(selector).sort().map((k) => [k, selector[k]]));
  // Guests of one group mostly share provider and selector: their candidates are found once.
  const key = JSON.stringify([scope.provider, sorted]);
  let at = cache.get(key);
  if (!at) {
    const matching = candidateHosts(hosts, scope.provider, sorted);
    at = { hosts: matching, diskNames: new Set(matching.flatMap((h) => h.disks.map((d) => d.name))), describe: describeCandidates(scope.provider, sorted) };
    cache.set(key, at);
  }
  const built = guestOf(c, g, at, bridge, scope.inherited);
  return { path: g.path, spec: built.spec, explicit: built.explicit, placement: { group: scope.group, provider: scope.provider, selector: sorted } };
}

/** Hosts of `provider` carrying every tag of `selector`: the hosts placement may choose from. */
export function candidateHosts(hosts: readonly HostSpec[], provider: ProviderName, selector: Readonly<Record<string, string>>): HostSpec[] {
  return hosts.filter((h) => h.provider === provider && Object.keys(selector).every((k) => h.tags[k] === selector[k]));
}

/** "hosts of provider local with tags rack=b, role=db": what a guest's provider and selector allow, in words. */
export function describeCandidates(provider: ProviderName, selector: Readonly<Record<string, string>>): string {
  const tags = Object.keys(selector).sort().map((k) => `${k}=${printable(selector[k])}`);
  return `hosts of provider ${provider}${tags.length ? ` with tags ${tags.join(', ')}` : ''}`;
}

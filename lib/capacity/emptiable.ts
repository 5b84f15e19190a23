import type { GuestSpec, HostSpec } from '../manifest/types';
import { Packing } from './placement';
import { evacuate, type Movable, type MovableAsk } from './rebalance';

/** A host as it runs: its spec, its guests, and the memory it reports. */
export interface FleetHost {
  spec: HostSpec;
  guests: readonly GuestSpec[];
  /** Memory the host reports; @default the host's coded memory */
  installed?: number;
}

/** A host whose guests would all fit elsewhere, with where each would go. */
export interface Emptiable {
  host: string;
  moves: { guest: string; to: string }[];
}

/**
 * Hosts that could be emptied, each on its own: the rebalancer's evacuation
 * (`evacuate` in rebalance.ts, the same engine as `plan --rebalance`) to the
 * other hosts in use. Emptying a host onto one that runs nothing would not
 * lower the hosts in use, so empty hosts take nothing here.
 * @param movable the guests that may move, with their provider, selector and
 *   code's disks, as `plan --rebalance` has them (code known); every other
 *   guest is pinned. @default every guest movable to any host of its
 *   provider (state alone: code's pins and selectors unknown)
 */
export function emptiableHosts(hosts: readonly FleetHost[], movable?: Movable): Emptiable[] {
  const packing = new Packing(hosts.map((h) => ({ spec: h.spec, guests: h.guests, installed: h.installed })));
  movable ??= everyGuest(hosts);
  const out: Emptiable[] = [];
  for (const host of packing.hosts) {
    if (!packing.inUse(host)) continue;
    const e = evacuate(packing, host, movable);
    if (e.ok) out.push({ host, moves: e.moves.map((m) => ({ guest: m.guest, to: m.to })) });
  }
  return out;
}

function everyGuest(hosts: readonly FleetHost[]): Movable {
  const movable = new Map<string, MovableAsk>();
  for (const h of hosts) for (const g of h.guests) movable.set(g.name, { provider: h.spec.provider });
  return movable;
}

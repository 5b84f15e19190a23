import type { Manifest } from '../manifest/types';
import type { Named } from '../plan/targets';
import type { State } from '../state/types';

/** The world `hvkit destroy` leaves, as a manifest the planner plans towards. */
export interface DestroyedWorld {
  manifest: Manifest;
  /** Guests that stay exactly as recorded (a targeted destroy): never restarted for a config that renders differently now. */
  keep: string[];
  /** The guests destroyed. */
  guests: string[];
  /** The hosts whose records are retired. */
  hosts: string[];
}

/**
 * What is left after `hvkit destroy`: nothing, or with targets, everything
 * state records except the named guests and the named hosts with every guest
 * recorded on them. It is built from state, not code: a destroy carries out
 * no change of code, so what stays is planned as a no-op. Everything that
 * goes is an ordinary `delete` of a guest or `retire` of a host record, so
 * every check on those (data loss, protected guests, a host that still runs
 * domains) applies as in any plan.
 */
export function destroyedWorld(code: Manifest, state: State | undefined, named?: Named): DestroyedWorld {
  const guests = Object.values(state?.guests ?? {}).map((r) => r.spec).sort((a, b) => (a.name < b.name ? -1 : 1));
  const hosts = Object.values(state?.hosts ?? {}).map((r) => r.spec).sort((a, b) => (a.name < b.name ? -1 : 1));
  const goneHost = (h: string) => !named || named.hosts.has(h);
  const gone = guests.filter((g) => !named || named.guests.has(g.name) || named.hosts.has(g.host));
  const kept = guests.filter((g) => !gone.includes(g));
  return {
    manifest: { ...code, hosts: hosts.filter((h) => !goneHost(h.name)), guests: kept },
    keep: kept.map((g) => g.name),
    guests: gone.map((g) => g.name),
    hosts: hosts.filter((h) => goneHost(h.name)).map((h) => h.name),
  };
}

/**
 * The state a destroy is planned against: refresh's view of where guests run
 * (a guest moved outside hvkit is destroyed where it is), but with every
 * guest state records, including those refresh found missing, which an
 * ordinary plan leaves out to create them again (a shut-off guest it keeps,
 * to start it): a destroy must destroy them, or their records would
 * outlive it.
 */
export function destroyState(drifted: State | undefined, recorded: State | undefined): State | undefined {
  if (!drifted || !recorded) return drifted;
  const dropped = Object.keys(recorded.guests).filter((n) => !Object.hasOwn(drifted.guests, n));
  if (dropped.length === 0) return drifted;
  return { ...drifted, guests: { ...drifted.guests, ...Object.fromEntries(dropped.map((n) => [n, recorded.guests[n]])) } };
}

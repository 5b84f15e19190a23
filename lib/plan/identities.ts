import { DerivedIds, IdentityRegistry } from '../manifest/identities';
import type { GuestSpec, Manifest } from '../manifest/types';
import { own, type State } from '../state/types';

/**
 * The manifest as the planner compares it with state: a guest already
 * deployed keeps the UUID and the derived MACs state records, so a change of
 * how identities are derived never replaces (UUID) or restarts (MAC) a running
 * guest. MACs written in code always win. Identities stay unique across
 * recorded and new guests: a new guest, or a NIC whose recorded MAC another
 * guest's code now claims, gets the next free derived one. Two recorded guests
 * that share a MAC (state written before derivation took the fleet into
 * account) keep it for the first by name; the other gets a new one.
 */
export function withRecordedIdentities(m: Manifest, state: State | undefined): Manifest {
  const recorded = state?.guests ?? {};
  const names = Object.keys(recorded);
  if (names.length === 0) return m;
  const explicit = new Set(m.explicitMacs);
  const reg = new IdentityRegistry();
  for (const g of m.guests) for (const n of g.nics) if (explicit.has(n.mac)) reg.claimMac(n.mac, g.name);

  // Guests staying in code first, by name (m.guests is sorted); then those leaving, which run until destroyed.
  const uuids: (string | undefined)[] = [];
  const macs: (string | undefined)[][] = [];
  const inCode = new Set<string>();
  m.guests.forEach((g, gi) => {
    inCode.add(g.name);
    const rec = own(recorded, g.name)?.spec;
    uuids[gi] = rec && reg.claimUuid(rec.uuid, g.name) === undefined ? rec.uuid : undefined;
    macs[gi] = g.nics.map((n, i) => {
      if (explicit.has(n.mac)) return n.mac;
      const was = rec?.nics[i]?.mac;
      return was !== undefined && reg.claimMac(was, g.name) === undefined ? was : undefined;
    });
  });
  for (const name of names.sort()) {
    if (inCode.has(name)) continue;
    const rec = own(recorded, name)!.spec;
    reg.claimUuid(rec.uuid, name);
    for (const n of rec.nics) reg.claimMac(n.mac, name);
  }

  const providers = new Map(m.hosts.map((h) => [h.name, h.provider]));
  let changed = false;
  const guests = m.guests.map((g, gi): GuestSpec => {
    let ids: DerivedIds | undefined;
    const derived = () => (ids ??= new DerivedIds(providers.get(g.host) ?? 'local', m.fleet, g.name));
    // A new identity: the manifest's own if still free, else the next free derived one.
    const uuid = uuids[gi] ?? (reg.claimUuid(g.uuid, g.name) === undefined ? g.uuid : reg.deriveUuid(derived(), g.name));
    const nicMacs = g.nics.map((n, i) => macs[gi][i] ?? (reg.claimMac(n.mac, g.name) === undefined ? n.mac : (reg.deriveMac(derived(), i, g.name) ?? n.mac)));
    if (uuid === g.uuid && nicMacs.every((mac, i) => mac === g.nics[i].mac)) return g;
    changed = true;
    return { ...g, uuid, nics: g.nics.map((n, i) => ({ ...n, mac: nicMacs[i] })) };
  });
  return changed ? { ...m, guests } : m;
}

import type { Manifest } from '../manifest/types';
import type { AddressEntry } from '../manifest/resource-address';
import type { State } from './types';

/**
 * Every guest and host code declares and state records, as addresses may
 * name them (`resolveResource`): code's first, so a guest both know is shown
 * by the construct path code gives it.
 */
export function addressEntries(manifest: Manifest | undefined, state: State | undefined): AddressEntry[] {
  const entries: AddressEntry[] = [];
  for (const h of manifest?.hosts ?? []) entries.push({ kind: 'host', name: h.name, path: h.path });
  for (const g of manifest?.guests ?? []) entries.push({ kind: 'guest', name: g.name, path: g.path });
  for (const g of manifest?.unplaced ?? []) entries.push({ kind: 'guest', name: g.name, path: g.path });
  for (const [name, r] of Object.entries(state?.hosts ?? {})) entries.push({ kind: 'host', name, path: r.spec.path });
  for (const [name, r] of Object.entries(state?.guests ?? {})) entries.push({ kind: 'guest', name, path: r.spec.path });
  return entries;
}

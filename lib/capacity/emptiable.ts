import type { GuestSpec, HostSpec } from '../manifest/types';
import { admit, hostUsage, type HostUsage } from './admit';

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
 * Hosts that could be emptied, each on its own: every guest, largest memory
 * first, goes to the first other host of the same provider that admits it
 * (every hard limit, and soft limits the host treats as errors), counting
 * the guests already sent there.
 */
export function emptiableHosts(hosts: readonly FleetHost[]): Emptiable[] {
  const base = hosts.map((h) => hostUsage(h.spec, h.guests, h.installed));
  const out: Emptiable[] = [];
  hosts.forEach((h, i) => {
    if (h.guests.length === 0) return;
    const now = new Map<number, HostUsage>();
    const moves: Emptiable['moves'] = [];
    const order = [...h.guests].sort((a, b) => b.memoryMiB - a.memoryMiB || (a.name < b.name ? -1 : 1));
    for (const g of order) {
      let placed = false;
      for (let t = 0; t < hosts.length && !placed; t++) {
        if (t === i || hosts[t].spec.provider !== h.spec.provider) continue;
        const r = admit(now.get(t) ?? base[t], g);
        if (!r.ok) continue;
        now.set(t, r.usage);
        moves.push({ guest: g.name, to: hosts[t].spec.name });
        placed = true;
      }
      if (!placed) return;
    }
    out.push({ host: h.spec.name, moves });
  });
  return out;
}

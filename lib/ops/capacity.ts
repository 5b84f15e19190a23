import { headroom, type Headroom, type Shape } from '../capacity/headroom';
import { asksOf, packingOf } from '../capacity/n-plus-one';
import { HvkitError } from '../errors';
import { nearestName } from '../manifest/check';
import { printable } from '../manifest/names';
import { GUEST_MIN_MEMORY_MIB } from '../manifest/props';
import { parseSize } from '../manifest/size';
import type { Manifest } from '../manifest/types';
import { placementPolicy, placeUnplaced } from '../plan/placement';
import type { State } from '../state/types';

const SHAPE_KEYS = ['vcpus', 'memory', 'disk'] as const;
type ShapeKey = (typeof SHAPE_KEYS)[number];
const EXAMPLE = 'vcpus=2,memory=4GiB,disk=40GiB';

/**
 * `vcpus=2,memory=4GiB,disk=40GiB` as a shape: vcpus and memory required,
 * disk optional; sizes as code writes them (`lib/manifest/size.ts`). Any
 * mistake is one line naming it.
 */
export function parseShape(text: string): Shape {
  const bad = (why: string) => new HvkitError(`--shape ${why} (like ${EXAMPLE})`);
  const seen = new Map<ShapeKey, string>();
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw bad(`'${printable(part)}' is not key=value`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!(SHAPE_KEYS as readonly string[]).includes(key)) {
      const near = nearestName(key, SHAPE_KEYS);
      throw bad(`has no key '${printable(key)}': ${near ? `did you mean '${near}'?` : `use ${SHAPE_KEYS.join(', ')}`}`);
    }
    if (seen.has(key as ShapeKey)) throw bad(`names ${key} twice`);
    seen.set(key as ShapeKey, value);
  }
  const missing = SHAPE_KEYS.filter((k) => k !== 'disk' && !seen.has(k));
  if (missing.length) throw bad(`needs ${missing.join(' and ')}`);
  const vcpusText = seen.get('vcpus')!;
  const vcpus = Number(vcpusText);
  if (!/^\d+$/.test(vcpusText) || !Number.isSafeInteger(vcpus) || vcpus < 1) throw bad(`vcpus '${printable(vcpusText)}' must be a whole number of at least 1`);
  const size = (key: 'memory' | 'disk', min: number): number => {
    const raw = seen.get(key);
    if (raw === undefined) return 0;
    const r = parseSize(/^\d+$/.test(raw) ? Number(raw) : raw);
    if (!r.ok) throw bad(`${key}: ${r.error}`);
    if (r.mib < min) {
      // `memory=4` is 4 MiB, not 4 GiB: say so rather than count guests nobody means.
      const hint = /^\d+$/.test(raw) && Number(raw) > 0 ? `: a bare number is MiB: write ${key}=${raw}GiB` : '';
      throw new HvkitError(`--shape ${key} must be at least ${min}MiB, as for a guest${hint}`);
    }
    return r.mib;
  };
  return { vcpus, memoryMiB: size('memory', GUEST_MIN_MEMORY_MIB), diskMiB: size('disk', 0) };
}

/**
 * How many more guests of a shape the fleet takes as the plan leaves it: the
 * hosts and guests of the code, guests hvkit places where the next plan
 * places them (sticky to state), at the memory code gives each host.
 */
export function fleetHeadroom(manifest: Manifest, state: State | undefined, shape: Shape): FleetHeadroom {
  const placed = manifest.unplaced ? placeUnplaced(manifest, state, placementPolicy(manifest)) : { manifest, diagnostics: [] };
  const unplaceable = placed.diagnostics.filter((d) => d.code === 'unplaceable').map((d) => d.path);
  return { ...headroom(packingOf(placed.manifest), shape, asksOf(manifest.hosts, manifest)), unplaceable };
}

/** Headroom of a fleet, and the guests code leaves to placement that fit nowhere (counted as absent). */
export interface FleetHeadroom extends Headroom {
  /** Construct paths of guests placement cannot place; the headroom leaves them out. */
  unplaceable: string[];
}

/** `hvkit capacity --json`: exactly the issue's keys; the text table shows the rest (N+1 per host, hosts beyond N+1). */
export interface HeadroomJson {
  total: number;
  totalNPlusOne: number;
  hosts: { host: string; fits: number; limitedBy: string }[];
}

export function headroomJson(h: Headroom): HeadroomJson {
  return { total: h.total, totalNPlusOne: h.totalNPlusOne, hosts: h.hosts.map((r) => ({ host: r.host, fits: r.fits, limitedBy: r.limitedBy })) };
}

import type { GuestSpec } from '../manifest/types';
import type { GuestRecord } from './types';

/**
 * Values of guest spec fields that older hvkit versions did not record. A
 * state written before a field existed means its default: filling it in on
 * read keeps such a state planning "No changes" rather than an update of
 * every guest. The manifest schema lists these fields as optional so that
 * such a state still validates; synth always writes them.
 */
export const RECORDED_GUEST_DEFAULTS: Partial<GuestSpec> = {
  lifecycle: { ignoreChanges: [], preventDestroy: false },
  power: 'running',
  movedFrom: null,
};

/** The records with every field a current spec has. */
export function upgradeGuestRecords(guests: Record<string, GuestRecord>): Record<string, GuestRecord> {
  const missing = Object.keys(RECORDED_GUEST_DEFAULTS) as (keyof GuestSpec)[];
  if (missing.length === 0) return guests;
  const out: Record<string, GuestRecord> = {};
  for (const [name, rec] of Object.entries(guests)) {
    const absent = missing.filter((k) => !(k in rec.spec));
    out[name] = absent.length === 0 ? rec : { ...rec, spec: { ...structuredClone(pick(RECORDED_GUEST_DEFAULTS, absent)), ...rec.spec } };
  }
  return out;
}

function pick(from: Partial<GuestSpec>, keys: (keyof GuestSpec)[]): Partial<GuestSpec> {
  return Object.fromEntries(keys.map((k) => [k, from[k]]));
}

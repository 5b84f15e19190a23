import { asksOf, homelessText, nPlusOne, packingOf } from '../capacity/n-plus-one';
import type { Diagnostic, Severity } from '../diagnostics';
import type { Manifest } from '../manifest/types';

/** Guests a finding names before it counts the rest: a finding is read, not scanned. */
const NAMED = 5;

/**
 * The plan's N+1 finding on the fleet as the plan leaves it: one per host
 * whose loss the others could not absorb, naming what would be left without
 * a host; a warning, or an error under `nPlusOne: 'require'`. A fleet of one
 * host can never be N+1: it is said once, as a note (an error under require).
 * @param code the code as written: its `unplaced` guests keep their selectors; @default manifest
 */
export function nPlusOneFindings(manifest: Manifest, code: Pick<Manifest, 'unplaced' | 'nPlusOne'> = manifest): Diagnostic[] {
  const require = code.nPlusOne === 'require';
  if (manifest.guests.length === 0) return [];
  if (manifest.hosts.length === 1) {
    return [{
      severity: require ? 'error' : 'note', code: 'n-plus-one', path: manifest.path,
      message: `the fleet has one host, so losing it loses every guest (not N+1)${require ? ": nPlusOne is 'require': add a second host" : ': add a host to be able to recreate its guests'}`,
    }];
  }
  const severity: Severity = require ? 'error' : 'warning';
  const paths = new Map(manifest.hosts.map((h) => [h.name, h.path]));
  return nPlusOne(packingOf(manifest), asksOf(manifest.hosts, code)).map((loss) => {
    const named = loss.homeless.slice(0, NAMED).map(homelessText).join('; ');
    const more = loss.homeless.length > NAMED ? `; and ${loss.homeless.length - NAMED} more` : '';
    const n = loss.homeless.length;
    const which = n < loss.guests ? `${n} of its ${loss.guests} guests` : n === 1 ? 'its one guest' : `all ${n} of its guests`;
    return {
      severity, code: 'n-plus-one', path: paths.get(loss.host)!,
      message: `losing ${loss.host} would leave ${which} without a host (not N+1): ${named}${more}${require ? '' : "; add capacity or move guests (nPlusOne: 'require' makes this an error)"}`,
    };
  });
}

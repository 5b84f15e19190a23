import type { WeighedResource } from '../capacity/placement';
import { assertNever } from '../errors';
import { shortfallText } from '../plan/placement';
import type { Change, DisplacedCause, Plan, PlacementDecision } from '../plan/types';

const WORDS: Record<WeighedResource, string> = { memory: 'memory', vcpus: 'vCPUs', disk: 'disk space', cpu: 'CPU', iops: 'I/O', network: 'network' };

/**
 * A guest's placement in words: "placed on db-host-01: uses idle CPU and I/O;
 * memory after 91%". Undefined for a guest kept where it was (nothing to say
 * in a plan that does not move it).
 */
export function placementLine(d: PlacementDecision): string | undefined {
  switch (d.code) {
    case 'kept': return undefined;
    case 'placed': return `placed on ${d.host}: ${whyText(d)}`;
    case 're-placed': return `re-placed on ${d.host}: ${d.from ? `${causeText(d.from.host, d.from.cause)}; ` : ''}${whyText(d)}`;
    default: return assertNever(d.code, 'placement code');
  }
}

/** The placement line of a guest change, if the plan placed that guest. */
export function placementLineOf(plan: Plan, c: Change): string | undefined {
  if (c.kind !== 'guest' || !plan.placements) return undefined;
  // Indexed once per plan: a find per change made rendering 10,000 placed guests quadratic.
  let byGuest = INDEX.get(plan.placements);
  if (!byGuest) {
    byGuest = new Map();
    for (const p of plan.placements) if (!byGuest.has(p.guest)) byGuest.set(p.guest, p);
    INDEX.set(plan.placements, byGuest);
  }
  const d = byGuest.get(c.name);
  return d && placementLine(d);
}

const INDEX = new WeakMap<readonly PlacementDecision[], Map<string, PlacementDecision>>();

function whyText(d: PlacementDecision): string {
  const w = d.why;
  const parts: string[] = [];
  if (w.uses.length) parts.push(`uses idle ${list(w.uses.map((r) => WORDS[r]))}`);
  else if (!w.inUse) parts.push('starts a host that ran no guest');
  if (w.softCrossed.length) parts.push(`crosses the soft limit${w.softCrossed.length === 1 ? '' : 's'} ${list(w.softCrossed)} (no host could take it without)`);
  parts.push(`memory after ${Math.round(w.after.memory * 100)}%`);
  if (w.candidates > 1) parts.push(`best of ${w.candidates} hosts that fit it`);
  return parts.join('; ');
}

function causeText(host: string, c: DisplacedCause): string {
  switch (c.code) {
    case 'host-gone': return `${host} is no longer in code`;
    case 'not-selected': return `${host} no longer has the guest's provider and selected tags`;
    case 'no-longer-fits': return `${host} can no longer take it (${shortfallText(c.short, host)})`;
    case 'not-accepted': return `${host} would leave the fleet without N+1`;
    default: return assertNever(c, 'displaced cause');
  }
}

function list(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

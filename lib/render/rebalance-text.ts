import type { PlanRebalance } from '../plan/types';

/**
 * `plan --rebalance` in words, for every renderer: what it gains for the
 * fleet, then each host it empties. The migrations themselves are changes.
 */
export function rebalanceLines(r: PlanRebalance): { headline: string; emptied: string[] } {
  const n = r.moves.length;
  const t = r.totals;
  const cap = r.maxMoves !== undefined ? ` (at most ${r.maxMoves} by --max-moves)` : '';
  const headline = n === 0
    ? `nothing to gain${cap}: no guest hvkit placed can move to empty a host or to use capacity left stranded`
    : `${n} migration${n === 1 ? '' : 's'}${cap}: hosts in use ${t.hostsInUse.before} → ${t.hostsInUse.after}, stranded capacity ${t.stranded.before.toFixed(2)} → ${t.stranded.after.toFixed(2)} (host-fractions)`;
  return { headline, emptied: r.emptied.map((h) => `${h} is emptied: free to retire or power off once the plan is applied`) };
}

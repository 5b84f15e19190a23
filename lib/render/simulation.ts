import type { HostShape, RunFigures, Simulation } from '../capacity/simulate';
import { formatSize } from '../manifest/size';

/** What the text of `hvkit simulate` says besides the figures: how the run was set up. */
export interface SimulationSetup {
  arrivals: number;
  host: HostShape;
  overcommit: number;
  reserveMiB: number;
  hosts?: number;
}

/** The simulation as a sentence, a table (one row per placement rule) and how to read it. */
export function simulationText(s: Simulation, setup: SimulationSetup): { intro: string; head: string[]; rows: string[][]; outro: string } {
  const fixed = setup.hosts !== undefined;
  const rebalanced = s.migrations !== undefined;
  const head = ['PLACEMENT', 'PEAK HOSTS', 'MEAN HOSTS / BOUND', ...(rebalanced ? ['MIGRATIONS'] : []), ...(fixed ? ['FAILED', 'PLACED BEFORE 1ST FAILURE'] : []), 'DECISIONS/S'];
  const row = (name: string, r: RunFigures) => [
    name,
    String(r.peakHosts),
    r.meanHostsOverLowerBound.toFixed(4),
    ...(rebalanced ? [r.migrations === undefined ? '—' : String(r.migrations)] : []),
    ...(fixed ? [String(r.failedPlacements), String(r.placedBeforeFirstFailure)] : []),
    r.decisionsPerSecond.toLocaleString('en-US'),
  ];
  const intro =
    `Replayed ${setup.arrivals.toLocaleString('en-US')} VM requests on ${fixed ? `a fixed fleet of ${setup.hosts} hosts` : 'as many hosts as needed'}, each of ${setup.host.cpus} CPUs and ${formatSize(setup.host.memoryMiB)} ` +
    `(overcommit ${setup.overcommit}, reserve ${setup.reserveMiB ? formatSize(setup.reserveMiB) : '0, no per-guest overhead'}).`;
  const pct = (n: number) => `${(((n - s.peakLowerBound) / s.peakLowerBound) * 100).toFixed(1)}%`;
  // An empty trace has no bound to be over: say so instead of printing NaN%.
  if (setup.arrivals === 0) return { intro, head, rows: [row(rebalanced ? 'hvkit (rebalancing)' : 'hvkit', s), row('first-fit', s.reference.firstFit), row('best-fit', s.reference.bestFit)], outro: 'The trace has no requests: nothing to place, 0 hosts.' };
  const outro = [
    `Lower bound: ${s.peakLowerBound} host${s.peakLowerBound === 1 ? '' : 's'} (the busiest moment's ${fixed ? 'placed ' : ''}demand over one host's capacity, the scarcer resource; no packing needs fewer).`,
    fixed
      ? `${s.failedPlacements ? `${s.failedPlacements} request${s.failedPlacements === 1 ? '' : 's'} found no room: ${setup.hosts} hosts are too few for this demand with hvkit placement.` : `All requests fit on ${setup.hosts} hosts with hvkit placement.`}`
      : `Buy ${s.peakHosts} host${s.peakHosts === 1 ? '' : 's'} for this demand with hvkit placement (${pct(s.peakHosts)} over the bound; Best-Fit needs ${s.reference.bestFit.peakHosts}, First-Fit ${s.reference.firstFit.peakHosts}), plus what N+1 keeps spare.`,
    ...(s.oversized ? [`Left out: ${s.oversized.count} request${s.oversized.count === 1 ? '' : 's'} larger than an empty host (first: VM ${s.oversized.vmid} at ${s.oversized.first}); give --host more, raise --overcommit or lower --reserve to count ${s.oversized.count === 1 ? 'it' : 'them'}.`] : []),
  ].join('\n');
  return { intro, head, rows: [row(rebalanced ? 'hvkit (rebalancing)' : 'hvkit', s), row('first-fit', s.reference.firstFit), row('best-fit', s.reference.bestFit)], outro };
}

import { assertNever } from '../errors';
import type { Change, Plan } from '../plan/types';
import { detailsOf, interestingHosts, lossLine, markerOf, severityLabel, summaryLine, titleOf } from './describe';
import { fitTable } from './fit-table';
import { MEASURED_HEAD, measuredRows, measuredTitle } from './measured';
import { placementLineOf } from './placement-text';
import { rebalanceLines } from './rebalance-text';
import { columns } from './columns';
import type { Style } from './style';

function paintMarker(c: Change, s: Style, text: string): string {
  const { marker } = markerOf(c);
  switch (marker) {
    case '+': return s.paint('green', text);
    case '-': return s.paint('red', text);
    case '~': return s.paint('yellow', text);
    case '±': return s.paint('magenta', text);
    case '→': return s.paint('cyan', text);
    case ' ': return text;
    default: return assertNever(marker, 'marker');
  }
}

/** The plan for a terminal: fit table, changes, steps, findings, summary. */
export function renderText(plan: Plan, s: Style): string {
  const out: string[] = [];
  const shown = interestingHosts(plan);
  const fits = plan.fit.filter((f) => shown.has(f.host));
  const hidden = plan.fit.length - fits.length;
  out.push(s.paint('bold', `Fit of fleet ${plan.fleet}`) + ' (used before → after / capacity; memory, vCPUs and disk are hard limits, CPU load, IOPS and network soft)');
  if (fits.length) out.push(fitTable(fits, s));
  if (hidden > 0) out.push(`  … ${hidden} more host${hidden === 1 ? '' : 's'} without changes fit (\`hvkit hosts\` lists them)`);
  out.push('  Guests run about 10% slower on memory-bound work under virtualization (shown, not enforced).');
  out.push('');
  if (plan.measured) {
    out.push(s.paint('bold', measuredTitle(plan.measured)));
    const rows = measuredRows(plan.measured).map((r) => r.cells.map((c, i) => (i > 0 && r.over[i - 1] ? s.paint('yellow', c) : c)));
    out.push(columns([MEASURED_HEAD, ...rows]));
    out.push('');
  }

  if (plan.drift.length) {
    const partial = plan.drift.some((d) => d.leftOut);
    out.push(s.paint('bold', 'Drift') + ` (what the hypervisors run differs from state; ${partial ? 'the plan converges it where it is not marked left out by --target' : 'the plan converges it'})`);
    for (const d of plan.drift) out.push(`  ${s.paint('yellow', '!')} ${d.message}${d.leftOut ? s.paint('dim', ' (left out by --target)') : ''}`);
    out.push('');
  }

  const changes = plan.changes.filter((c) => c.action !== 'noop');
  if (changes.length) {
    out.push(s.paint('bold', 'Changes'));
    for (const c of changes) {
      const { marker } = markerOf(c);
      out.push(paintMarker(c, s, `  ${marker} ${titleOf(c)}`) + s.paint('dim', `  (${c.address})`));
      if (c.kind === 'guest' && c.dataLoss) out.push(`      ${s.paint('red', lossLine(c.dataLoss))}`);
      for (const line of detailsOf(c)) out.push(`      ${line}`);
      const placed = placementLineOf(plan, c);
      if (placed) out.push(`      ${placed}`);
    }
    out.push('');
    out.push(s.paint('bold', 'Steps') + ' (apply order; steps on different hosts run in parallel)');
    const index = new Map(plan.steps.map((st, i) => [st.id, i + 1]));
    for (const st of plan.steps) {
      const after = st.dependsOn.length ? s.paint('dim', ` after ${st.dependsOn.map((d) => `#${index.get(d)}`).join(', ')}`) : '';
      out.push(`  ${String(index.get(st.id)).padStart(3)}. ${st.description}${after}`);
    }
    out.push('');
  }

  if (plan.rebalance) {
    const r = rebalanceLines(plan.rebalance);
    out.push(s.paint('bold', 'Rebalance') + ` (--rebalance): ${r.headline}`);
    for (const line of r.emptied) out.push(`  ${s.paint('cyan', '○')} ${line}`);
    out.push('');
  }

  if (plan.diagnostics.length) {
    for (const d of plan.diagnostics) {
      const label = severityLabel(d);
      const painted = d.severity === 'error' ? s.paint('red', label) : d.severity === 'warning' ? s.paint('yellow', label) : s.paint('cyan', label);
      out.push(`${painted}: ${d.path}: ${d.message}`);
    }
    out.push('');
  }
  out.push(s.paint('bold', summaryLine(plan)));
  if (!plan.applyable) out.push(s.paint('red', 'This plan has errors and cannot be applied.'));
  return out.join('\n') + '\n';
}

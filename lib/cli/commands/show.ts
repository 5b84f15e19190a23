import { resolve } from 'node:path';
import type { Command } from 'commander';
import { assertNever } from '../../errors';
import { derivationFlags, loadPlan, type PlanDerivation } from '../../plan/plan-file';
import type { Io } from '../context';
import { withUsage } from '../help';
import { renderPlanOutput } from './plan';

/** What a saved plan is, in the words of the command that made it. */
function derivationText(d: PlanDerivation): string {
  switch (d.kind) {
    case 'plan': return d.replace?.length ? `a plan that replaces ${d.replace.join(', ')}` : 'a plan';
    case 'destroy': return d.targets?.length ? `a destroy of ${d.targets.join(', ')}` : 'a destroy of the fleet';
    case 'rebuild': return 'a rebuild';
    default: return assertNever(d, 'plan derivation');
  }
}

export function registerShow(program: Command, io: Io): void {
  withUsage(
    program
      .command('show <planfile>')
      .description('render a saved plan again (text, markdown or JSON, as `hvkit plan` printed it); reads no code and no state')
      .option('--json', 'print the plan as JSON (terraform show -json shape)')
      .option('--markdown', 'print the plan as markdown for a pull-request comment')
      .option('--no-color', 'plain output without colour (also NO_COLOR)'),
    {
      examples: [
        'hvkit show plan.bin                 # the text hvkit plan --out plan.bin printed',
        'hvkit show plan.bin --markdown > comment.md',
        'hvkit show plan.bin --json | jq \'.resource_changes[].change.actions\'',
      ],
      exitCodes: { 1: 'the file is missing, not a plan, cut short, edited, or of another plan format' },
    },
  ).action(async (planfile: string, opts: { json?: boolean; markdown?: boolean; color?: boolean }) => {
    const saved = loadPlan(resolve(io.cwd, planfile));
    await renderPlanOutput(io, saved.plan, saved.resourceType, opts);
    const derivation = saved.derivation ?? { kind: 'plan' };
    const flags = derivationFlags(derivation);
    // A file cannot ask for a rebuild, replace or destroy by itself: say how this one is applied, as `--out` did.
    if (flags.length && !opts.json && !opts.markdown) io.out(`\nThis plan is ${derivationText(derivation)}; apply it with: hvkit apply ${flags.join(' ')} ${planfile}\n`);
  });
}

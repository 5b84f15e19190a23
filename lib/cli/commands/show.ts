import { resolve } from 'node:path';
import type { Command } from 'commander';
import { derivationFlags, loadPlan } from '../../plan/plan-file';
import type { Io } from '../context';
import { withUsage } from '../help';
import { renderPlanOutput } from './plan';

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
    const flags = derivationFlags(saved.derivation ?? { kind: 'plan' });
    // A file cannot ask for a rebuild by itself: say how this one is applied, as `hvkit rebuild --out` did.
    if (flags.length && !opts.json && !opts.markdown) io.out(`\nThis plan is a rebuild; apply it with: hvkit apply ${flags.join(' ')} ${planfile}\n`);
  });
}

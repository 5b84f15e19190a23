import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { HvkitError } from '../../errors';
import { loadPlan } from '../../plan/plan-file';
import { renderHtml } from '../../render/html';
import { modelFromPlan, modelFromState } from '../../render/report-model';
import { addFleetOptions, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';

export function registerReport(program: Command, io: Io): void {
  addFleetOptions(
    program
      .command('report')
      .description('write a self-contained HTML capacity report (as deployed, or a saved plan before → after)')
      .requiredOption('--html <file>', 'where to write the report')
      .option('--plan <file>', 'show this saved plan before → after instead of what is deployed'),
  ).action(async (opts: FleetOptions & { html: string; plan?: string }) => {
    let model;
    if (opts.plan) model = modelFromPlan(loadPlan(resolve(io.cwd, opts.plan)).plan);
    else {
      const fleet = opts.fleet ?? (await loadFleet(io, opts)).fleet;
      const state = await stateStore(io, opts, fleet).read();
      if (!state) throw new HvkitError(`fleet ${fleet} has no state yet: apply it first, or report a plan with --plan FILE`);
      model = modelFromState(state);
    }
    const out = resolve(io.cwd, opts.html);
    try {
      writeFileSync(out, renderHtml(model));
    } catch (e) {
      throw new HvkitError(`cannot write the report to ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    io.out(`Wrote ${opts.html}: ${model.hosts.length} hosts, ${model.hosts.reduce((a, h) => a + h.guests.length, 0)} guests${model.hosts.some((h) => h.over) ? `, ${model.hosts.filter((h) => h.over).length} over-committed` : ''}.\n`);
  });
}

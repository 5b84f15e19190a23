import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { HvkitError } from '../../errors';
import { loadPlan } from '../../plan/plan-file';
import { renderHtml } from '../../render/html';
import { modelFromPlan, modelFromState } from '../../render/report-model';
import { addFleetOptions, type FleetOptions, type Io } from '../context';
import { sampleStoreBeside, stateStore, stateTarget } from '../fleet';
import { measuredForReport } from '../../ops/measured-load';
import { withUsage } from '../help';

export function registerReport(program: Command, io: Io): void {
  withUsage(addFleetOptions(
    program
      .command('report')
      .description('write a self-contained HTML capacity report (as deployed, or a saved plan before → after)')
      .requiredOption('--html <file>', 'where to write the report')
      .option('--plan <file>', 'show this saved plan before → after instead of what is deployed'),
  ), {
    examples: ['hvkit report --html report.html', 'hvkit report --html report.html --plan plan.bin  # before → after'],
    exitCodes: { 1: 'no state (or it records no hosts), an unreadable plan file, or the report cannot be written' },
  }).action(async (opts: FleetOptions & { html: string; plan?: string }) => {
    let model;
    if (opts.plan) {
      model = modelFromPlan(loadPlan(resolve(io.cwd, opts.plan)).plan);
      if (model.hosts.length === 0) throw new HvkitError(`the plan ${opts.plan} has no hosts before or after: there is nothing to report`);
    } else {
      // --state names the file itself, so the app need not run to find the fleet.
      const store = await stateStore(io, opts, await stateTarget(io, opts));
      const state = await store.read();
      if (!state) throw new HvkitError(`there is no state at ${store.location}: nothing is deployed to report; apply the fleet first, or report a plan with --plan FILE`);
      model = modelFromState(state, await measuredForReport(state, await sampleStoreBeside(io, store)));
      if (model.hosts.length === 0) throw new HvkitError(`the state at ${store.location} records no hosts: nothing is deployed to report; apply the fleet first, or report a plan with --plan FILE`);
    }
    const out = resolve(io.cwd, opts.html);
    try {
      writeFileSync(out, renderHtml(model));
    } catch (e) {
      throw new HvkitError(`cannot write the report to ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const guests = model.hosts.reduce((a, h) => a + h.guests.length, 0);
    io.out(`Wrote ${opts.html}: ${count(model.hosts.length, 'host')}, ${count(guests, 'guest')}${model.hosts.some((h) => h.over) ? `, ${model.hosts.filter((h) => h.over).length} over-committed` : ''}.\n`);
  });
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

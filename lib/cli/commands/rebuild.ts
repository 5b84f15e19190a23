import type { Command } from 'commander';
import { planRebuild } from '../../ops/rebuild';
import type { PlanDerivation } from '../../plan/plan-file';
import { style } from '../../render/style';
import { renderText } from '../../render/text';
import { addFleetOptions, useColor, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';
import { planBackend, planExitCode, savePlanFile } from './plan';
import { withUsage } from '../help';

interface RebuildCliOptions extends FleetOptions {
  out?: string;
  to?: string;
  forceWhileUp?: boolean;
  detailedExitcode?: boolean;
}

export function registerRebuild(program: Command, io: Io, setCode: (code: number) => void): void {
  withUsage(addFleetOptions(
    program
      .command('rebuild <host>')
      .description("plan the re-creation of every guest on a host from code (after a disk or board replacement); apply it with `hvkit apply --rebuild HOST FILE`")
      .option('--out <file>', 'save the plan for `hvkit apply FILE`')
      .option('--to <host>', 'recreate the guests on another host instead (their host is down)')
      .option('--force-while-up', 'with --to: recreate even though the host is up and runs them; their copies there are destroyed once the new ones run')
      .option('--detailed-exitcode', 'exit 0 when nothing changes, 1 on errors, 2 when there are changes'),
  ), {
    examples: [
      'hvkit rebuild web-host-01 --out rebuild.bin && hvkit apply --rebuild web-host-01 rebuild.bin',
      'hvkit rebuild web-host-01 --to spare-host-01 --out rebuild.bin  # the host is down',
    ],
    exitCodes: {
      0: 'the plan has no errors (with --detailed-exitcode: and nothing changes)',
      1: 'an error, fit errors included (a host not in state, a --to host without their disks, or still up and running them without --force-while-up)',
      2: 'with --detailed-exitcode only: the plan has changes and no errors',
    },
  }).action(async (host: string, opts: RebuildCliOptions) => {
    const manifest = await loadFleet(io, opts);
    const { plan, guests } = await planRebuild({ manifest, store: await stateStore(io, opts, manifest), projectDir: io.cwd, env: io.env, host, to: opts.to, forceWhileUp: Boolean(opts.forceWhileUp) });
    const s = style(useColor(io, opts));
    io.out(renderText(plan, s));
    const { configDiff } = await import('../../render/markdown');
    io.out(`\nRebuild of ${host}${opts.to ? ` onto ${opts.to}` : ''}: ${guests.length} guest${guests.length === 1 ? '' : 's'}\n`);
    for (const name of guests) {
      const c = plan.configs.find((x) => x.guest === name);
      if (!c || c.before === c.after) {
        io.out(`  ${name}: config byte-identical to the one last applied\n`);
        continue;
      }
      io.out(`  ${name}: config differs from the one last applied (code changed since):\n`);
      for (const line of configDiff(name, c.before, c.after).split('\n')) {
        const painted = line.startsWith('+') ? s.paint('green', line) : line.startsWith('-') ? s.paint('red', line) : line;
        io.out(`    ${painted}\n`);
      }
    }
    if (opts.to) io.out(`\nOnce applied, place these guests on ${opts.to} in code too, or the next plan moves them back to ${host}.\n`);
    if (opts.out) {
      const derivation: PlanDerivation = { kind: 'rebuild', host, ...(opts.to ? { to: opts.to } : {}), ...(opts.forceWhileUp ? { forceWhileUp: true } : {}) };
      const saved = await savePlanFile(io, opts.out, plan, manifest.resourceType, derivation, planBackend(io, opts, manifest));
      if (plan.applyable) io.out(saved);
      else io.err(saved.trimStart());
    }
    setCode(planExitCode(plan, Boolean(opts.detailedExitcode)));
  });
}

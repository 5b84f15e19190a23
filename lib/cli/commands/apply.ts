import { resolve } from 'node:path';
import type { Command } from 'commander';
import { apply } from '../../ops/apply';
import { failureSummary, tallyLine } from '../../apply/executor';
import { plainProgress, ttyProgress } from '../../apply/progress';
import { HvkitError } from '../../errors';
import { loadPlan, type PlanDerivation } from '../../plan/plan-file';
import { style } from '../../render/style';
import { renderText } from '../../render/text';
import { addFleetOptions, addLockTimeoutOption, useColor, type FleetOptions, type Io } from '../context';
import { loadFleet, stateStore } from '../fleet';

interface ApplyCliOptions extends FleetOptions {
  autoApprove?: boolean;
  rebuild?: string;
  to?: string;
  forceWhileUp?: boolean;
  parallelism: string;
  perHost: string;
  timeout: string;
}

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new HvkitError(`${name} must be a positive number, got '${v}'`);
  return n;
}

export function registerApply(program: Command, io: Io, setCode: (code: number) => void): void {
  addLockTimeoutOption(addFleetOptions(
    program
      .command('apply [planfile]')
      .description('carry out a saved plan (or plan, confirm and apply) through the provider scripts')
      .option('--auto-approve', 'apply a fresh plan without asking (needed without a terminal)')
      .option('--parallelism <n>', 'steps running at once', '4')
      .option('--per-host <n>', 'steps running at once on one host', '2')
      .option('--timeout <seconds>', 'kill a step (its whole process group) after this long', '600')
      .option('--rebuild <host>', 'the saved plan is a rebuild of this host (hvkit rebuild HOST --out FILE): say so, as a file cannot ask for it')
      .option('--to <host>', 'with --rebuild: the plan recreates the guests on this host')
      .option('--force-while-up', 'with --rebuild --to: the plan was made with --force-while-up'),
  )).action(async (planfile: string | undefined, opts: ApplyCliOptions) => {
    const parallelism = positive('--parallelism', opts.parallelism);
    const perHost = positive('--per-host', opts.perHost);
    const timeoutMs = positive('--timeout', opts.timeout) * 1000;
    if (!opts.rebuild && (opts.to || opts.forceWhileUp)) throw new HvkitError('--to and --force-while-up go with --rebuild HOST');
    if (opts.rebuild && !planfile) throw new HvkitError('--rebuild applies a saved rebuild plan: make it with `hvkit rebuild HOST --out FILE` and pass FILE');
    const asked: PlanDerivation = opts.rebuild
      ? { kind: 'rebuild', host: opts.rebuild, ...(opts.to ? { to: opts.to } : {}), ...(opts.forceWhileUp ? { forceWhileUp: true } : {}) }
      : { kind: 'plan' };
    const saved = planfile ? loadPlan(resolve(io.cwd, planfile)) : undefined;
    if (!saved && !opts.autoApprove && !(io.isTty && io.ask)) {
      throw new HvkitError('apply without a plan file asks for confirmation on a terminal; without one, pass --auto-approve or apply a saved plan (hvkit plan --out FILE)');
    }
    const manifest = await loadFleet(io, opts);
    const store = stateStore(io, opts, manifest.fleet);
    const s = style(useColor(io, opts));
    const outcome = await apply({
      manifest, store, projectDir: io.cwd, env: io.env, saved, asked, parallelism, perHost, timeoutMs,
      confirm: opts.autoApprove ? undefined : async (plan) => {
        io.out(renderText(plan, s));
        const answer = await io.ask!('\nApply these changes? Only "yes" is accepted: ');
        return answer.trim() === 'yes';
      },
      progress: (total) => (io.isTty && useColor(io, opts) ? ttyProgress(process.stdout, s, total) : plainProgress(io.out, total)),
    });
    switch (outcome.kind) {
      case 'no-changes':
        io.out('No changes. The fleet matches the code; nothing to apply.\n');
        return;
      case 'cancelled':
        io.out('Apply cancelled; nothing was changed.\n');
        setCode(1);
        return;
      case 'applied': {
        const r = outcome.result;
        if (r.failed.length || r.stateError) {
          io.err(`\n${s.paint('red', 'Apply failed')}: ${r.failed.length} step${r.failed.length === 1 ? '' : 's'} failed; ${tallyLine(r)}\n${failureSummary(r)}\n${r.lockLost ? 'Run `hvkit plan` once no other hvkit writes this state, to settle the steps in flight and see what is left.' : 'State records exactly the finished steps; fix the cause and run `hvkit plan` to see what is left.'}\n`);
          setCode(1);
          return;
        }
        io.out(`\n${s.paint('green', 'Apply complete')}: ${tallyLine(r)}\n`);
      }
    }
  });
}

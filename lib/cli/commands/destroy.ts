import type { Command } from 'commander';
import { planScope } from '../../plan/targets';
import { addTargetOptions, type Io } from '../context';
import { withUsage } from '../help';
import { addApplyOptions, DESTROY_QUESTION, runApply, type ApplyCliOptions } from './apply';
import { planCommand } from './plan';

interface DestroyCliOptions extends ApplyCliOptions {
  out?: string;
  detailedExitcode?: boolean;
}

export function registerDestroy(program: Command, io: Io, setCode: (code: number) => void): void {
  const cmd = addApplyOptions(addTargetOptions(
    program
      .command('destroy')
      .description('plan and apply the teardown of the fleet (every guest destroyed, every host record retired) or of the --target guests and hosts; shows the plan, then asks as apply does')
      .option('--out <file>', 'only plan, and save it for `hvkit apply --destroy FILE` (as `hvkit plan --destroy --out FILE`)')
      .option('--detailed-exitcode', 'with --out: exit 0 when nothing changes, 1 on errors, 2 when there are changes'),
    { replace: false, target: 'destroy only these guests, or these hosts with every guest state records on them (name or construct path; repeat or separate with commas)' },
  ));
  withUsage(cmd, {
    examples: [
      'hvkit destroy                                  # show the teardown of the whole fleet, then ask "yes"',
      'hvkit destroy --target web-03 --auto-approve   # destroy one guest without asking (CI)',
      'hvkit destroy --target db-host-01              # every guest of a host, and retire its record',
      'hvkit destroy --out teardown.json              # save it for review; apply with: hvkit apply --destroy teardown.json',
    ],
    exitCodes: { 2: 'with --out --detailed-exitcode: there is something to destroy' },
  });
  cmd.action(async (opts: DestroyCliOptions) => {
    if (opts.out) return planCommand(io, setCode, opts, planScope({ targets: opts.target, destroy: true }));
    await runApply(io, setCode, undefined, opts, () => ({
      asked: planScope({ targets: opts.target, destroy: true }), question: DESTROY_QUESTION, showPlan: true, command: 'destroy',
      unattended: 'pass --auto-approve, or save the plan (hvkit destroy --out FILE), review it and apply it with `hvkit apply --destroy FILE`. Nothing was destroyed',
      noChanges: 'No changes. State records nothing this destroy would remove.\n',
    }));
  });
}

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { apply } from '../../ops/apply';
import { STOP_EXIT_CODE } from '../../apply/interrupt';
import { assertNever, HvkitError, isHvkitError } from '../../errors';
import { backendMismatch, loadPlan, type PlanDerivation } from '../../plan/plan-file';
import { ApplyJsonWriter } from '../../render/apply-json';
import { applyFailed, CANCELLED_TEXT, NO_CHANGES_TEXT, PARTIAL_APPLY_TEXT, plainApplyView, ttyApplyView } from '../../render/apply-view';
import { style } from '../../render/style';
import { renderText } from '../../render/text';
import { planScope } from '../../plan/targets';
import { withRebalance } from './plan';
import { addFleetOptions, addLockTimeoutOption, addTargetOptions, useColor, type FleetOptions, type Io } from '../context';
import { loadFleet, sampleStoreBeside, stateStore } from '../fleet';
import { chooseBackend } from '../state-backend';
import { outputTime } from './plan';
import { hvkitVersion } from '../version';
import { withUsage } from '../help';

export interface ApplyCliOptions extends FleetOptions {
  autoApprove?: boolean;
  json?: boolean;
  rebuild?: string;
  to?: string;
  forceWhileUp?: boolean;
  target?: string[];
  replace?: string[];
  destroy?: boolean;
  rebalance?: boolean;
  maxMoves?: string;
  parallelism: string;
  perHost: string;
  timeout: string;
}

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new HvkitError(`${name} must be a positive number, got '${v}'`);
  return n;
}

/** The options apply and destroy share: confirmation, JSON events, how steps run, the state lock. */
export function addApplyOptions(cmd: Command): Command {
  return addLockTimeoutOption(addFleetOptions(
    cmd
      .option('--auto-approve', 'apply a fresh plan without asking (needed without a terminal)')
      .option('--json', 'stream one JSON object per line per event, as `terraform apply -json` does (with changes to apply, needs --auto-approve or a plan file)')
      .option('--parallelism <n>', 'steps running at once', '4')
      .option('--per-host <n>', 'steps running at once on one host', '2')
      .option('--timeout <seconds>', 'kill a step (its whole process group) after this long', '600'),
  ));
}

export function registerApply(program: Command, io: Io, setCode: (code: number) => void): void {
  withUsage(addApplyOptions(addTargetOptions(
    program
      .command('apply [planfile]')
      .description('carry out a saved plan (or plan, confirm and apply) through the provider scripts')
      .option('--rebuild <host>', 'the saved plan is a rebuild of this host (hvkit rebuild HOST --out FILE): say so, as a file cannot ask for it')
      .option('--to <host>', 'with --rebuild: the plan recreates the guests on this host')
      .option('--force-while-up', 'with --rebuild --to: the plan was made with --force-while-up')
      .option('--destroy', 'apply a teardown (as `hvkit destroy`); with a plan file, say so, as a file cannot ask for it')
      .option('--rebalance', 'without a plan file: plan with --rebalance (a saved plan carries its own)')
      .option('--max-moves <n>', 'with --rebalance: at most this many migrations'),
    { replace: true },
  )), {
    examples: [
      'hvkit apply plan.bin                # exactly the reviewed plan (refused if stale)',
      'hvkit apply                         # plan, show, ask "yes" on a terminal',
      'hvkit apply --auto-approve --json   # in CI, one JSON object per line',
    ],
    exitCodes: {
      0: 'applied, or nothing to apply ("No changes.", without asking, even without a terminal)',
      1: 'a step failed, the plan has errors or is stale, the answer was not "yes", or changes need confirming without a terminal (--auto-approve or a plan file)',
      130: 'stopped by SIGINT (Ctrl-C): no further step started, the running ones finished and were recorded (a second Ctrl-C exits at once, leaving them in flight)',
      143: 'stopped by SIGTERM (a CI job cancelled): as for SIGINT',
    },
  }).action(async (planfile: string | undefined, opts: ApplyCliOptions) => {
    await runApply(io, setCode, planfile, opts, () => {
      if (!opts.rebuild && (opts.to || opts.forceWhileUp)) throw new HvkitError('--to and --force-while-up go with --rebuild HOST');
      if (opts.rebuild && (opts.target || opts.replace || opts.destroy)) throw new HvkitError('--rebuild applies a saved rebuild plan as it was made: leave out --target, --replace and --destroy');
      const asked: PlanDerivation = opts.rebuild
        ? { kind: 'rebuild', host: opts.rebuild, ...(opts.to ? { to: opts.to } : {}), ...(opts.forceWhileUp ? { forceWhileUp: true } : {}) }
        : withRebalance(planScope({ targets: opts.target, replace: opts.replace, destroy: opts.destroy }), opts);
      if (planfile && opts.rebalance) throw new HvkitError('a saved plan carries its own --rebalance: apply the file without it (or plan again with --rebalance --out FILE)');
      return { asked, question: asked.kind === 'destroy' ? DESTROY_QUESTION : APPLY_QUESTION, showPlan: asked.kind === 'destroy' };
    });
  });
}

const APPLY_QUESTION = '\nApply these changes? Only "yes" is accepted: ';
/** As terraform destroy asks. */
export const DESTROY_QUESTION = '\nDestroy these guests and retire these hosts\' records? There is no undo. Only "yes" is accepted: ';

/** What apply is asked to do, and how it asks for confirmation. */
export interface ApplyRequest {
  asked: PlanDerivation;
  question: string;
  /** Print the plan before applying even with --auto-approve (destroy does, as terraform destroy). */
  showPlan: boolean;
  /** The command, in the refusal to go on unasked. @default 'apply' */
  command?: string;
  /** What to do instead, when there is neither a terminal to ask on nor --auto-approve. @default apply's words */
  unattended?: string;
  /** Printed when there is nothing to do. @default NO_CHANGES_TEXT */
  noChanges?: string;
}

/** Applies, with --json errors as a diagnostic line; `hvkit destroy` runs it too. */
export async function runApply(io: Io, setCode: (code: number) => void, planfile: string | undefined, opts: ApplyCliOptions, request: () => ApplyRequest): Promise<void> {
  if (!opts.json) return applyCommand(planfile, opts, io, setCode, request());
  const json = new ApplyJsonWriter({ write: io.out, now: () => outputTime(io.env) });
  json.version(hvkitVersion());
  try {
    await applyCommand(planfile, opts, io, setCode, request(), json);
  } catch (e) {
    // Errors a user can act on are a diagnostic line like any other; a bug still shows its stack.
    if (!isHvkitError(e)) throw e;
    json.diagnostic(e.message);
    setCode(e.exitCode);
  }
}

async function applyCommand(planfile: string | undefined, opts: ApplyCliOptions, io: Io, setCode: (code: number) => void, req: ApplyRequest, json?: ApplyJsonWriter): Promise<void> {
  const parallelism = positive('--parallelism', opts.parallelism);
  const perHost = positive('--per-host', opts.perHost);
  const timeoutMs = positive('--timeout', opts.timeout) * 1000;
  const { asked } = req;
  if (asked.kind === 'rebuild' && !planfile) throw new HvkitError('--rebuild applies a saved rebuild plan: make it with `hvkit rebuild HOST --out FILE` and pass FILE');
  const saved = planfile ? loadPlan(resolve(io.cwd, planfile)) : undefined;
  const manifest = await loadFleet(io, opts);
  if (saved) {
    // Before opening a store: a job that forgot HVKIT_STATE_BACKEND=pg would read the empty file state and call the plan stale.
    const now = chooseBackend(opts.stateBackend, io.env, manifest.state);
    const mismatch = backendMismatch(saved.backend, now.kind === 'pg' ? { kind: 'pg', schema: now.schema } : { kind: 'file' });
    if (mismatch) throw new HvkitError(`${mismatch}. Nothing was applied`);
  }
  const store = await stateStore(io, opts, manifest);
  const s = style(!json && useColor(io, opts));
  const outcome = await apply({
    manifest, store, projectDir: io.cwd, env: io.env, saved, asked, samples: await sampleStoreBeside(io, store), parallelism, perHost, timeoutMs, handleSignals: true,
    // Asked only when there is something to do: with nothing to apply, apply says "No changes." and exits 0 wherever it runs.
    confirm: opts.autoApprove && !req.showPlan ? undefined : async (plan) => {
      if (opts.autoApprove) {
        if (!json) io.out(renderText(plan, s));
        return true;
      }
      // With --json, as with terraform apply -json, nothing is asked: a reviewed plan file or --auto-approve says go.
      if (json) throw new HvkitError(`${req.command ?? 'apply'} --json never asks for confirmation: ${req.unattended ?? 'pass --auto-approve, or apply a saved plan (hvkit plan --out FILE)'}`);
      io.out(renderText(plan, s));
      // As Terraform without a terminal: the plan is shown, then refused before any step runs.
      if (!(io.isTty && io.ask)) throw new HvkitError(`${req.command ?? 'apply without a plan file'} asks for confirmation on a terminal; without one, ${req.unattended ?? 'pass --auto-approve or apply a saved plan (hvkit plan --out FILE)'}`);
      const answer = await io.ask(req.question);
      return answer.trim() === 'yes';
    },
    listener: (total) => {
      if (json) return json.listener(manifest.resourceType);
      const view = { out: io.out, err: io.err, style: s, total };
      return io.isTty && s.color ? ttyApplyView(process.stdout, view) : plainApplyView(view);
    },
  });
  // With --json it is one more event line, as Terraform reports warnings; CI reads only stdout.
  if (outcome.unlockWarning) {
    if (json) json.warning(outcome.unlockWarning);
    else io.err(`Warning: ${outcome.unlockWarning}\n`);
  }
  switch (outcome.kind) {
    case 'no-changes':
      if (json) json.noChanges();
      else io.out(req.noChanges ?? NO_CHANGES_TEXT);
      return;
    case 'cancelled':
      io.out(CANCELLED_TEXT);
      setCode(1);
      return;
    case 'applied':
      // The view wrote the summary as the run ended.
      if (outcome.plan.targets && asked.kind === 'plan' && !json) io.err(PARTIAL_APPLY_TEXT);
      if (outcome.result.interrupted) setCode(STOP_EXIT_CODE[outcome.result.interrupted]);
      else if (applyFailed(outcome.result)) setCode(1);
      return;
    default:
      assertNever(outcome, 'apply outcome');
  }
}

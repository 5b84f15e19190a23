import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Manifest } from '../../manifest/types';
import { preparePlan } from '../../ops/prepare';
import { derivationFlags, savePlan, type PlanBackend, type PlanDerivation, type PlanScope } from '../../plan/plan-file';
import { parseMaxMoves } from '../../plan/rebalance';
import { planScope } from '../../plan/targets';
import { HvkitError } from '../../errors';
import type { Plan } from '../../plan/types';
import { renderJson } from '../../render/json';
import { style } from '../../render/style';
import { renderText } from '../../render/text';
import { addFleetOptions, addTargetOptions, useColor, type FleetOptions, type Io } from '../context';
import { backendOf, loadFleet, sampleStoreBeside, stateStore } from '../fleet';
import { withUsage } from '../help';

export interface PlanOptions extends FleetOptions {
  out?: string;
  target?: string[];
  replace?: string[];
  destroy?: boolean;
  json?: boolean;
  markdown?: boolean;
  detailedExitcode?: boolean;
  rebalance?: boolean;
  maxMoves?: string;
}

/** 0 no changes, 1 errors (fit errors included), 2 changes present. */
export function planExitCode(plan: Plan, detailed: boolean): number {
  if (!plan.applyable) return 1;
  if (!detailed) return 0;
  return plan.steps.length ? 2 : 0;
}

/** Now, or SOURCE_DATE_EPOCH (seconds) for reproducible output (plan --json, apply --json). */
export function outputTime(env: NodeJS.ProcessEnv): Date {
  const epoch = Number(env.SOURCE_DATE_EPOCH);
  return env.SOURCE_DATE_EPOCH && Number.isInteger(epoch) ? new Date(epoch * 1000) : new Date();
}

export async function renderPlanOutput(io: Io, plan: Plan, resourceType: string, opts: PlanOptions): Promise<void> {
  if (opts.json) io.out(renderJson(plan, resourceType, { timestamp: outputTime(io.env) }));
  else if (opts.markdown) io.out((await import('../../render/markdown')).renderMarkdown(plan));
  else io.out(renderText(plan, style(useColor(io, opts))));
}

export function registerPlan(program: Command, io: Io, setCode: (code: number) => void): void {
  withUsage(addFleetOptions(addTargetOptions(
    program
      .command('plan')
      .description('check that every guest fits its host and show what would change')
      .option('--out <file>', 'save the plan for `hvkit apply FILE`')
      .option('--destroy', 'plan the teardown of the fleet (or of the --target guests and hosts), as `hvkit destroy` does')
      .option('--json', 'print the plan as JSON (terraform show -json shape)')
      .option('--markdown', 'print the plan as markdown for a pull-request comment')
      .option('--detailed-exitcode', 'exit 0 when nothing changes, 1 on errors, 2 when there are changes')
      .option('--rebalance', 'also migrate guests hvkit placed so fewer hosts are in use and less capacity is stranded (never guests code puts in a Host)')
      .option('--max-moves <n>', 'with --rebalance: at most this many migrations'),
    { replace: true },
  )), {
    examples: [
      'hvkit plan',
      'hvkit plan --out plan.bin --markdown --detailed-exitcode > plan.md  # in CI: save, comment, exit 2 on changes',
      'hvkit plan --json | jq .resource_changes',
      'hvkit plan --rebalance --max-moves 10 --out plan.bin  # migrations that empty hosts; apply plan.bin as usual',
    ],
    exitCodes: {
      0: 'the plan has no errors (with --detailed-exitcode: and nothing changes)',
      1: 'an error, fit errors included (the plan is still printed); apply refuses such a plan',
      2: 'with --detailed-exitcode only: the plan has changes and no errors',
    },
  }).action(async (opts: PlanOptions) => {
    await planCommand(io, setCode, opts, withRebalance(planScope({ targets: opts.target, replace: opts.replace, destroy: opts.destroy }), opts));
  });
}

/** The scope with `--rebalance [--max-moves N]`, checked: one line for a flag that does not go with the others. */
export function withRebalance(scope: PlanScope, opts: Pick<PlanOptions, 'rebalance' | 'maxMoves'>): PlanScope {
  if (opts.maxMoves !== undefined && !opts.rebalance) throw new HvkitError('--max-moves limits --rebalance: add --rebalance, or leave --max-moves out');
  if (!opts.rebalance) return scope;
  if (scope.kind !== 'plan') throw new HvkitError('--rebalance plans migrations, --destroy a teardown: plan them separately');
  if (scope.targets?.length) throw new HvkitError('--rebalance moves guests across the whole fleet: leave out --target');
  return { ...scope, rebalance: opts.maxMoves !== undefined ? { maxMoves: parseMaxMoves(opts.maxMoves) } : {} };
}

/**
 * Saves a plan for `hvkit apply FILE` (plan, destroy and rebuild `--out`),
 * unless it has errors: as Terraform, a plan that cannot be applied writes no
 * file, so no stale or unusable plan is left to apply. Returns the line that
 * says what happened, for the caller to print after the plan.
 */
export async function savePlanFile(io: Io, file: string, plan: Plan, resourceType: Manifest['resourceType'], derivation: PlanDerivation, backend: PlanBackend, measuredUntil?: string): Promise<string> {
  await savePlan(resolve(io.cwd, file), plan, resourceType, derivation, backend, measuredUntil);
  // Kept for `hvkit report --plan` and `hvkit show`, which show what is wrong; apply refuses it.
  if (!plan.applyable) return `\nSaved the plan to ${file} to show it (hvkit show ${file}); it has errors, so apply refuses it: fix them and plan again.\n`;
  const flags = derivationFlags(derivation).join(' ');
  const how = derivation.kind === 'rebuild' ? 'apply it with' : 'apply exactly this plan with';
  return `\nSaved the plan to ${file}; ${how}: hvkit apply ${flags ? `${flags} ` : ''}${file}\n`;
}

/** The backend a plan is made against, as the plan file records it: kind and schema, never the connection. */
export function planBackend(io: Io, opts: FleetOptions, manifest: Manifest): PlanBackend {
  const choice = backendOf(io, opts, manifest);
  return choice.kind === 'pg' ? { kind: 'pg', schema: choice.schema } : { kind: 'file' };
}

/** Plans (a scope), prints it and saves it with how it was made; `hvkit destroy --out` shares it. */
export async function planCommand(io: Io, setCode: (code: number) => void, opts: PlanOptions, scope: PlanScope): Promise<void> {
  const manifest = await loadFleet(io, opts);
  const store = await stateStore(io, opts, manifest);
  // The measured-load window ends now, recorded in a saved plan so apply weighs the same samples;
  // only when the plan weighed some, so a fleet without measured load saves the same bytes every time.
  const now = new Date().toISOString();
  const { plan } = await preparePlan({ manifest, store, projectDir: io.cwd, env: io.env, scope, samples: await sampleStoreBeside(io, store), now });
  const saved = opts.out ? await savePlanFile(io, opts.out, plan, manifest.resourceType, scope, planBackend(io, opts, manifest), plan.measured ? now : undefined) : undefined;
  await renderPlanOutput(io, plan, manifest.resourceType, opts);
  // JSON and markdown go to files and comments: the note would spoil them, except the refusal, which goes to stderr.
  if (saved && !plan.applyable) io.err(saved.trimStart());
  else if (saved && !opts.json && !opts.markdown) io.out(saved);
  setCode(planExitCode(plan, Boolean(opts.detailedExitcode)));
}

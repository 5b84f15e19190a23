import { join } from 'node:path';
import { assertNever } from '../errors';
import type { HostSpec } from '../manifest/types';
import type { Step } from '../plan/types';
import type { FailedStep } from '../state/types';
import type { ProviderRunner } from './provider';
import type { StateWriter } from './state-writer';
import { checkResult } from './step-results';

/** The host a step leaves its guest running on, when it leaves one. */
export function landingOf(step: Step): HostSpec | undefined {
  switch (step.kind) {
    case 'create':
    case 'replace':
    case 'update-restart':
    case 'rename':
      return step.hostSpec;
    case 'migrate':
    case 'recreate':
      return step.targetSpec;
    case 'add-host':
    case 'upgrade-memory':
    case 'update-host':
    case 'retire-host':
    case 'destroy':
    case 'destroy-copy':
    case 'update-live':
    case 'update-record':
    case 'start':
    case 'stop':
      return undefined;
    default:
      return assertNever(step.kind, 'step kind');
  }
}

export interface ConfirmOptions {
  fleet: string;
  runner: ProviderRunner;
  writer: StateWriter;
  logDir: string;
  /** Steps that finished, in the order they did. */
  done: Step[];
  /** @default 4 */
  parallelism?: number;
  /** @default 60000 */
  timeoutMs?: number;
}

/**
 * Confirms that every guest a step created or moved really runs where it
 * landed, with one `list` per such host at the end of the run (not one per
 * step: the per-step cost stays one script). A guest the hypervisor does not
 * show is taken out of state again — back on its source host for a migration,
 * so nothing is created twice — and its step is reported failed. Returns
 * those failures. A host whose `list` does not answer keeps what its steps
 * recorded: they answered by the contract, and the next refresh checks.
 */
export async function confirmLanded(opts: ConfirmOptions): Promise<FailedStep[]> {
  const byHost = new Map<string, { host: HostSpec; steps: Step[] }>();
  for (const s of opts.done) {
    const host = landingOf(s);
    if (!host || !s.guest) continue;
    // xl forgets a domain once it shuts down: `list` cannot show a xen guest the step left stopped (power 'stopped').
    if (s.then === 'stop' && host.provider === 'xen') continue;
    const entry = byHost.get(host.name) ?? { host, steps: [] };
    entry.steps.push(s);
    byHost.set(host.name, entry);
  }
  const hosts = [...byHost.values()].sort((a, b) => (a.host.name < b.host.name ? -1 : 1));
  const failures: FailedStep[] = [];
  const parallelism = Math.max(1, opts.parallelism ?? 4);
  for (let i = 0; i < hosts.length; i += parallelism) {
    await Promise.all(hosts.slice(i, i + parallelism).map(async ({ host, steps }) => {
      const input = { fleet: opts.fleet, host };
      const r = await opts.runner.call(host.provider, 'list', input, { timeoutMs: opts.timeoutMs ?? 60_000 });
      if (!r.ok) return;
      try {
        checkResult(steps[0], 'list', input, r.result);
      } catch {
        return;
      }
      const running = new Set((r.result!.domains as { name: string }[]).map((d) => d.name));
      for (const s of steps) {
        if (running.has(s.guest!)) continue;
        failures.push({
          step: s.id,
          exitCode: null,
          message: `the provider answered that it was done, but \`list\` on ${host.name} does not show ${s.guest}: not recorded (${s.kind === 'migrate' || s.kind === 'recreate' ? `still recorded on ${s.host}` : 'the next plan creates it'}); run \`hvkit refresh\` and check the provider's log`,
          log: join(opts.logDir, `${s.id.replace(/[^a-z0-9.-]/gi, '_')}.log`),
        });
      }
    }));
  }
  if (failures.length === 0) return failures;
  // Steps finish in any order: sort, so every run reports and records the same failures the same way.
  failures.sort((a, b) => (a.step < b.step ? -1 : a.step > b.step ? 1 : 0));
  const failed = new Set(failures.map((f) => f.step));
  await opts.writer.commit((state) => {
    for (const s of opts.done) {
      if (!failed.has(s.id)) continue;
      if ((s.kind === 'migrate' || s.kind === 'recreate') && s.before) {
        state.guests[s.guest!] = { ...state.guests[s.guest!], spec: s.before, provider: s.hostSpec!.provider };
      } else delete state.guests[s.guest!];
    }
    state.lastApply ??= { run: '', failed: [] };
    state.lastApply.failed.push(...failures);
  });
  return failures;
}

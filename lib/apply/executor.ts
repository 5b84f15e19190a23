import { mkdirSync } from 'node:fs';
import type { ApplyListener, ApplySummary, ApplyTally, SkipCause, StepOutcome } from '../plan/apply-events';
import type { Step } from '../plan/types';
import { StateConnectionLostError, StateLockLostError } from '../state/errors';
import { confirmLanded } from './confirm';
import { ApplyInterrupt } from './interrupt';
import { tallyOf } from './effects';
import type { ProviderRunner } from './provider';
import { runStep, StateHealth, type RunStepOptions } from './run-step';
import { Scheduler } from './scheduler';
import type { StateWriter } from './state-writer';

export interface ExecuteOptions {
  runId: string;
  fleet: string;
  steps: Step[];
  runner: ProviderRunner;
  writer: StateWriter;
  logDir: string;
  /** Told of every step as it starts, ends or is given up, and of the summary. */
  listener: ApplyListener;
  /** @default 4 */
  parallelism?: number;
  /** @default 2 */
  perHost?: number;
  /** @default 600000 (10 minutes) */
  timeoutMs?: number;
  /**
   * Test hook for crash-safety tests: `after-intent:STEP` or `after-script:STEP`
   * kills this process with SIGKILL at that point (HVKIT_TEST_CRASH_AT).
   */
  crashAt?: string;
  /** Stop gracefully on SIGINT and SIGTERM while steps run (see ApplyInterrupt); the CLI asks for it. @default false */
  handleSignals?: boolean;
}

export type { StepOutcome };
export type ApplyResult = ApplySummary;

/**
 * Runs exactly the steps it is given, as their dependencies allow: at most
 * `parallelism` at once and `perHost` per host. Each step's intent is durable
 * in state before its script starts, and its result right after it ends.
 */
export async function execute(opts: ExecuteOptions): Promise<ApplyResult> {
  const parallelism = Math.max(1, opts.parallelism ?? 4);
  const perHost = Math.max(1, opts.perHost ?? 2);
  const timeoutMs = opts.timeoutMs ?? 600_000;
  mkdirSync(opts.logDir, { recursive: true });
  const started = Date.now();
  const scheduler = new Scheduler(opts.steps, { parallelism, perHost });
  const health = new StateHealth();
  const emit = opts.listener.event.bind(opts.listener);
  const run: RunStepOptions = {
    runId: opts.runId, fleet: opts.fleet, runner: opts.runner, writer: opts.writer, logDir: opts.logDir,
    timeoutMs, crashAt: opts.crashAt, health, recording: [], emit,
  };
  const outcomes: StepOutcome[] = [];
  const skip = (steps: Step[], cause: SkipCause) => {
    for (const step of steps) {
      outcomes.push({ step, status: 'skipped', ms: 0 });
      emit({ type: 'step-skipped', step, cause });
    }
  };

  const running = new Set<Step>();
  const interrupt = opts.handleSignals
    ? new ApplyInterrupt(
      (signal) => emit({ type: 'interrupted', signal, running: [...running], again: false }),
      (signal) => {
        emit({ type: 'interrupted', signal, running: [...running], again: true });
        opts.runner.signalRunning('SIGTERM');
      },
    ).install()
    : undefined;

  try {
    await new Promise<void>((allEnded) => {
      const pump = () => {
        for (const step of health.error || interrupt?.signal ? [] : scheduler.start()) {
          running.add(step);
          void runStep(step, run).catch((e: Error) => bugOutcome(step, e)).then((o) => {
            running.delete(step);
            outcomes.push(o);
            // A step ends skipped only when state broke before it could start: its dependents are not started for that same reason.
            skip(scheduler.finish(step, o.status), o.status === 'skipped' ? 'state-unwritable' : 'dependency-failed');
            pump();
          });
        }
        if (scheduler.running === 0) allEnded();
      };
      pump();
    });
    await Promise.all(run.recording);
  } finally {
    // From here on nothing runs that a signal should wait for: Node's default (exit at once) is right again.
    interrupt?.remove();
  }

  if (health.error) {
    skip(scheduler.halt(), 'state-unwritable');
  } else {
    if (interrupt?.signal) skip(scheduler.halt(), 'interrupted');
    // A provider that exits 0 without doing the work must not leave a guest in state.
    const unconfirmed = await confirmLanded({
      fleet: opts.fleet, runner: opts.runner, writer: opts.writer, logDir: opts.logDir, parallelism, timeoutMs: Math.min(timeoutMs, 60_000),
      done: outcomes.filter((o) => o.status === 'done').map((o) => o.step),
    }).catch((e: Error) => {
      health.fail(new Error(`recording what \`list\` could not confirm failed: ${e.message}`));
      return [];
    });
    for (const f of unconfirmed) {
      const o = outcomes.find((x) => x.step.id === f.step)!;
      o.status = 'failed';
      o.failure = f;
      emit({ type: 'step-unconfirmed', step: o.step, failure: f });
    }
  }
  const tally: ApplyTally = { created: 0, updated: 0, replaced: 0, migrated: 0, destroyed: 0, hosts: 0 };
  // A step whose result state never took is not counted as done: state does not know it, and the next plan settles it.
  const unrecorded = outcomes.filter((o) => o.status === 'done' && health.unrecorded.has(o.step.id));
  for (const o of outcomes) if (o.status === 'done' && !health.unrecorded.has(o.step.id)) tally[tallyOf(o.step)]++;
  const summary: ApplySummary = {
    outcomes, ms: Date.now() - started, tally,
    failed: outcomes.filter((o) => o.status === 'failed'),
    skipped: outcomes.filter((o) => o.status === 'skipped'),
    stateError: health.error?.message,
    lockLost: health.error instanceof StateLockLostError,
    ...(health.error instanceof StateConnectionLostError ? { connectionLost: true } : {}),
    ...(unrecorded.length ? { unrecorded } : {}),
    ...(interrupt?.signal ? { interrupted: interrupt.signal } : {}),
  };
  emit({ type: 'apply-complete', summary });
  return summary;
}

/**
 * runStep records its own failures; it rejects only on a bug (a listener that
 * throws once the step's end is recorded). The step then counts as failed and
 * the run goes on, rather than dying on an unhandled rejection.
 */
function bugOutcome(step: Step, e: Error): StepOutcome {
  return { step, status: 'failed', ms: 0, failure: { exitCode: null, message: `hvkit failed while running the step (a bug; state holds what was recorded before it): ${e.message}`, log: '' } };
}

import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { ApplyEvent, StepOutcome } from '../plan/apply-events';
import type { Step } from '../plan/types';
import { StateLockLostError } from '../state/errors';
import type { FailedStep } from '../state/types';
import { intentOf, thisProcess } from './intent';
import { applyEffect, callsOf } from './effects';
import type { ProviderRunner } from './provider';
import type { StateWriter } from './state-writer';
import { checkCopyLanded, checkFacts, checkResult, factsOf, ResultError, type HostFacts } from './step-results';

/**
 * Whether state can still be written. Once it cannot, nothing new starts: a
 * step whose result cannot be recorded must not run.
 */
export class StateHealth {
  /** Why state cannot be written; the first cause is kept unless a later one must be said instead. */
  error?: Error;
  /** Steps that finished but whose result could not be recorded: they stay in flight in state. */
  readonly unrecorded = new Set<string>();

  fail(e: Error): void {
    this.error ??= e;
  }
}

export interface RunStepOptions {
  runId: string;
  fleet: string;
  runner: ProviderRunner;
  writer: StateWriter;
  logDir: string;
  timeoutMs: number;
  /** Test hook: `after-intent:STEP` or `after-script:STEP` kills this process with SIGKILL there. */
  crashAt?: string;
  health: StateHealth;
  /**
   * Result writes a step leaves behind: not awaited, so the next step may
   * start at once; the run awaits them all before it ends.
   */
  recording: Promise<void>[];
  emit(e: ApplyEvent): void;
}

class StepFailure extends Error {
  constructor(message: string, readonly exitCode: number | null) {
    super(message);
  }
}

/**
 * Carries out one step: its intent is durable in state before its first
 * script starts, then its calls run in order, and its result (or failure)
 * is recorded in state right after.
 */
export async function runStep(step: Step, opts: RunStepOptions): Promise<StepOutcome> {
  const t0 = Date.now();
  const logFile = join(opts.logDir, `${step.id.replace(/[^a-z0-9.-]/gi, '_')}.log`);
  let log: WriteStream | undefined;
  try {
    const intent = await opts.writer.commit((s) => {
      s.inflight[step.id] = intentOf(step, opts.runId, new Date(), thisProcess());
    }).then(() => undefined, (e: Error) => e);
    if (intent instanceof StateLockLostError) {
      // Another holder may own the state now: this step is not started, and nothing more is written.
      opts.health.error = intent;
      opts.emit({ type: 'step-skipped', step, cause: 'state-unwritable' });
      return { step, status: 'skipped', ms: 0 };
    }
    if (intent) {
      opts.health.error = intent;
      throw new Error(`could not record the step's intent in state, so it was not started: ${intent.message}`);
    }
    crashPoint(opts.crashAt, `after-intent:${step.id}`);
    opts.emit({ type: 'step-started', step });
    log = createWriteStream(logFile, { flags: 'a' });
    log.write(`# hvkit apply ${opts.runId}: ${step.description}\n`);
    const facts = await runCalls(step, opts, log, logFile);
    crashPoint(opts.crashAt, `after-script:${step.id}`);
    // Its intent is written after this result (writes are ordered), so it is durable before the next step's script runs.
    opts.recording.push(opts.writer.commit((s) => {
      delete s.inflight[step.id];
      applyEffect(s, step, facts);
    }).catch((e: Error) => {
      opts.health.unrecorded.add(step.id);
      if (e instanceof StateLockLostError) opts.health.fail(e);
      opts.health.fail(new Error(`${step.id} ran but recording it in state failed (the next plan checks it with the provider): ${e.message}`));
    }));
    const ms = Date.now() - t0;
    opts.emit({ type: 'step-finished', step, ms });
    return { step, status: 'done', ms };
  } catch (e) {
    const ms = Date.now() - t0;
    const failure: FailedStep = {
      step: step.id,
      exitCode: e instanceof StepFailure ? e.exitCode : null,
      message: (e as Error).message,
      log: logFile,
    };
    try {
      await opts.writer.commit((s) => {
        delete s.inflight[step.id];
        s.lastApply ??= { run: opts.runId, failed: [] };
        s.lastApply.failed.push(failure);
      });
    } catch (writeError) {
      if (writeError instanceof StateLockLostError) opts.health.fail(writeError);
      else failure.message += `; recording the failure in state failed too: ${(writeError as Error).message}`;
    }
    opts.emit({ type: 'step-failed', step, ms, failure });
    return { step, status: 'failed', ms, failure };
  } finally {
    await new Promise<void>((r) => (log ? log.end(r) : r()));
  }
}

/**
 * The way out when a new guest's create finds its domain already there (exit
 * 4, providers/README.md): state does not record it (`hvkit state rm`, or an
 * apply cut short before it recorded the create), so import adopts it.
 */
function notInState(step: Step, verb: string, exitCode: number | null): string {
  return step.kind === 'create' && verb === 'create' && exitCode === 4 && step.guest
    ? `\n  (it is not in state: \`hvkit import ${step.guest}\` records it)`
    : '';
}

async function runCalls(step: Step, opts: RunStepOptions, log: WriteStream, logPath: string): Promise<HostFacts | undefined> {
  const deadline = Date.now() + opts.timeoutMs;
  let facts: HostFacts | undefined;
  for (const call of callsOf(step, opts.fleet)) {
    const r = await opts.runner.call(call.provider ?? step.provider, call.verb, call.input, { timeoutMs: Math.max(1, deadline - Date.now()), log, logPath });
    if (!r.ok) {
      const why = r.startError ? `could not be started: ${r.startError}` : r.timedOut ? `timed out after ${Math.round(opts.timeoutMs / 1000)}s and was killed` : `exited with ${r.exitCode ?? r.signal}`;
      // A script that never started printed nothing: its tail would only repeat why.
      const tail = r.startError ? '' : r.stderrTail;
      throw new StepFailure(`${call.verb} ${why}${tail ? `:\n${indent(tail)}` : ''}${notInState(step, call.verb, r.exitCode)}`, r.exitCode);
    }
    try {
      checkResult(step, call.verb, call.input, r.result);
      if (call.verb === 'facts') {
        facts = factsOf(r.result!);
        checkFacts(step, facts);
      }
      if (call.verb === 'list' && step.kind === 'destroy-copy') checkCopyLanded(step, r.result!);
    } catch (e) {
      if (e instanceof ResultError) throw new StepFailure(e.message, null);
      throw e;
    }
    if (call.verb === 'list' && step.kind === 'retire-host') {
      const domains = r.result!.domains as { name: string }[];
      if (domains.length) throw new StepFailure(`${step.host} still runs ${domains.map((d) => d.name).join(', ')}: move or destroy them before retiring it`, null);
    }
  }
  return facts;
}

function crashPoint(crashAt: string | undefined, point: string): void {
  if (crashAt === point) process.kill(process.pid, 'SIGKILL');
}

function indent(text: string): string {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}

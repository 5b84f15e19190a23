import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Step } from '../plan/types';
import { StateLockLostError } from '../state/errors';
import type { FailedStep, State } from '../state/types';
import { confirmLanded } from './confirm';
import { applyEffect, callsOf, tallyOf } from './effects';
import type { ProviderRunner } from './provider';
import type { Progress } from './progress';
import type { StateWriter } from './state-writer';
import { checkCopyLanded, checkFacts, checkResult, factsOf, ResultError, type HostFacts } from './step-results';

export interface ExecuteOptions {
  runId: string;
  fleet: string;
  steps: Step[];
  runner: ProviderRunner;
  writer: StateWriter;
  logDir: string;
  progress: Progress;
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
}

export interface StepOutcome {
  step: Step;
  status: 'done' | 'failed' | 'skipped';
  ms: number;
  failure?: FailedStep;
}

export interface ApplyResult {
  outcomes: StepOutcome[];
  ms: number;
  tally: Record<ReturnType<typeof tallyOf>, number>;
  failed: StepOutcome[];
  skipped: StepOutcome[];
  /** Set when state could not be written: the run stopped starting steps. */
  stateError?: string;
  /** Whether `stateError` is the state lock having been force-unlocked during the run; its message then says all. @default false */
  lockLost?: boolean;
}

class StepFailure extends Error {
  constructor(message: string, readonly exitCode: number | null) {
    super(message);
  }
}

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
  const status = new Map<string, StepOutcome['status'] | 'pending' | 'running'>(opts.steps.map((s) => [s.id, 'pending']));
  const outcomes: StepOutcome[] = [];
  const hostLoad = new Map<string, number>();
  const hostsOf = (s: Step) => [...new Set([s.host, s.target].filter((x): x is string => !!x))];
  let running = 0;
  // Once state cannot be written, nothing new starts: a step whose result cannot be recorded must not run.
  let stateBroken: Error | undefined;
  const recording: Promise<void>[] = [];
  let finishing = false;

  return new Promise((resolve) => {
    const finishIfDone = async () => {
      if (running > 0 || finishing) return;
      finishing = true;
      await Promise.all(recording);
      if (running > 0) {
        finishing = false;
        return;
      }
      if (stateBroken) {
        for (const s of opts.steps) {
          if (status.get(s.id) !== 'pending') continue;
          status.set(s.id, 'skipped');
          outcomes.push({ step: s, status: 'skipped', ms: 0 });
        }
      }
      if (!stateBroken) {
        // A provider that exits 0 without doing the work must not leave a guest in state.
        const unconfirmed = await confirmLanded({
          fleet: opts.fleet, runner: opts.runner, writer: opts.writer, logDir: opts.logDir, parallelism, timeoutMs: Math.min(timeoutMs, 60_000),
          done: outcomes.filter((o) => o.status === 'done').map((o) => o.step),
        }).catch((e: Error) => {
          stateBroken = new Error(`recording what \`list\` could not confirm failed: ${e.message}`);
          return [];
        });
        for (const f of unconfirmed) {
          const o = outcomes.find((x) => x.step.id === f.step)!;
          o.status = 'failed';
          o.failure = f;
        }
      }
      const tally = { created: 0, updated: 0, replaced: 0, migrated: 0, destroyed: 0, hosts: 0 };
      for (const o of outcomes) if (o.status === 'done') tally[tallyOf(o.step)]++;
      resolve({
        outcomes, ms: Date.now() - started, tally,
        failed: outcomes.filter((o) => o.status === 'failed'),
        skipped: outcomes.filter((o) => o.status === 'skipped'),
        stateError: stateBroken?.message,
        lockLost: stateBroken instanceof StateLockLostError,
      });
    };
    let failures = 0;
    const skipDependents = () => {
      // Only a failure can make a step unreachable: nothing to do until one happens.
      if (failures === 0) return;
      let changed = true;
      while (changed) {
        changed = false;
        for (const s of opts.steps) {
          if (status.get(s.id) !== 'pending') continue;
          if (s.dependsOn.some((d) => status.get(d) === 'failed' || status.get(d) === 'skipped')) {
            failures++;
            status.set(s.id, 'skipped');
            outcomes.push({ step: s, status: 'skipped', ms: 0 });
            opts.progress.skipped(s);
            changed = true;
          }
        }
      }
    };
    // Steps not started yet, in plan order; started ones drop out so each pump looks at fewer.
    let waiting = [...opts.steps];
    const pump = () => {
      skipDependents();
      waiting = waiting.filter((s) => status.get(s.id) === 'pending');
      for (const s of waiting) {
        if (running >= parallelism || stateBroken) break;
        if (status.get(s.id) !== 'pending') continue;
        if (!s.dependsOn.every((d) => status.get(d) === 'done')) continue;
        const hosts = hostsOf(s);
        if (hosts.some((h) => (hostLoad.get(h) ?? 0) >= perHost)) continue;
        status.set(s.id, 'running');
        running++;
        for (const h of hosts) hostLoad.set(h, (hostLoad.get(h) ?? 0) + 1);
        void runStep(s).then((o) => {
          running--;
          for (const h of hosts) hostLoad.set(h, hostLoad.get(h)! - 1);
          status.set(s.id, o.status);
          if (o.status === 'failed') failures++;
          outcomes.push(o);
          pump();
        });
      }
      void finishIfDone();
    };

    const runStep = async (step: Step): Promise<StepOutcome> => {
      const t0 = Date.now();
      const logFile = join(opts.logDir, `${step.id.replace(/[^a-z0-9.-]/gi, '_')}.log`);
      let log: WriteStream | undefined;
      try {
        const intent = await opts.writer.commit((s) => {
          s.inflight[step.id] = { run: opts.runId, step, started: new Date().toISOString() };
        }).then(() => undefined, (e: Error) => e);
        if (intent instanceof StateLockLostError) {
          // Another holder may own the state now: this step is not started, and nothing more is written.
          stateBroken = intent;
          return { step, status: 'skipped', ms: 0 };
        }
        if (intent) {
          stateBroken = intent;
          throw new Error(`could not record the step's intent in state, so it was not started: ${intent.message}`);
        }
        crashPoint(opts.crashAt, `after-intent:${step.id}`);
        opts.progress.started(step);
        log = createWriteStream(logFile, { flags: 'a' });
        log.write(`# hvkit apply ${opts.runId}: ${step.description}\n`);
        const facts = await runCalls(step, log, logFile, timeoutMs);
        crashPoint(opts.crashAt, `after-script:${step.id}`);
        // Not awaited: the next step may start at once. Its intent is written after this
        // result (writes are ordered), so it is durable before that step's script runs.
        recording.push(opts.writer.commit((s) => {
          delete s.inflight[step.id];
          applyEffect(s, step, facts);
        }).catch((e: Error) => {
          if (e instanceof StateLockLostError) stateBroken ??= e;
          stateBroken ??= new Error(`${step.id} ran but recording it in state failed (the next plan checks it with the provider): ${e.message}`);
        }));
        const ms = Date.now() - t0;
        opts.progress.finished(step, ms);
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
          if (writeError instanceof StateLockLostError) stateBroken ??= writeError;
          else failure.message += `; recording the failure in state failed too: ${(writeError as Error).message}`;
        }
        opts.progress.failed(step, ms, failure);
        return { step, status: 'failed', ms, failure };
      } finally {
        await new Promise<void>((r) => (log ? log.end(r) : r()));
      }
    };

    const runCalls = async (step: Step, log: WriteStream, logPath: string, timeout: number): Promise<HostFacts | undefined> => {
      const deadline = Date.now() + timeout;
      let facts: HostFacts | undefined;
      for (const call of callsOf(step, opts.fleet)) {
        const r = await opts.runner.call(call.provider ?? step.provider, call.verb, call.input, { timeoutMs: Math.max(1, deadline - Date.now()), log, logPath });
        if (!r.ok) {
          const why = r.startError ? `could not be started: ${r.startError}` : r.timedOut ? `timed out after ${Math.round(timeout / 1000)}s and was killed` : `exited with ${r.exitCode ?? r.signal}`;
          // A script that never started printed nothing: its tail would only repeat why.
          const tail = r.startError ? '' : r.stderrTail;
          throw new StepFailure(`${call.verb} ${why}${tail ? `:\n${indent(tail)}` : ''}`, r.exitCode);
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
    };

    pump();
  });
}

function crashPoint(crashAt: string | undefined, point: string): void {
  if (crashAt === point) process.kill(process.pid, 'SIGKILL');
}

function indent(text: string): string {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}

export function failureSummary(r: ApplyResult): string {
  const lines = r.failed.map((o) => `  ${o.step.id} failed${o.failure?.exitCode != null ? ` (exit ${o.failure.exitCode})` : ''}: ${o.failure?.message}\n    log: ${o.failure?.log}`);
  if (r.stateError) lines.push(r.lockLost ? `  ${r.stateError}` : `  state could not be written, so no further step was started: ${r.stateError}`);
  if (r.skipped.length) lines.push(`  not started${r.stateError ? '' : ' because a step they depend on failed'}: ${r.skipped.map((o) => o.step.id).join(', ')}`);
  return lines.join('\n');
}

export function tallyLine(r: ApplyResult): string {
  const t = r.tally;
  return `${t.created} created, ${t.updated} updated, ${t.migrated} migrated, ${t.destroyed} destroyed${t.replaced ? `, ${t.replaced} replaced` : ''}${t.hosts ? `, ${t.hosts} host step${t.hosts === 1 ? '' : 's'}` : ''} in ${(r.ms / 1000).toFixed(1)}s`;
}

export type { State };

import { assertNever } from '../errors';
import type { ApplyEvent, ApplyListener, ApplySummary, SkipCause, StepFailureDetail } from '../plan/apply-events';
import type { Step } from '../plan/types';
import { printableLine } from './printable';
import type { Style } from './style';

/** Where the apply view writes, and how. */
export interface ApplyViewOptions {
  out: (text: string) => void;
  /** Where a failed run's summary goes. */
  err: (text: string) => void;
  style: Style;
  /** Steps in the plan, for the `[n/total]` counter. */
  total: number;
}

/** A duration as the views show it: `3.4s`. */
export const secs = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/** ` (exit 7)` when the script exited by itself, else nothing. */
export function exitNote(f: StepFailureDetail | undefined): string {
  return f?.exitCode != null ? ` (exit ${f.exitCode})` : '';
}

/** What each step did, in one line: `2 created, 1 updated, … in 3.4s`. */
export function tallyLine(r: ApplySummary): string {
  const t = r.tally;
  return `${t.created} created, ${t.updated} updated, ${t.migrated} migrated, ${t.destroyed} destroyed${t.replaced ? `, ${t.replaced} replaced` : ''}${t.hosts ? `, ${t.hosts} host step${t.hosts === 1 ? '' : 's'}` : ''} in ${(r.ms / 1000).toFixed(1)}s`;
}

/** One indented entry per failed step (its log file included), then why the rest did not start. */
export function failureSummary(r: ApplySummary): string {
  const lines = r.failed.map((o) => `  ${o.step.id} failed${exitNote(o.failure)}: ${o.failure?.message}\n    log: ${o.failure?.log}`);
  if (r.stateError) lines.push(r.lockLost ? `  ${r.stateError}` : `  state could not be written, so no further step was started: ${r.stateError}`);
  if (r.skipped.length) lines.push(`  not started${r.stateError ? '' : ' because a step they depend on failed'}: ${stepIds(r.skipped.map((o) => o.step.id))}`);
  return lines.join('\n');
}

const steps = (n: number): string => `${n} step${n === 1 ? '' : 's'}`;

/** Up to ten step ids, then how many more: an interrupted apply of thousands of steps stays readable. */
export function stepIds(ids: readonly string[], max = 10): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;
}

/**
 * What a failed run did, after `Apply failed: `: why it stopped when state
 * broke under it, the steps that finished but are not recorded, the failures,
 * then what state records as done.
 */
export function failedHeadline(r: ApplySummary): string {
  const parts: string[] = [];
  if (r.connectionLost) parts.push('stopped: the state database went away');
  const unrecorded = r.unrecorded ?? [];
  if (unrecorded.length) {
    parts.push(`${steps(unrecorded.length)} finished on the hypervisor but could not be recorded (${stepIds(unrecorded.map((o) => o.step.id))}): the next plan settles ${unrecorded.length === 1 ? 'it' : 'them'}`);
  }
  if (r.interrupted) parts.push(`interrupted by ${r.interrupted}, after the running steps finished`);
  if (r.failed.length || !parts.length) parts.push(`${steps(r.failed.length)} failed`);
  const head = `${parts.join('; ')}; ${unrecorded.length || r.interrupted ? 'recorded: ' : ''}${tallyLine(r)}`;
  if (!r.interrupted) return head;
  const left = r.skipped.map((o) => o.step.id);
  return `${head}; ${left.length ? `not started: ${stepIds(left)}` : 'every step had started'}; run \`hvkit plan\` to see what is left`;
}

/** Whether the run left work undone: the CLI exits 1 then (130 or 143 when a signal stopped it). */
export function applyFailed(r: ApplySummary): boolean {
  return r.failed.length > 0 || r.stateError !== undefined || r.interrupted !== undefined;
}

/** Why a step was not started, in words. */
export function skipWords(cause: SkipCause): string {
  switch (cause) {
    case 'dependency-failed': return 'a step it depends on failed';
    case 'state-unwritable': return 'state could not be written';
    case 'interrupted': return 'apply was interrupted';
    default: return assertNever(cause, 'skip cause');
  }
}

/** What apply does on a stop signal, in one line: the first waits for the running steps, the second leaves them in flight. */
export function interruptText(e: Extract<ApplyEvent, { type: 'interrupted' }>): string {
  const ids = e.running.map((s) => s.id).join(', ');
  if (e.again) {
    return `${e.signal} again: exiting now; ${e.running.length ? `left in flight (their scripts were sent SIGTERM; the next plan settles them with the provider): ${ids}` : 'no step was running'}`;
  }
  return `${e.signal} received: no further step starts; ${e.running.length ? `waiting for the running step${e.running.length === 1 ? '' : 's'} to finish and be recorded: ${ids}` : 'no step is running'} (send ${e.signal} again to exit at once)`;
}

/** The closing words of a run: to `out` when it completed, to `err` with what to do next when it did not. */
export function writeSummary(o: Pick<ApplyViewOptions, 'out' | 'err' | 'style'>, r: ApplySummary): void {
  const s = o.style;
  if (!applyFailed(r)) {
    o.out(`\n${s.paint('green', 'Apply complete')}: ${tallyLine(r)}\n`);
    return;
  }
  if (r.interrupted && !r.stateError) {
    const failures = r.failed.map((f) => `  ${f.step.id} failed${exitNote(f.failure)}: ${f.failure?.message}\n    log: ${f.failure?.log}\n`).join('');
    o.err(`\n${s.paint('red', 'Apply stopped')}: ${failedHeadline(r)}\n${failures}`);
    return;
  }
  const next = r.lockLost
    ? 'Run `hvkit plan` once no other hvkit writes this state, to settle the steps in flight and see what is left.'
    : 'State records exactly the finished steps; fix the cause and run `hvkit plan` to see what is left.';
  o.err(`\n${s.paint('red', 'Apply failed')}: ${failedHeadline(r)}\n${failureSummary(r)}\n${next}\n`);
}

export const NO_CHANGES_TEXT = 'No changes. The fleet matches the code; nothing to apply.\n';
export const CANCELLED_TEXT = 'Apply cancelled; nothing was changed.\n';
/** After a `--target`ed apply, as Terraform warns: what was left out is still to do. */
export const PARTIAL_APPLY_TEXT = '\nWarning: Applied changes may be incomplete: resource targeting was in effect, so changes code asks for outside the targets were left out. Run `hvkit plan` to see them.\n';

/** How a view shows one step's moves; the summary is the same for every text view. */
interface StepLines {
  started(step: Step): void;
  finished(step: Step, ms: number): void;
  failed(step: Step, ms: number, message: string): void;
  skipped(step: Step): void;
  /** Stops live drawing before the summary is written. */
  stop(): void;
}

function textView(o: ApplyViewOptions, lines: StepLines): ApplyListener {
  let stopped = false;
  const stop = () => {
    if (!stopped) lines.stop();
    stopped = true;
  };
  return {
    event: (e: ApplyEvent) => {
      switch (e.type) {
        case 'step-started': return lines.started(e.step);
        case 'step-finished': return lines.finished(e.step, e.ms);
        case 'step-failed': return lines.failed(e.step, e.ms, e.failure.message.split('\n')[0]);
        // Steps given up because state broke, and finished steps `list` did not confirm, are named in the summary.
        case 'step-skipped': return e.cause === 'dependency-failed' ? lines.skipped(e.step) : undefined;
        case 'step-unconfirmed': return undefined;
        case 'interrupted': return o.err(`\n${interruptText(e)}\n`);
        case 'apply-complete':
          stop();
          return writeSummary(o, e.summary);
        default: return assertNever(e, 'apply event');
      }
    },
    close: stop,
  };
}

/** One plain line per step start and finish: for CI logs and pipes. */
export function plainApplyView(o: ApplyViewOptions): ApplyListener {
  let n = 0;
  const width = String(o.total).length;
  const count = () => `[${String(++n).padStart(width)}/${o.total}]`;
  return textView(o, {
    started: (s) => o.out(`start   ${s.id}: ${s.description}\n`),
    finished: (s, ms) => o.out(`${count()} done    ${s.id} (${secs(ms)})\n`),
    failed: (s, ms, why) => o.out(`${count()} FAILED  ${s.id} (${secs(ms)}): ${why}\n`),
    skipped: (s) => o.out(`${count()} skipped ${s.id} (a step it depends on failed)\n`),
    stop: () => undefined,
  });
}

/** A live view on a terminal: running steps with their elapsed time, finished ones scrolling above. */
export async function ttyApplyView(stream: NodeJS.WriteStream, o: ApplyViewOptions): Promise<ApplyListener> {
  // Loaded only for a terminal: log-update costs a tenth of a second to import.
  const { createLogUpdate } = await import('log-update');
  const s = o.style;
  const live = createLogUpdate(stream, { showCursor: true });
  const running = new Map<string, { step: Step; t0: number }>();
  let done = 0;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let frame = 0;
  const draw = () => {
    frame = (frame + 1) % frames.length;
    const lines = [...running.values()].map((r) => `  ${s.paint('cyan', frames[frame])} ${r.step.description} ${s.paint('dim', secs(Date.now() - r.t0))}`);
    live([`${s.paint('bold', `Applying: ${done}/${o.total} steps finished`)}`, ...lines].join('\n'));
  };
  const timer = setInterval(draw, 100);
  const above = (line: string) => {
    live.clear();
    stream.write(line + '\n');
    draw();
  };
  return textView(o, {
    started: (st) => {
      running.set(st.id, { step: st, t0: Date.now() });
      draw();
    },
    finished: (st, ms) => {
      running.delete(st.id);
      done++;
      above(`  ${s.paint('green', '✔')} ${st.description} ${s.paint('dim', secs(ms))}`);
    },
    failed: (st, ms, why) => {
      running.delete(st.id);
      done++;
      above(`  ${s.paint('red', '✘')} ${st.description} ${s.paint('dim', secs(ms))}: ${printableLine(why)}`);
    },
    skipped: (st) => {
      done++;
      above(`  ${s.paint('yellow', '-')} ${st.description} ${s.paint('dim', '(skipped)')}`);
    },
    stop: () => {
      clearInterval(timer);
      live.clear();
      live.done();
    },
  });
}

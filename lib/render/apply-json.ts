import { assertNever } from '../errors';
import type { ApplyEvent, ApplyListener, ApplySummary, ApplyTally, StepFailureDetail } from '../plan/apply-events';
import type { Step } from '../plan/types';
import { applyFailed, exitNote, secs, tallyLine } from './apply-view';

/*
 * `hvkit apply --json`: one JSON object per line, shaped as `terraform apply
 * -json` messages (Terraform's machine-readable UI) so CI tools that read
 * those read these: `@level`, `@message`, `@module`, `@timestamp`, `type`,
 * and the step under `hook`, as Terraform puts the resource there.
 */

/** The version of this message format; bumped when a field changes meaning or goes away. */
export const APPLY_JSON_UI_VERSION = '1.0';

type Level = 'info' | 'warn' | 'error';
/** Terraform's change actions, the subset a step maps to. */
type Action = 'create' | 'update' | 'replace' | 'delete';

export interface ApplyJsonOptions {
  /** Writes one line (the newline included). */
  write: (line: string) => void;
  /** Each message's `@timestamp`. @default now; the CLI pins it to SOURCE_DATE_EPOCH when that is set */
  now?: () => Date;
}

/** The step as a hook names it: what Terraform's `resource` is to a resource. */
interface HookStep {
  id: string;
  kind: Step['kind'];
  host: string;
  target?: string;
  guest?: string;
  description: string;
}

function actionOf(step: Step): Action {
  switch (step.kind) {
    case 'create':
    case 'add-host': return 'create';
    case 'update-live':
    case 'update-restart':
    case 'update-record':
    case 'migrate':
    case 'upgrade-memory':
    case 'update-host': return 'update';
    case 'replace':
    case 'recreate': return 'replace';
    case 'destroy':
    case 'destroy-copy':
    case 'retire-host': return 'delete';
    default: return assertNever(step.kind, 'step kind');
  }
}

function hookStep(s: Step): HookStep {
  return { id: s.id, kind: s.kind, host: s.host, ...(s.target ? { target: s.target } : {}), ...(s.guest ? { guest: s.guest } : {}), description: s.description };
}

/** Terraform's change_summary counts (a replacement is one add and one remove), with hvkit's own tally beside them. */
function changeSummary(tally: ApplyTally, failed: number, skipped: number) {
  return {
    changes: {
      add: tally.created + tally.replaced,
      change: tally.updated + tally.migrated,
      import: 0,
      remove: tally.destroyed + tally.replaced,
      operation: 'apply' as const,
    },
    hvkit: { ...tally, failed, skipped },
  };
}

/** Writes the JSON lines of one command run. */
export class ApplyJsonWriter {
  private readonly now: () => Date;

  constructor(private readonly opts: ApplyJsonOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  private line(level: Level, message: string, type: string, fields: Record<string, unknown>): void {
    this.opts.write(`${JSON.stringify({ '@level': level, '@message': message, '@module': 'hvkit.ui', '@timestamp': this.now().toISOString(), ...fields, type })}\n`);
  }

  /** The first line, as Terraform's `version` message: which hvkit, which message format. */
  version(hvkit: string): void {
    this.line('info', `hvkit ${hvkit}`, 'version', { hvkit, ui: APPLY_JSON_UI_VERSION });
  }

  /** An error that ended the command (`Error: …` without --json). */
  diagnostic(summary: string, detail = '', address?: string): void {
    this.line('error', `Error: ${summary}`, 'diagnostic', { diagnostic: { severity: 'error', summary, detail, ...(address ? { address } : {}) } });
  }

  /** Something the user must act on that did not stop the command (a lock hvkit could not release). */
  warning(summary: string, detail = ''): void {
    this.line('warn', `Warning: ${summary}`, 'diagnostic', { diagnostic: { severity: 'warning', summary, detail } });
  }

  /** Nothing to apply: a change summary of zeros. */
  noChanges(): void {
    this.line('info', 'Apply complete! Resources: 0 added, 0 changed, 0 destroyed.', 'change_summary', changeSummary({ created: 0, updated: 0, replaced: 0, migrated: 0, destroyed: 0, hosts: 0 }, 0, 0));
  }

  /** A listener that writes each apply event as it happens. */
  listener(): ApplyListener {
    return { event: (e) => this.event(e), close: () => undefined };
  }

  private event(e: ApplyEvent): void {
    switch (e.type) {
      case 'step-started':
        return this.line('info', `${e.step.id}: ${e.step.description}...`, 'apply_start', { hook: { step: hookStep(e.step), action: actionOf(e.step) } });
      case 'step-finished':
        return this.line('info', `${e.step.id}: complete after ${secs(e.ms)}`, 'apply_complete', { hook: { step: hookStep(e.step), action: actionOf(e.step), elapsed_seconds: e.ms / 1000 } });
      case 'step-failed':
        return this.errored(e.step, e.ms, e.failure);
      case 'step-unconfirmed':
        return this.errored(e.step, undefined, e.failure);
      case 'step-skipped':
        return this.line('warn', `${e.step.id}: not started (${e.cause === 'dependency-failed' ? 'a step it depends on failed' : 'state could not be written'})`, 'apply_skipped', { hook: { step: hookStep(e.step), action: actionOf(e.step), cause: e.cause } });
      case 'apply-complete':
        return this.summary(e.summary);
      default:
        return assertNever(e, 'apply event');
    }
  }

  private errored(step: Step, ms: number | undefined, failure: StepFailureDetail): void {
    this.line('error', `${step.id}: errored${ms === undefined ? '' : ` after ${secs(ms)}`}`, 'apply_errored', {
      hook: { step: hookStep(step), action: actionOf(step), ...(ms === undefined ? {} : { elapsed_seconds: ms / 1000 }), failure: { exitCode: failure.exitCode, message: failure.message, log: failure.log } },
    });
  }

  /** As Terraform: the errors as diagnostics once the run is over, then the counts. */
  private summary(r: ApplySummary): void {
    for (const o of r.failed) {
      this.diagnostic(`${o.step.id} failed${exitNote(o.failure)}`, `${o.failure?.message ?? ''}\nlog: ${o.failure?.log ?? ''}`, o.step.id);
    }
    if (r.stateError) this.diagnostic(r.lockLost ? 'the state lock was lost' : 'state could not be written, so no further step was started', r.stateError);
    const counts = changeSummary(r.tally, r.failed.length, r.skipped.length);
    if (applyFailed(r)) {
      this.line('error', `Apply failed: ${r.failed.length} step${r.failed.length === 1 ? '' : 's'} failed; ${tallyLine(r)}`, 'change_summary', counts);
    } else {
      const c = counts.changes;
      this.line('info', `Apply complete! Resources: ${c.add} added, ${c.change} changed, ${c.remove} destroyed.`, 'change_summary', counts);
    }
  }
}

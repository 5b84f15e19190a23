import { assertNever } from '../errors';
import type { ApplyEvent, ApplyListener, ApplySummary, ApplyTally, StepFailureDetail } from '../plan/apply-events';
import type { Change, Step } from '../plan/types';
import { applyFailed, exitNote, failedHeadline, interruptText, secs, skipWords } from './apply-view';
import { providerOf, resourceOf } from './json';

/*
 * `hvkit apply --json`: one JSON object per line, shaped as `terraform apply
 * -json` messages (Terraform's machine-readable UI) so CI tools that read
 * those read these: `@level`, `@message`, `@module`, `@timestamp`, `type`,
 * and under `hook` the resource as `plan --json` names it in
 * `resource_changes` (Terraform's `hook.resource`), with hvkit's step beside it.
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
    case 'start':
    case 'stop':
    case 'rename':
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

/** Terraform's `hook.resource`: what ties an event to its entry in `plan --json`'s `resource_changes`. */
interface HookResource {
  addr: string;
  module: string;
  resource: string;
  implied_provider: string;
  resource_type: string;
  resource_name: string;
  resource_key: null;
}

/**
 * Whether a step carries out its guest's or its host's plan change. A record
 * over every step kind, so a new kind does not compile until it is decided here.
 */
const SUBJECT: Record<Step['kind'], Change['kind']> = {
  'add-host': 'host', 'upgrade-memory': 'host', 'update-host': 'host', 'retire-host': 'host',
  create: 'guest', destroy: 'guest', replace: 'guest', 'update-live': 'guest', 'update-restart': 'guest',
  'update-record': 'guest', migrate: 'guest', recreate: 'guest', 'destroy-copy': 'guest', start: 'guest', stop: 'guest', rename: 'guest',
};

/** The guest or host whose plan change a step carries out. */
function changeOf(step: Step): { kind: Change['kind']; name: string } {
  const kind = SUBJECT[step.kind];
  return { kind, name: kind === 'host' ? step.host : step.guest! };
}

function hookResource(step: Step, resourceType: string): HookResource {
  const c = changeOf(step);
  const r = resourceOf(resourceType, c.kind, c.name);
  // The root module only: hvkit writes no modules, and one resource per guest or host, so no key.
  return { addr: r.address, module: '', resource: r.address, implied_provider: providerOf(resourceType).key, resource_type: r.type, resource_name: r.name, resource_key: null };
}

/** Terraform's change_summary counts. */
interface Counts { add: number; change: number; remove: number }

/** Terraform's change counts for one finished step: what plan --json counted for its change. */
function countsOf(step: Step): Counts {
  // The copy a forced rebuild leaves is the old half of its guest's replacement, which the recreate already counted.
  if (step.kind === 'destroy-copy') return { add: 0, change: 0, remove: 0 };
  const action = actionOf(step);
  switch (action) {
    case 'create': return { add: 1, change: 0, remove: 0 };
    case 'update': return { add: 0, change: 1, remove: 0 };
    case 'replace': return { add: 1, change: 0, remove: 1 };
    case 'delete': return { add: 0, change: 0, remove: 1 };
    default: return assertNever(action, 'action');
  }
}

function countSteps(steps: readonly Step[]): Counts {
  const total: Counts = { add: 0, change: 0, remove: 0 };
  for (const s of steps) {
    const c = countsOf(s);
    total.add += c.add;
    total.change += c.change;
    total.remove += c.remove;
  }
  return total;
}

function hookStep(s: Step): HookStep {
  return { id: s.id, kind: s.kind, host: s.host, ...(s.target ? { target: s.target } : {}), ...(s.guest ? { guest: s.guest } : {}), description: s.description };
}

/**
 * Terraform's change_summary counts of the finished steps, hosts included, as
 * plan --json counts their changes (a replacement is one add and one remove),
 * with hvkit's own tally beside them.
 */
function changeSummary(done: readonly Step[], tally: ApplyTally, failed: number, skipped: number) {
  const c = countSteps(done);
  return {
    // Terraform's key order, so the line reads as Terraform's does.
    changes: { add: c.add, change: c.change, import: 0, remove: c.remove, operation: 'apply' as const },
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
  diagnostic(summary: string, detail = ''): void {
    this.line('error', `Error: ${summary}`, 'diagnostic', { diagnostic: { severity: 'error', summary, detail } });
  }

  /** Something the user must act on that did not stop the command (a lock hvkit could not release). */
  warning(summary: string, detail = ''): void {
    this.line('warn', `Warning: ${summary}`, 'diagnostic', { diagnostic: { severity: 'warning', summary, detail } });
  }

  /** Nothing to apply: a change summary of zeros. */
  noChanges(): void {
    this.line('info', 'Apply complete! Resources: 0 added, 0 changed, 0 destroyed.', 'change_summary', changeSummary([], { created: 0, updated: 0, replaced: 0, migrated: 0, destroyed: 0, hosts: 0 }, 0, 0));
  }

  /**
   * A listener that writes each apply event as it happens.
   * @param resourceType the fleet's resource type, which `plan --json` addresses resources by
   */
  listener(resourceType: string): ApplyListener {
    return { event: (e) => this.event(e, resourceType), close: () => undefined };
  }

  private hook(step: Step, resourceType: string) {
    return { resource: hookResource(step, resourceType), step: hookStep(step), action: actionOf(step) };
  }

  private event(e: ApplyEvent, resourceType: string): void {
    switch (e.type) {
      case 'step-started':
        return this.line('info', `${e.step.id}: ${e.step.description}...`, 'apply_start', { hook: this.hook(e.step, resourceType) });
      case 'step-finished':
        return this.line('info', `${e.step.id}: complete after ${secs(e.ms)}`, 'apply_complete', { hook: { ...this.hook(e.step, resourceType), elapsed_seconds: e.ms / 1000 } });
      case 'step-failed':
        return this.errored(e.step, resourceType, e.ms, e.failure);
      case 'step-unconfirmed':
        return this.errored(e.step, resourceType, undefined, e.failure);
      case 'step-skipped':
        return this.line('warn', `${e.step.id}: not started (${skipWords(e.cause)})`, 'apply_skipped', { hook: { ...this.hook(e.step, resourceType), cause: e.cause } });
      case 'interrupted':
        return this.warning(interruptText(e));
      case 'apply-complete':
        return this.summary(e.summary, resourceType);
      default:
        return assertNever(e, 'apply event');
    }
  }

  private errored(step: Step, resourceType: string, ms: number | undefined, failure: StepFailureDetail): void {
    this.line('error', `${step.id}: errored${ms === undefined ? '' : ` after ${secs(ms)}`}`, 'apply_errored', {
      hook: { ...this.hook(step, resourceType), ...(ms === undefined ? {} : { elapsed_seconds: ms / 1000 }), failure: { exitCode: failure.exitCode, message: failure.message, log: failure.log } },
    });
  }

  /** As Terraform: the errors as diagnostics once the run is over, then the counts. */
  private summary(r: ApplySummary, resourceType: string): void {
    for (const o of r.failed) {
      const summary = `${o.step.id} failed${exitNote(o.failure)}`;
      // `address` is the resource's, as in plan --json; the step it came from is hvkit's own field.
      this.line('error', `Error: ${summary}`, 'diagnostic', {
        diagnostic: { severity: 'error', summary, detail: `${o.failure?.message ?? ''}\nlog: ${o.failure?.log ?? ''}`, address: hookResource(o.step, resourceType).addr, hvkit: { step: o.step.id } },
      });
    }
    if (r.stateError) this.diagnostic(r.lockLost ? 'the state lock was lost' : 'state could not be written, so no further step was started', r.stateError);
    const counts = changeSummary(r.outcomes.filter((o) => o.status === 'done' && !r.unrecorded?.includes(o)).map((o) => o.step), r.tally, r.failed.length, r.skipped.length);
    if (applyFailed(r)) {
      this.line('error', `Apply failed: ${failedHeadline(r)}`, 'change_summary', counts);
    } else {
      const c = counts.changes;
      this.line('info', `Apply complete! Resources: ${c.add} added, ${c.change} changed, ${c.remove} destroyed.`, 'change_summary', counts);
    }
  }
}

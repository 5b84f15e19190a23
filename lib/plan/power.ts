import type { PowerState } from '../manifest/types';
import { recordedPower, type GuestRecord } from '../state/types';
import type { GuestChange, Step } from './types';

/**
 * Power as code: a guest's `power` prop against the power state last
 * recorded or seen (`hvkit start | stop`, an apply, `hvkit refresh`). The
 * spec's own `power` field is record-only (lib/plan/diff.ts), so this is the
 * one place that decides whether a guest is started or stopped.
 */

/** The change with its power difference: a guest that differs only in power gets a `power` update. */
export function withPowerChange(given: GuestChange, rec: GuestRecord | undefined): GuestChange {
  const change = withConfigOnlyChanges(given, rec);
  const want = change.after?.power;
  if (!want || !rec || change.action === 'create' || change.action === 'delete') return change;
  const seen = recordedPower(rec);
  if (seen === want) return change;
  const field = { field: 'power', before: seen, after: want };
  const fields = [...change.fields.filter((f) => f.field !== 'power'), field].sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
  const shutdown = want === 'stopped' ? { shutdown: true as const } : {};
  if (change.action === 'noop' || (change.action === 'update' && change.recordOnly)) {
    return { ...change, action: 'update', restart: false, recordOnly: false, reason: { code: 'power', detail: { from: seen, to: want } }, ...shutdown, fields };
  }
  return { ...change, ...shutdown, fields };
}

/** A live update of a guest recorded shut off changes only its config: its reason says so. */
function withConfigOnlyChanges(change: GuestChange, rec: GuestRecord | undefined): GuestChange {
  if (change.reason.code !== 'live-update' || !rec || recordedPower(rec) !== 'stopped') return change;
  return { ...change, reason: { code: 'live-update', detail: { ...change.reason.detail, stopped: true } } };
}

/** Steps whose calls leave the guest running whatever it was before (they create or restart it). */
const STARTS: ReadonlySet<Step['kind']> = new Set(['create', 'replace', 'update-restart', 'recreate']);

/**
 * The step of a guest change, made to leave the guest as its `power` prop
 * says: a change of power alone is a `start` or `stop` step; any other step
 * is followed by the power call it needs (`then`), e.g. a new guest with
 * power 'stopped' is created (the providers' create starts it) and then stopped.
 */
export function withPowerStep(change: GuestChange, step: Step, rec: GuestRecord | undefined): Step {
  const want = change.after?.power;
  if (!want) return step;
  if (change.reason.code === 'power') {
    const kind = want === 'running' ? 'start' : 'stop';
    return { ...step, id: `${kind}:${change.name}`, kind, description: `${kind} ${change.name} on ${step.host} (power '${want}' in code)` };
  }
  const end: PowerState = STARTS.has(step.kind) ? 'running' : recordedPower(rec);
  if (end === want) return step;
  const then = want === 'running' ? 'start' : 'stop';
  return { ...step, then, description: `${step.description}, then ${then} it (power '${want}' in code)` };
}

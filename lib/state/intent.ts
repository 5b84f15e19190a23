import type { GuestSpec, HostSpec, ProviderName } from '../manifest/types';

/** The intent record version this hvkit writes and settles. */
export const INTENT_VERSION = 1;

/**
 * What state keeps of a step it records as in flight: exactly what settling
 * it after a crash needs (which guest, on which hosts, as planned, with the
 * config text to record), nothing rendered for display. State owns this
 * shape, so a plan format change never changes what state files hold.
 */
export interface IntentStep {
  id: string;
  /**
   * The plan's step kind. A string, not the plan's union: a state file may
   * have been written by another hvkit, and recovery checks it.
   */
  kind: string;
  provider: ProviderName;
  /** The host the step runs on (the source host of a migration). */
  host: string;
  /** Migration or recreate target host; for `destroy-copy`, the host its recreate landed on. */
  target?: string;
  guest?: string;
  hostSpec?: HostSpec;
  targetSpec?: HostSpec;
  /** The guest as the step leaves it. */
  after?: GuestSpec;
  /** The rendered config of `after`, byte for byte, recorded once the step is known done. */
  configText?: string;
}

/**
 * The apply process that runs a step, so recovery can tell an apply still
 * running on this machine (whose lock a restarted database forgot) from a dead one.
 */
export interface IntentProcess {
  pid: number;
  /** os.hostname() of the machine it runs on. */
  host: string;
  /** When the process started, as the kernel counts it (see processStart): guards against a reused pid. @default absent where there is no /proc */
  pidStart?: string;
}

/** A step that started and has not been recorded as finished. */
export interface IntentRecord {
  version: typeof INTENT_VERSION;
  /** The apply run that started it. */
  run: string;
  /** When it started (ISO 8601). */
  started: string;
  step: IntentStep;
  /** The process of that run. @default absent in records written before hvkit kept it: recovery cannot ask */
  by?: IntentProcess;
}

/**
 * An in-flight record of an intent version this hvkit does not read (a newer
 * hvkit wrote it). Kept as stored, so recovery can report it rather than drop it.
 */
export interface ForeignIntent {
  version: number;
  run: string;
  started: string;
  step: { id: string; [field: string]: unknown };
}

/** What `State.inflight` holds: records this hvkit reads, and any it cannot. */
export type StoredIntent = IntentRecord | ForeignIntent;

export function isCurrentIntent(intent: StoredIntent): intent is IntentRecord {
  return intent.version === INTENT_VERSION;
}

/**
 * The fields of a plan step an intent keeps. The plan's `Step` is one (see
 * lib/apply/intent.ts), and so was the whole step that records written before
 * intents had a version embedded.
 */
export type IntentSource = Omit<IntentStep, 'configText'> & { config?: { text: string } };

/** The intent record of `step`, started by apply `run` (process `by`) at `started`. */
export function intentRecord(step: IntentSource, run: string, started: string, by?: IntentProcess): IntentRecord {
  const { id, kind, provider, host, target, guest, hostSpec, targetSpec, after, config } = step;
  const kept: IntentStep = { id, kind, provider, host, target, guest, hostSpec, targetSpec, after, configText: config?.text };
  // No `undefined` members: the record reads back from JSON exactly as it was made.
  for (const k of Object.keys(kept) as (keyof IntentStep)[]) if (kept[k] === undefined) delete kept[k];
  return { version: INTENT_VERSION, run, started, step: kept, ...(by ? { by } : {}) };
}

/** An in-flight record as hvkit before intent versions wrote it: the plan's whole step. */
interface LegacyIntent {
  version?: undefined;
  run: string;
  started: string;
  step: IntentSource;
}

/**
 * Upgrades in-flight records written before intents had a version
 * (`{run, step: <the plan's Step>, started}`) to the current record; records
 * with a version are kept as they are.
 */
export function upgradeIntents(inflight: Record<string, StoredIntent | LegacyIntent>): Record<string, StoredIntent> {
  // fromEntries defines own properties: no step id can reach Object.prototype.
  return Object.fromEntries(Object.entries(inflight).map(([id, intent]) => [
    id,
    intent.version === undefined ? intentRecord(intent.step, intent.run, intent.started) : intent,
  ]));
}

import type { Step } from '../plan/types';
import { intentRecord, type IntentRecord } from '../state/intent';

/** What state records of `step` before its first provider call in apply run `runId`. */
export function intentOf(step: Step, runId: string, now: Date = new Date()): IntentRecord {
  return intentRecord(step, runId, now.toISOString());
}

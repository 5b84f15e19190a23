import { hostname } from 'node:os';
import type { Step } from '../plan/types';
import { intentRecord, type IntentProcess, type IntentRecord } from '../state/intent';
import { processStart } from '../state/lock-wait';

let self: IntentProcess | undefined;

/** This process, as its intents name it. */
export function thisProcess(): IntentProcess {
  if (!self) {
    const pidStart = processStart(process.pid);
    self = { pid: process.pid, host: hostname(), ...(pidStart !== undefined ? { pidStart } : {}) };
  }
  return self;
}

/**
 * What state records of `step` before its first provider call in apply run
 * `runId`, by process `by` (apply passes thisProcess()).
 * @default by absent: a record recovery cannot ask about the process of
 */
export function intentOf(step: Step, runId: string, now: Date = new Date(), by?: IntentProcess): IntentRecord {
  return intentRecord(step, runId, now.toISOString(), by);
}

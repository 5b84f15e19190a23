import type { Step } from './types';

/*
 * What an apply reports as it carries out a plan's steps. The executor
 * (lib/apply) emits these and the apply views (lib/render) format them; the
 * types live beside the Step they describe so both layers can see them.
 */

/** Why a step failed: what the operator needs to find the cause. */
export interface StepFailureDetail {
  /** The provider script's exit code; null when it never exited by itself (not started, killed, bad answer). */
  exitCode: number | null;
  message: string;
  /** The step's log file, with every call's output. */
  log: string;
}

/**
 * Why a step was not started: a step it depends on failed or was not
 * started, state could no longer be written, or apply was interrupted
 * (SIGINT, SIGTERM), so nothing new starts.
 */
export type SkipCause = 'dependency-failed' | 'state-unwritable' | 'interrupted';

/** The signals apply stops gracefully on: Ctrl-C, and a CI runner cancelling the job. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface StepOutcome {
  step: Step;
  status: 'done' | 'failed' | 'skipped';
  ms: number;
  failure?: StepFailureDetail;
}

/** Finished steps by what they did to the fleet. */
export interface ApplyTally {
  created: number;
  updated: number;
  replaced: number;
  migrated: number;
  destroyed: number;
  hosts: number;
}

/** What an apply did, once every step it started has ended. */
export interface ApplySummary {
  /** Every step of the run, in the order each ended or was given up. */
  outcomes: StepOutcome[];
  ms: number;
  tally: ApplyTally;
  failed: StepOutcome[];
  skipped: StepOutcome[];
  /** Set when state could not be written: the run stopped starting steps. */
  stateError?: string;
  /** Whether `stateError` is the state lock having been force-unlocked during the run; its message then says all. @default false */
  lockLost?: boolean;
  /** Whether `stateError` is the state database having gone away (its session, and the lock with it). @default false */
  connectionLost?: boolean;
  /**
   * Steps that finished on the hypervisor but whose result could not be
   * recorded (state broke first): still in flight in state, for the next plan
   * to settle. They are among `outcomes` as done but not in `tally`.
   * @default []
   */
  unrecorded?: StepOutcome[];
  /** The signal that stopped the run: the steps running then finished and were recorded; `skipped` were not started. @default not interrupted */
  interrupted?: StopSignal;
}

/** One thing that happened during an apply; a closed union, so every view handles each kind. */
export type ApplyEvent =
  /** The step's intent is durable in state and its first script is about to start. */
  | { type: 'step-started'; step: Step }
  | { type: 'step-finished'; step: Step; ms: number }
  | { type: 'step-failed'; step: Step; ms: number; failure: StepFailureDetail }
  | { type: 'step-skipped'; step: Step; cause: SkipCause }
  /** A finished step whose guest the provider's `list` does not show afterwards: it counts as failed. */
  | { type: 'step-unconfirmed'; step: Step; failure: StepFailureDetail }
  /**
   * A stop signal arrived. The first time (`again` false), no further step
   * starts and `running` finish; the second time, hvkit exits at once,
   * leaving `running` in flight.
   */
  | { type: 'interrupted'; signal: StopSignal; running: Step[]; again: boolean }
  | { type: 'apply-complete'; summary: ApplySummary };

/** Receives an apply's events as they happen; the CLI picks which view. */
export interface ApplyListener {
  event(e: ApplyEvent): void;
  /** Called once the run is over, also when it ended with an error; must be safe to call twice. */
  close(): void;
}

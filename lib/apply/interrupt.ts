import type { StopSignal } from '../plan/apply-events';

export type { StopSignal };

/** The exit status of a run stopped by a signal, as shells count it (128 + the signal's number). */
export const STOP_EXIT_CODE: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * What an apply does on SIGINT and SIGTERM, as Terraform does: the first stops
 * new steps from starting, while the running ones finish and are recorded;
 * the second exits at once, leaving the running steps in flight.
 *
 * Provider scripts (and the spawn helper) run in process groups of their own,
 * so a Ctrl-C on a terminal, which reaches the whole foreground group, reaches
 * hvkit alone: the scripts finish their step. On the second signal hvkit
 * sends SIGTERM to their groups before it exits, so none goes on changing a
 * hypervisor unrecorded, with no hvkit left to record it; their steps stay in
 * flight for the next plan to settle with the provider.
 */
export class ApplyInterrupt {
  /** The first signal received, once one was: no new step may start. */
  signal?: StopSignal;
  private readonly handler = (sig: NodeJS.Signals) => this.receive(sig as StopSignal);
  private installed = false;

  /**
   * @param first called on the first signal, to say what happens now
   * @param second called on the second, to say what is left in flight and stop the scripts; the process then exits
   * @param exit @default process.exit
   */
  constructor(
    private readonly first: (sig: StopSignal) => void,
    private readonly second: (sig: StopSignal) => void,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {}

  /** Takes SIGINT and SIGTERM over from Node's default (exit at once) until remove(). */
  install(): this {
    if (!this.installed) {
      process.on('SIGINT', this.handler);
      process.on('SIGTERM', this.handler);
      this.installed = true;
    }
    return this;
  }

  remove(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
    this.installed = false;
  }

  /** A signal arrived (also for tests, without a real one). */
  receive(sig: StopSignal): void {
    if (this.signal === undefined) {
      this.signal = sig;
      this.first(sig);
      return;
    }
    try {
      this.second(sig);
    } finally {
      this.exit(STOP_EXIT_CODE[sig]);
    }
  }
}

import { hostsOf, type Step } from '../plan/types';

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface SchedulerLimits {
  /** Steps running at once. */
  parallelism: number;
  /** Steps running at once that touch one host (as its host or its target). */
  perHost: number;
}

/** How many steps are in each status. */
export type StatusCounts = Record<StepStatus, number>;

/**
 * Decides which steps may start, and which can no longer run, as steps end;
 * it runs nothing itself, so the rules are testable without processes. A step
 * starts once every step it depends on is done, within the overall and the
 * per-host limits, in plan order; a step one of whose dependencies failed or
 * was not started is not started either.
 */
export class Scheduler {
  private readonly status = new Map<string, StepStatus>();
  private readonly hostLoad = new Map<string, number>();
  /** Steps not started yet, in plan order; started and skipped ones drop out so each look is shorter. */
  private waiting: Step[];
  private readonly counts: StatusCounts;

  constructor(steps: readonly Step[], private readonly limits: SchedulerLimits) {
    for (const s of steps) this.status.set(s.id, 'pending');
    this.waiting = [...steps];
    this.counts = { pending: steps.length, running: 0, done: 0, failed: 0, skipped: 0 };
  }

  /** Marks running, and returns in plan order, every step that may start now. */
  start(): Step[] {
    const started: Step[] = [];
    for (const s of this.waiting) {
      if (this.counts.running >= this.limits.parallelism) break;
      if (!s.dependsOn.every((d) => this.status.get(d) === 'done')) continue;
      const hosts = hostsOf(s);
      if (hosts.some((h) => (this.hostLoad.get(h) ?? 0) >= this.limits.perHost)) continue;
      for (const h of hosts) this.hostLoad.set(h, (this.hostLoad.get(h) ?? 0) + 1);
      this.move(s.id, 'running');
      started.push(s);
    }
    if (started.length) this.waiting = this.waiting.filter((s) => this.status.get(s.id) === 'pending');
    return started;
  }

  /**
   * Records how a running step ended and frees its hosts. Returns the steps
   * that can no longer run because of it (its dependents, and theirs), in plan
   * order, now marked skipped.
   */
  finish(step: Step, how: 'done' | 'failed' | 'skipped'): Step[] {
    if (this.status.get(step.id) !== 'running') throw new Error(`scheduler: ${step.id} ended but was not running`);
    for (const h of hostsOf(step)) this.hostLoad.set(h, this.hostLoad.get(h)! - 1);
    this.move(step.id, how);
    return how === 'done' ? [] : this.skipUnreachable();
  }

  /** Gives up every step not started yet (state cannot be written): marks them skipped and returns them in plan order. */
  halt(): Step[] {
    const given = this.waiting;
    for (const s of given) this.move(s.id, 'skipped');
    this.waiting = [];
    return given;
  }

  statusOf(id: string): StepStatus | undefined {
    return this.status.get(id);
  }

  /** Steps in each status; failed and skipped are counted apart. */
  tally(): StatusCounts {
    return { ...this.counts };
  }

  get running(): number {
    return this.counts.running;
  }

  private move(id: string, to: StepStatus): void {
    this.counts[this.status.get(id)!]--;
    this.counts[to]++;
    this.status.set(id, to);
  }

  private skipUnreachable(): Step[] {
    const skipped: Step[] = [];
    // Repeated until nothing changes: a dependent may come before its dependency in plan order.
    let changed = true;
    while (changed) {
      changed = false;
      for (const s of this.waiting) {
        if (this.status.get(s.id) !== 'pending') continue;
        if (s.dependsOn.some((d) => this.status.get(d) === 'failed' || this.status.get(d) === 'skipped')) {
          this.move(s.id, 'skipped');
          skipped.push(s);
          changed = true;
        }
      }
    }
    if (skipped.length) this.waiting = this.waiting.filter((s) => this.status.get(s.id) === 'pending');
    return skipped;
  }
}

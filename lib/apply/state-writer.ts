import type { State, StateStore } from '../state/types';

/**
 * Records apply progress in state. Every change is written atomically as the
 * store's next version; changes that arrive while a write is under way go out together
 * in the next write (group commit), and each caller waits until a write that
 * contains its change is on disk.
 */
export class StateWriter {
  private writing?: Promise<void>;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  private writes = 0;

  /**
   * @param crashDuringWrite test hook (HVKIT_TEST_CRASH_AT=during-write:N): SIGKILL this
   *   process while the N-th write is under way, to prove a torn write cannot happen.
   */
  constructor(private readonly store: StateStore, readonly state: State, private readonly crashDuringWrite?: number) {}

  /** Applies `mutate` to the state now and resolves once it is durable. */
  commit(mutate: (s: State) => void): Promise<void> {
    mutate(this.state);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.writing) this.writing = this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.waiters.length) {
      const batch = this.waiters;
      this.waiters = [];
      try {
        // Stores serialize synchronously inside write(), so no copy is needed here.
        const pending = this.store.write(this.state);
        if (++this.writes === this.crashDuringWrite) setImmediate(() => process.kill(process.pid, 'SIGKILL'));
        // The store numbers the version; the next write goes on from it.
        this.state.serial = await pending;
        for (const w of batch) w.resolve();
      } catch (e) {
        for (const w of batch) w.reject(e);
      }
    }
    this.writing = undefined;
  }
}

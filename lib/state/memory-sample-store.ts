import type { HostLoad } from '../load/rates';
import type { AppendResult, SampleStore } from '../load/sample-store';
import { DEFAULT_WINDOW, appendToWindow, pruneWindow, slotOf, type LoadWindow } from '../load/window';

/** Measured load kept in memory: the test fake, held to the same conformance suite as the file and pg stores. */
export class MemorySampleStore implements SampleStore {
  readonly location = 'memory';
  private kept: HostLoad[] = [];

  /** @param window @default DEFAULT_WINDOW (5-minute slots, 7 days) */
  constructor(readonly window: LoadWindow = DEFAULT_WINDOW) {}

  async append(samples: readonly HostLoad[], now: string = new Date().toISOString()): Promise<AppendResult> {
    const { kept, refused } = appendToWindow(this.kept, structuredClone(samples), now, this.window);
    this.kept = kept;
    return { refused };
  }

  async read(since?: string): Promise<HostLoad[]> {
    const from = since === undefined ? -Infinity : slotOf(since, this.window);
    return structuredClone(this.kept.filter((s) => slotOf(s.at, this.window) >= from));
  }

  async prune(now: string): Promise<number> {
    const before = this.kept.length;
    this.kept = pruneWindow(this.kept, now, this.window);
    return before - this.kept.length;
  }

  async close(): Promise<void> {}
}

import type { HostLoad } from './rates';
import type { LoadWindow } from './window';

/** What `append` did not keep. */
export interface AppendResult {
  /** Samples too far ahead of hvkit's clock (a host's clock set wrong): not kept. */
  refused: HostLoad[];
}

/**
 * Where measured load is kept, beside a fleet's state: a bounded rolling
 * window of HostLoad samples (window.ts). Unlike state it is not versioned:
 * samples are replaced within their slot and deleted once out of the window.
 * Implementations: FileSampleStore, PgSampleStore, MemorySampleStore (lib/state),
 * all held to test/state/sample-conformance.ts.
 */
export interface SampleStore {
  /** Where the samples are, for messages. */
  readonly location: string;
  readonly window: LoadWindow;
  /**
   * Puts each sample in its slot, replacing the sample of the same host in
   * that slot, then drops every sample older than the window before the one
   * appended. Samples more than MAX_AHEAD_MS (window.ts) ahead of `now` are
   * not kept but answered, for a warning; any such kept before are dropped.
   * @param now hvkit's clock @default the current time
   */
  append(samples: readonly HostLoad[], now?: string): Promise<AppendResult>;
  /** The kept samples whose slot starts at or after `since` (all when absent), sorted by slot then host. */
  read(since?: string): Promise<HostLoad[]>;
  /** Drops the samples older than the window before `now`; answers how many went. */
  prune(now: string): Promise<number>;
  /** Lets go of what the store holds open. */
  close(): Promise<void>;
}

import type { HostLoad } from './rates';

/**
 * How much measured load is kept: one sample per host per slot of
 * `resolutionMs` (slots aligned to the Unix epoch, so every backend and every
 * run agrees on them; a later sample in a slot replaces the earlier one), none
 * older than `keepMs` before the newest.
 */
export interface LoadWindow {
  /** @default 300000 (5 minutes) */
  resolutionMs: number;
  /** @default 604800000 (7 days) */
  keepMs: number;
}

export const DEFAULT_WINDOW: LoadWindow = { resolutionMs: 5 * 60_000, keepMs: 7 * 24 * 3_600_000 };

/** The start of the slot `at` falls in, in ms since the epoch. */
export function slotOf(at: string | number, window: LoadWindow = DEFAULT_WINDOW): number {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  return Math.floor(ms / window.resolutionMs) * window.resolutionMs;
}

/** The earliest slot still kept when the newest sample is at `now`. */
export function oldestKeptSlot(now: string | number, window: LoadWindow = DEFAULT_WINDOW): number {
  return slotOf((typeof now === 'number' ? now : Date.parse(now)) - window.keepMs, window);
}

/**
 * `kept` (one host's samples or a fleet's, sorted by slot then host) with
 * `sample` put in: replacing the sample of its host in its slot, then dropping
 * what fell out of the window. Pure: the file and memory stores keep their
 * samples with it; the pg store does the same in SQL.
 */
export function mergeIntoWindow(kept: readonly HostLoad[], sample: HostLoad, window: LoadWindow = DEFAULT_WINDOW): HostLoad[] {
  const slot = slotOf(sample.at, window);
  const others = kept.filter((s) => !(s.host === sample.host && slotOf(s.at, window) === slot));
  return pruneWindow([...others, sample], Math.max(Date.parse(sample.at), ...kept.map((s) => Date.parse(s.at))), window);
}

/** The samples still in the window when the newest is at `now`, sorted by slot then host. */
export function pruneWindow(kept: readonly HostLoad[], now: string | number, window: LoadWindow = DEFAULT_WINDOW): HostLoad[] {
  const oldest = oldestKeptSlot(now, window);
  return kept.filter((s) => slotOf(s.at, window) >= oldest).sort((a, b) => slotOf(a.at, window) - slotOf(b.at, window) || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

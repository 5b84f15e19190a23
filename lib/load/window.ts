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
 * `samples` put in: each replacing the sample of its host in its slot unless
 * that one was taken later (a sample that arrives late never replaces a newer
 * one), then dropping what fell out of the window. One pass over the batch
 * (a week of a large fleet is hundreds of thousands of samples). Pure: the
 * file and memory stores keep their samples with it; the pg store does the
 * same in SQL.
 */
export function mergeIntoWindow(kept: readonly HostLoad[], samples: HostLoad | readonly HostLoad[], window: LoadWindow = DEFAULT_WINDOW): HostLoad[] {
  const bySlot = new Map<string, Slotted>();
  let newest = -Infinity;
  const put = (sample: HostLoad) => {
    const ms = Date.parse(sample.at);
    const slot = slotOf(ms, window);
    const key = `${sample.host}|${slot}`;
    const old = bySlot.get(key);
    if (!old || ms >= old.ms) bySlot.set(key, { sample, slot, ms });
    if (ms > newest) newest = ms;
  };
  for (const s of kept) put(s);
  for (const s of isList(samples) ? samples : [samples]) put(s);
  return keptSorted([...bySlot.values()], newest, window);
}

/** The samples still in the window when the newest is at `now`, sorted by slot then host. */
export function pruneWindow(kept: readonly HostLoad[], now: string | number, window: LoadWindow = DEFAULT_WINDOW): HostLoad[] {
  const slotted = kept.map((sample) => {
    const ms = Date.parse(sample.at);
    return { sample, ms, slot: slotOf(ms, window) };
  });
  return keptSorted(slotted, now, window);
}

interface Slotted {
  sample: HostLoad;
  slot: number;
  ms: number;
}

function isList(x: HostLoad | readonly HostLoad[]): x is readonly HostLoad[] {
  return Array.isArray(x);
}

/** Filtered once and sorted once on precomputed slots: Date.parse in a comparator costs seconds at this size. */
function keptSorted(all: Slotted[], now: string | number, window: LoadWindow): HostLoad[] {
  const oldest = oldestKeptSlot(now, window);
  return all
    .filter((s) => s.slot >= oldest)
    .sort((a, b) => a.slot - b.slot || (a.sample.host < b.sample.host ? -1 : a.sample.host > b.sample.host ? 1 : 0))
    .map((s) => s.sample);
}

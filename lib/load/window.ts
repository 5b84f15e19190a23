import type { HostLoad } from './rates';

/**
 * How much measured load is kept: one sample per host per slot of
 * `resolutionMs` (slots aligned to the Unix epoch, so every backend and every
 * run agrees on them; a later sample in a slot replaces the earlier one), none
 * older than `keepMs` before the sample being appended, none more than
 * `MAX_AHEAD_MS` ahead of hvkit's clock.
 */
export interface LoadWindow {
  /** @default 300000 (5 minutes) */
  resolutionMs: number;
  /** @default 604800000 (7 days) */
  keepMs: number;
}

/**
 * How far ahead of hvkit's own clock a sample may be and still be kept: a
 * host's clock a little fast is tolerated; one from a skewed clock (a year
 * ahead) is refused, as it would stand for the "latest" load until then.
 */
export const MAX_AHEAD_MS = 5 * 60_000;

/** `samples` split into those a store keeps and those too far ahead of `now` (hvkit's clock). */
export function aheadOfClock<T extends { at: string }>(samples: readonly T[], now: string | number): { keep: T[]; refused: T[] } {
  const limit = (typeof now === 'number' ? now : Date.parse(now)) + MAX_AHEAD_MS;
  return { keep: samples.filter((s) => Date.parse(s.at) <= limit), refused: samples.filter((s) => Date.parse(s.at) > limit) };
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
 * one), then dropping what fell out of the window ending at the newest sample
 * appended — not at the newest kept, so that one sample from a clock far
 * ahead cannot push every real one out. One pass over the batch (a week of a
 * large fleet is hundreds of thousands of samples). Pure: the file and memory
 * stores keep their samples with it; the pg store does the same in SQL.
 */
export function mergeIntoWindow(kept: readonly HostLoad[], samples: HostLoad | readonly HostLoad[], window: LoadWindow = DEFAULT_WINDOW): HostLoad[] {
  const bySlot = new Map<string, Slotted>();
  let newest = -Infinity;
  const put = (sample: HostLoad, appended: boolean) => {
    const ms = Date.parse(sample.at);
    const slot = slotOf(ms, window);
    const key = `${sample.host}|${slot}`;
    const old = bySlot.get(key);
    if (!old || ms >= old.ms) bySlot.set(key, { sample, slot, ms });
    if (appended && ms > newest) newest = ms;
  };
  for (const s of kept) put(s, false);
  for (const s of isList(samples) ? samples : [samples]) put(s, true);
  return keptSorted([...bySlot.values()], newest, window);
}

/**
 * What a store keeps after appending `samples` at hvkit's time `now`: those
 * too far ahead of `now` refused (and any such already kept dropped), the rest
 * merged in. Pure, for the file and memory stores.
 */
export function appendToWindow(kept: readonly HostLoad[], samples: readonly HostLoad[], now: string | number, window: LoadWindow = DEFAULT_WINDOW): { kept: HostLoad[]; refused: HostLoad[] } {
  const { keep, refused } = aheadOfClock(samples, now);
  return { kept: mergeIntoWindow(aheadOfClock(kept, now).keep, keep, window), refused };
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

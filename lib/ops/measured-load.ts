import { measuredFindings, type MeasuredFindings } from '../capacity/measured';
import type { SampleStore } from '../load/sample-store';
import { measuredLoad } from '../load/summary';
import type { State } from '../state/types';

/**
 * The deployed fleet's measured load beside what state records it declares,
 * with its warnings, for `hvkit report`; undefined when no host or guest of
 * the state has samples in the window.
 * @param now the end of the window @default the current time
 */
export async function measuredForReport(state: State, samples: SampleStore, now?: string): Promise<MeasuredFindings | undefined> {
  const summary = await measuredLoad(samples, now);
  const hosts = Object.keys(state.hosts).sort().map((n) => state.hosts[n].spec);
  const guests = Object.keys(state.guests).sort().map((n) => state.guests[n].spec);
  return measuredFindings(hosts, guests, summary);
}

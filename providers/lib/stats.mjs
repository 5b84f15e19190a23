// Shared by the providers' `stats` verbs: the answer's shape (providers/README.md).
const KEYS = ['cpuSeconds', 'diskReadOps', 'diskWriteOps', 'diskReadBytes', 'diskWriteBytes', 'netRxBytes', 'netTxBytes', 'memoryUsedMiB'];

/** `{at, guests, totals}`: guests sorted by name, totals their sum (memoryUsedMiB only when every guest has it). */
export function statsAnswer(at, guests) {
  const sorted = [...guests].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const totals = {};
  for (const k of KEYS) {
    if (k === 'memoryUsedMiB' && sorted.some((g) => g[k] === undefined)) continue;
    totals[k] = sorted.reduce((sum, g) => sum + (g[k] ?? 0), 0);
    if (k === 'cpuSeconds') totals[k] = Math.round(totals[k] * 1e6) / 1e6;
  }
  return { at: new Date(at).toISOString(), guests: sorted, totals };
}

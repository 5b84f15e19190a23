import type { LoadFigures, MeasuredLoad } from '../capacity/measured';

/**
 * Measured beside declared load as table cells, for the plan's text,
 * markdown and the report: every figure comes from the plan's data.
 */

const RATES = [
  { key: 'cpu', head: 'CPU cores', fmt: (n: number) => String(Math.round(n * 100) / 100) },
  { key: 'iops', head: 'IOPS', fmt: (n: number) => String(Math.round(n)) },
  { key: 'netMbps', head: 'Mbit/s', fmt: (n: number) => String(Math.round(n * 10) / 10) },
] as const;

export const MEASURED_HEAD = ['HOST / GUEST', ...RATES.map((r) => `${r.head} p95 (declared)`), 'SAMPLES'];

/** "p95 measured, and the window they come from" — the line above the table. */
export function measuredTitle(m: MeasuredLoad): string {
  return `Measured load (p95 of the samples from ${m.from} to ${m.until}, declared in brackets; hosts: / soft limit)`;
}

/** One row per host then its guests, host rows with their soft limit: `7.9 / 6.21 (1.5)`. */
export function measuredRows(m: MeasuredLoad): { host: boolean; over: boolean[]; cells: string[] }[] {
  const rows: { host: boolean; over: boolean[]; cells: string[] }[] = [];
  const cell = (measured: LoadFigures, declared: LoadFigures, cap?: LoadFigures) =>
    RATES.map((r) => `${r.fmt(measured[r.key])}${cap ? ` / ${r.fmt(cap[r.key])}` : ''} (${r.fmt(declared[r.key])})`);
  const placed = new Set<string>();
  for (const h of m.hosts) {
    rows.push({ host: true, over: RATES.map((r) => h.measured[r.key] > h.capacity[r.key]), cells: [h.host, ...cell(h.measured, h.declared, h.capacity), String(h.samples)] });
    for (const g of m.guests.filter((x) => x.host === h.host)) {
      placed.add(g.guest);
      rows.push({ host: false, over: RATES.map(() => false), cells: [`  ${g.guest}`, ...cell(g.measured, g.declared), String(g.samples)] });
    }
  }
  // Guests on a host without a host-level sample (new in code) still show.
  for (const g of m.guests) if (!placed.has(g.guest)) rows.push({ host: false, over: RATES.map(() => false), cells: [`  ${g.guest} (on ${g.host})`, ...cell(g.measured, g.declared), String(g.samples)] });
  return rows;
}

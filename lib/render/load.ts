import type { FleetLoad, HostLoad, Rates } from '../load/rates';
import { columns } from './columns';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const cores = (n: number) => n.toFixed(2);
const whole = (n: number) => String(Math.round(n));
const tenths = (n: number) => n.toFixed(1);

/**
 * How long the rates were really measured over: each host's two reads, not the
 * interval asked for (a slow host's reads are further apart); a range when
 * hosts differ, `asked` when no host was measured.
 */
export function measuredSeconds(load: FleetLoad, asked: number): string {
  if (load.hosts.length === 0) return `${asked} s`;
  const s = load.hosts.map((h) => h.seconds);
  const f = (n: number) => n.toFixed(1);
  const [lo, hi] = [f(Math.min(...s)), f(Math.max(...s))];
  return lo === hi ? `${lo} s` : `${lo}–${hi} s per host`;
}

/** One line saying what a sample round measured across the fleet, for `hvkit refresh`. */
export function loadLine(load: FleetLoad, seconds: number): string {
  const guests = load.hosts.reduce((n, h) => n + Object.keys(h.guests).length, 0);
  const t = load.total;
  return `Measured load over ${measuredSeconds(load, seconds)}: ${cores(t.cpu)} cores, ${whole(t.iops)} IOPS, ${tenths(t.netMbps)} Mbit/s on ${plural(load.hosts.length, 'host')} (${plural(guests, 'guest')}); \`hvkit top\` shows each.`;
}

/** Heaviest CPU first, then by name: what an operator looks for first, as xentop sorts. */
const byCpu = <T>(entries: [string, T][], cpu: (t: T) => number): [string, T][] =>
  [...entries].sort(([a, x], [b, y]) => cpu(y) - cpu(x) || (a < b ? -1 : a > b ? 1 : 0));

function cells(name: string, r: Rates): string[] {
  return [name, cores(r.cpu), whole(r.iops), tenths(r.netMbps), tenths(r.diskMBps), r.memoryUsedMiB === undefined ? '-' : whole(r.memoryUsedMiB)];
}

/**
 * The `hvkit top` table: each host then its guests, by CPU in use, with
 * cores, IOPS, Mbit/s, disk MB/s and memory used; guests without a rate this
 * round and hosts that did not answer are named below it.
 */
export function topText(fleet: string, load: FleetLoad, seconds: number): string {
  const rows: string[][] = [['HOST / GUEST', 'CPU', 'IOPS', 'Mbit/s', 'disk MB/s', 'MEM MiB']];
  const hosts = byCpu(load.hosts.map((h): [string, HostLoad] => [h.host, h]), (h) => h.load.cpu);
  for (const [name, h] of hosts) {
    rows.push(cells(name, h.load));
    for (const [g, r] of byCpu(Object.entries(h.guests), (x) => x.cpu)) rows.push(cells(`  ${g}`, r));
  }
  const notes = [
    ...load.hosts.flatMap((h) => (h.unmeasured.length ? [`  ${h.host}: no rate for ${h.unmeasured.join(', ')} (started, stopped or restarted between the reads)`] : [])),
    ...load.failed.map((f) => `  ! ${f.host}: ${f.error}`),
  ];
  const t = load.total;
  return [
    `${fleet} at ${load.at}, over ${measuredSeconds(load, seconds)}: ${cores(t.cpu)} cores, ${whole(t.iops)} IOPS, ${tenths(t.netMbps)} Mbit/s on ${plural(load.hosts.length, 'host')}`,
    columns(rows, ''),
    ...notes,
  ].join('\n') + '\n';
}

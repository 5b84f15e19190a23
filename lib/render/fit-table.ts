import type { HostFit, ResourceFit } from '../capacity/fit';
import { columns } from './columns';
import { fitCell, isOver } from './describe';
import type { Style } from './style';

const COLUMNS: { head: string; pick: (f: HostFit) => ResourceFit[] }[] = [
  { head: 'MEMORY', pick: (f) => f.resources.filter((r) => r.key === 'memory') },
  { head: 'VCPUS', pick: (f) => f.resources.filter((r) => r.key === 'vcpus') },
  { head: 'DISK', pick: (f) => f.resources.filter((r) => r.key === 'disk') },
  { head: 'CPU LOAD', pick: (f) => f.resources.filter((r) => r.key === 'cpu') },
  { head: 'IOPS', pick: (f) => f.resources.filter((r) => r.key === 'iops') },
  { head: 'NET MBPS', pick: (f) => f.resources.filter((r) => r.key === 'network') },
];

/** The per-host fit table: `before → after / capacity percent`, over-committed cells in red. */
export function fitTable(fits: HostFit[], s: Style): string {
  const rows = [['HOST', ...COLUMNS.map((c) => c.head)]];
  for (const f of fits) {
    rows.push([
      f.host,
      ...COLUMNS.map((c) =>
        c.pick(f).map((r) => {
          const text = (r.key === 'disk' ? `${r.label.slice(5)} ` : '') + fitCell(r);
          return isOver(r) ? s.paint(r.hard ? 'red' : 'yellow', text) : text;
        }).join('\n'),
      ),
    ]);
  }
  return columns(rows);
}

import Table from 'cli-table3';
import type { HostFit, ResourceFit } from '../capacity/fit';
import { fitCell, isOver } from './describe';
import type { Style } from './style';

const PLAIN_CHARS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

const COLUMNS: { head: string; pick: (f: HostFit) => ResourceFit[] }[] = [
  { head: 'MEMORY', pick: (f) => f.resources.filter((r) => r.key === 'memory') },
  { head: 'VCPUS', pick: (f) => f.resources.filter((r) => r.key === 'vcpus') },
  { head: 'DISK', pick: (f) => f.resources.filter((r) => r.key === 'disk') },
  { head: 'CPU LOAD', pick: (f) => f.resources.filter((r) => r.key === 'cpu') },
  { head: 'IOPS', pick: (f) => f.resources.filter((r) => r.key === 'iops') },
  { head: 'NET MBPS', pick: (f) => f.resources.filter((r) => r.key === 'network') },
];

/** The per-host fit table: `before → after / capacity (percent)`, over-committed cells in red. */
export function fitTable(fits: HostFit[], s: Style): string {
  const table = new Table({ head: ['HOST', ...COLUMNS.map((c) => c.head)], chars: PLAIN_CHARS, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  for (const f of fits) {
    table.push([
      f.host,
      ...COLUMNS.map((c) =>
        c.pick(f).map((r) => {
          const text = (r.key === 'disk' ? `${r.label.slice(5)} ` : '') + fitCell(r);
          return isOver(r) ? s.paint(r.hard ? 'red' : 'yellow', text) : text;
        }).join('\n'),
      ),
    ]);
  }
  return table.toString().split('\n').map((l) => '  ' + l.trimEnd()).join('\n');
}

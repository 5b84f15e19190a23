import type { Diagnostic } from '../diagnostics';
import { assertNever } from '../errors';
import { formatSize } from '../manifest/size';
import type { HostSpec } from '../manifest/types';
import { blocks, type Breach } from './admit';
import { round2 } from './usage';

const size = (v: number) => formatSize(v);
const n = (v: number, unit: string) => `${round2(v)} ${unit}`;

/** The plan finding for a breach on `host`: what is over, by how much, and what to do. */
export function breachDiagnostic(host: HostSpec, b: Breach): Diagnostic {
  const path = host.path;
  const severity = blocks(b, host) ? 'error' : 'warning';
  const c = host.capacity;
  switch (b.mode) {
    case 'memory':
      return {
        severity, code: 'memory-over', path,
        message: `memory ${size(b.used)} committed (${size(b.reserveMiB)} reserve + ${size(b.guestsMiB)} guests + ${size(b.overheadBeyondMiB)} overhead beyond the reserve) exceeds ${size(b.capacity)} installed by ${size(b.used - b.capacity)}: add DIMMs or move a guest to another host`,
      };
    case 'vcpus':
      return {
        severity, code: 'vcpus-over', path,
        message: `${b.used} vCPUs exceed ${b.capacity} (${host.cpu.threads} threads × overcommit ${c.cpuOvercommit}${host.reserve.vcpus ? ` − ${host.reserve.vcpus} reserved` : ''}) by ${n(b.used - b.capacity, 'vCPU')}: lower vcpus or move a guest`,
      };
    case 'disk':
      return b.missing
        ? { severity, code: 'disk-over', path, message: `disk ${b.disk}: guest disks take ${size(b.used)}, but ${host.name} has no disk ${b.disk}: place them on one of ${host.disks.map((d) => d.name).join(', ') || '(none: add disks to the host)'}` }
        : { severity, code: 'disk-over', path, message: `disk ${b.disk}: guest disks take ${size(b.used)} of ${size(b.capacity)}, ${size(b.used - b.capacity)} too much: shrink or move a guest disk` };
    case 'anti-affinity':
      return {
        severity, code: 'anti-affinity', path,
        message: `${b.guests.slice(0, -1).join(', ')} and ${b.guests[b.guests.length - 1]} are in anti-affinity group '${b.group}' but all run on ${host.name}: move all but one to other hosts`,
      };
    case 'cpu-load':
      return { severity, code: 'cpu-load', path, message: `expected CPU load ${n(b.used, 'cores')} exceeds the soft limit ${n(b.capacity, 'cores')} (${host.cpu.cores} cores − ${c.cpuVirtLoss * 100}% virtualization loss, ${c.softHeadroom * 100}% headroom)` };
    case 'iops':
      return { severity, code: 'iops', path, message: `expected ${n(b.used, 'IOPS')} exceed the soft limit ${n(b.capacity, 'IOPS')} (disk IOPS − ${c.ioVirtLoss * 100}% virtualization loss, ${c.softHeadroom * 100}% headroom)` };
    case 'network':
      return { severity, code: 'network', path, message: `expected traffic ${n(b.used, 'Mbps')} exceeds the soft limit ${n(b.capacity, 'Mbps')} (virtualized network runs at ${c.netVirtFactor * 100}% of the NIC): place network-heavy guests apart` };
    default:
      return assertNever(b, 'capacity breach');
  }
}

/** A breach in a few words, for messages about a moment of an apply (`memory 10240 MiB > 8192 MiB`). */
export function breachSummary(b: Breach): string {
  switch (b.mode) {
    case 'memory': return `memory ${b.used} MiB > ${b.capacity} MiB`;
    case 'vcpus': return `vCPUs ${b.used} > ${b.capacity}`;
    case 'disk': return `disk ${b.disk} ${b.used} MiB > ${b.capacity} MiB`;
    case 'anti-affinity': return `anti-affinity group '${b.group}' has ${b.guests.join(', ')}`;
    case 'cpu-load': return `CPU load ${b.used} > ${b.capacity} cores`;
    case 'iops': return `IOPS ${b.used} > ${b.capacity}`;
    case 'network': return `network ${b.used} > ${b.capacity} Mbps`;
    default: return assertNever(b, 'capacity breach');
  }
}

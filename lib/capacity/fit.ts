import type { Diagnostic } from '../diagnostics';
import { assertNever } from '../errors';
import type { GuestSpec, HostSpec } from '../manifest/types';
import { breachesOf, hostUsage, type Breach, type ResourceKey } from './admit';

export type { ResourceKey };
import { breachDiagnostic } from './breach-text';
import { strandedOf, type Stranded } from './stranded';
import { capacitiesOf, memoryUsed, round2, sumsOf, type Capacities, type Sums } from './usage';

export type ResourceUnit = 'MiB' | 'vCPU' | 'cores' | 'IOPS' | 'Mbps';

/** One resource of one host: capacity and use before and after the plan. */
export interface ResourceFit {
  key: ResourceKey;
  /** `memory`, `vcpus`, `disk sda`, `cpu load`, `iops`, `network`. */
  label: string;
  unit: ResourceUnit;
  /** Hard limits are fit errors; soft limits warnings. */
  hard: boolean;
  capacityBefore: number;
  capacity: number;
  before: number;
  after: number;
  /** Whether, after the plan, the host breaks this resource's limit (the admission check's verdict). */
  over: boolean;
}

export interface HostFit {
  host: string;
  path: string;
  /** Guests on the host before and after, by name. */
  guestsBefore: string[];
  guestsAfter: string[];
  resources: ResourceFit[];
  /** How committed memory is made up, after the plan. */
  memory: { reserveMiB: number; overheadMiB: number; guestsMiB: number };
  diagnostics: Diagnostic[];
  stranded: Stranded | null;
}

export interface FitInput {
  /** The host as in code; undefined when the host is being retired. */
  after?: HostSpec;
  /** The host as recorded in state; undefined when it is new. */
  before?: HostSpec;
  installedBefore?: number;
  guestsBefore: readonly GuestSpec[];
  guestsAfter: readonly GuestSpec[];
}

/** Fits one host's guests before and after a change (pure); the findings come from the admission check. */
export function fitHost(input: FitInput): HostFit {
  const host = (input.after ?? input.before)!;
  const usage = input.after ? hostUsage(input.after, input.guestsAfter) : undefined;
  const capAfter = usage?.capacities;
  const capBefore = input.before ? capacitiesOf(input.before, input.installedBefore) : undefined;
  const sb = sumsOf(input.guestsBefore, (input.before ?? host).capacity);
  const sa = usage?.sums ?? sumsOf(input.guestsAfter, host.capacity);
  const usedB = (h: HostSpec | undefined, s: Sums) => (h ? memoryUsed(h, s) : 0);
  const breaches = usage ? breachesOf(usage) : [];
  const overLabels = new Set(breaches.map(rowLabel));
  const resources: ResourceFit[] = [];
  const add = (key: ResourceKey, label: string, unit: ResourceUnit, hard: boolean, pick: (c: Capacities) => number, before: number, after: number) => {
    resources.push({
      key, label, unit, hard,
      capacityBefore: capBefore ? pick(capBefore) : 0,
      capacity: capAfter ? pick(capAfter) : 0,
      before: round2(before),
      after: round2(after),
      over: overLabels.has(label),
    });
  };
  add('memory', 'memory', 'MiB', true, (c) => c.memory, input.guestsBefore.length || input.before ? usedB(input.before, sb) : 0, input.after ? usedB(input.after, sa) : 0);
  add('vcpus', 'vcpus', 'vCPU', true, (c) => c.vcpus, sb.vcpus, sa.vcpus);
  const diskNames = [...new Set([...(input.before?.disks ?? []), ...(input.after?.disks ?? [])].map((d) => d.name))].sort();
  for (const d of diskNames) add('disk', `disk ${d}`, 'MiB', true, (c) => c.disks[d] ?? 0, sb.disks[d] ?? 0, sa.disks[d] ?? 0);
  add('cpu', 'cpu load', 'cores', false, (c) => c.cpu, sb.cpu, sa.cpu);
  add('iops', 'iops', 'IOPS', false, (c) => c.iops, sb.iops, sa.iops);
  add('network', 'network', 'Mbps', false, (c) => c.net, sb.net, sa.net);

  return {
    host: host.name,
    path: host.path,
    guestsBefore: input.guestsBefore.map((g) => g.name).sort(),
    guestsAfter: input.guestsAfter.map((g) => g.name).sort(),
    resources,
    memory: {
      reserveMiB: input.after ? input.after.reserve.memoryMiB : 0,
      overheadMiB: input.after ? Math.max(0, sa.overhead - input.after.reserve.overheadMiB) : 0,
      guestsMiB: sa.memory,
    },
    diagnostics: usage ? breaches.map((b) => breachDiagnostic(usage.host, b)) : [],
    stranded: usage ? strandedOf(usage) : null,
  };
}

/** The fit-table row a breach is about; anti-affinity has none. */
function rowLabel(b: Breach): string | undefined {
  switch (b.mode) {
    case 'memory': return 'memory';
    case 'vcpus': return 'vcpus';
    case 'disk': return `disk ${b.disk}`;
    case 'cpu-load': return 'cpu load';
    case 'iops': return 'iops';
    case 'network': return 'network';
    case 'anti-affinity': return undefined;
    default: return assertNever(b, 'breach');
  }
}

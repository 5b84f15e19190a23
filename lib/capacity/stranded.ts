import { formatSize } from '../manifest/size';
import type { GuestSpec, HostSpec } from '../manifest/types';
import type { HostUsage } from './admit';
import { guestOverheadMiB, memoryUsed, round2, type Sums } from './usage';

/** A host whose memory is nearly all committed while CPU and I/O idle, or the reverse. */
export interface Stranded {
  kind: 'memory-bound' | 'cpu-io-bound';
  memory: number;
  cpu: number;
  io: number;
  /** The largest guest that would still fit. */
  shape: { memoryMiB: number; vcpus: number; cpu: number; iops: number; netMbps: number };
  message: string;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Whether a host's capacity is stranded, and the largest guest that would use it; null when it is not. */
export function strandedOf(u: HostUsage): Stranded | null {
  const { host: h, sums: s, capacities: cap } = u;
  if (s.guests === 0 || cap.memory === 0) return null;
  const c = h.capacity;
  const memory = memoryUsed(h, s) / cap.memory;
  const cpu = cap.cpu ? s.cpu / cap.cpu : 0;
  const io = cap.iops ? s.iops / cap.iops : 0;
  const busyIo = Math.max(cpu, io);
  let kind: Stranded['kind'];
  if (memory >= c.strandedBusy && busyIo <= c.strandedIdle) kind = 'memory-bound';
  else if (busyIo >= c.strandedBusy && memory <= c.strandedIdle) kind = 'cpu-io-bound';
  else return null;
  const shape = {
    memoryMiB: largestMemory(h, s, cap.memory),
    vcpus: Math.max(0, cap.vcpus - s.vcpus),
    cpu: Math.max(0, round2(cap.cpu - s.cpu)),
    iops: Math.max(0, Math.floor(cap.iops - s.iops)),
    netMbps: Math.max(0, Math.floor(cap.net - s.net)),
  };
  const fill = kind === 'memory-bound' ? 'a CPU- or I/O-heavy guest with little memory (a web or batch guest)' : 'a memory-heavy guest with little CPU or I/O (a cache or database guest)';
  const message =
    (kind === 'memory-bound'
      ? `stranded capacity: memory ${pct(memory)} committed while CPU ${pct(cpu)} and I/O ${pct(io)} busy`
      : `stranded capacity: ${cpu >= io ? `CPU ${pct(cpu)}` : `I/O ${pct(io)}`} busy while memory is ${pct(memory)} committed`) +
    `; the largest guest that still fits: ${formatSize(shape.memoryMiB)} memory, ${shape.vcpus} vCPUs, ${shape.cpu} cores of load, ${shape.iops} IOPS, ${shape.netMbps} Mbps — ${fill}`;
  return { kind, memory: round2(memory), cpu: round2(cpu), io: round2(io), shape, message };
}

/** The most memory a new one-vCPU guest could get, its own overhead included. */
function largestMemory(h: HostSpec, s: Sums, capacity: number): number {
  let m = Math.max(0, capacity - memoryUsed(h, s));
  for (let i = 0; i < 8 && m > 0; i++) {
    const ovh = guestOverheadMiB({ maxVcpus: 1, maxMemoryMiB: m, mode: 'pv' } as GuestSpec, h.capacity);
    const used = memoryUsed(h, { memory: s.memory + m, overhead: s.overhead + ovh });
    if (used <= capacity) break;
    m -= used - capacity;
  }
  return Math.max(0, m);
}

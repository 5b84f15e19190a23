import { tagsOf } from './build-host';
import { describeValue, shown, type Collector } from './check';
import { lifecycleProps, resolveLifecycle } from './lifecycle';
import { BRIDGE, MAC, ROLE, SAFE_PATH, checkDnsLabel, hasDotSegment, printable } from './names';
import { GUEST_MIN_MEMORY_MIB, PROP_KEYS, type GuestInput } from './props';
import { formatSize, parseSize } from './size';
import { GUEST_MODES, POWER_STATES, type GuestLifecycle, type GuestMode, type GuestSpec, type HostSpec, type PowerState, type ProviderName } from './types';

/** vCPUs of one guest: Xen and QEMU both stop well below this. */
const MAX_VCPUS = 4096;
/** Xen's credit-scheduler weight range. */
const MAX_CPU_WEIGHT = 65535;
/** Disk limits: far above any real disk, low enough that × 10^6 stays an exact integer for libvirt. */
const MAX_DISK_IOPS = 10_000_000;
const MAX_DISK_MBPS = 1_000_000;

/**
 * A guest's spec with its identities left empty (`uuid` and derived MACs are
 * '' here), and which NICs have a MAC written in code: identities are given
 * out once every guest is known, in a stable order (see buildManifest).
 */
export interface BuiltGuest {
  spec: GuestSpec;
  explicit: boolean[];
}

/**
 * Where a guest hvkit places may go: the hosts its provider and selector
 * admit, as far as code can tell (fit is placement's business).
 */
export interface Candidates {
  /** Hosts of the guest's provider carrying every tag of its selector. */
  hosts: readonly HostSpec[];
  /** The names of those hosts' disks. */
  diskNames: ReadonlySet<string>;
  /** Those hosts in words, for errors ("hosts of provider local with tags rack=b"). */
  describe: string;
}

/**
 * `at`: the host the guest is created in, or the hosts hvkit may place it on.
 * `inherited`: the host's (or group's) and the fleet's lifecycle props, already checked, nearest first.
 */
export function guestOf(c: Collector, g: GuestInput, at: HostSpec | Candidates, bridge: string, inherited: Partial<GuestLifecycle>[] = []): BuiltGuest {
  const host = 'hosts' in at ? undefined : at;
  const path = g.path;
  const nameMsg = checkDnsLabel('guest', g.name);
  if (nameMsg) c.add(path, nameMsg);
  const p = c.record(path, 'guest props', g.props, "{ role: 'web', vcpus: 2, memory: '4GiB' }", false) ?? {};
  c.keys(path, p, PROP_KEYS.guest);
  const role = c.pattern(path, 'role', p.role, ROLE, 'use a lowercase word such as web, db or memcached');
  const vcpus = c.count(path, 'vcpus', p.vcpus, 1, MAX_VCPUS);
  const maxVcpus = p.maxVcpus === undefined ? vcpus : c.count(path, 'maxVcpus', p.maxVcpus, 1, MAX_VCPUS);
  if (vcpus > maxVcpus) c.add(path, `vcpus ${vcpus} exceeds maxVcpus ${maxVcpus}: raise maxVcpus or lower vcpus`);
  const memoryMiB = memoryOf(c, path, p.memory);
  const maxMemoryMiB = p.maxMemory === undefined ? memoryMiB : c.size(path, 'maxMemory', p.maxMemory);
  if (memoryMiB > maxMemoryMiB) c.add(path, `memory ${formatSize(memoryMiB)} exceeds maxMemory ${formatSize(maxMemoryMiB)}: raise maxMemory or lower memory`);
  const modeRaw = p.mode ?? 'pv';
  const mode: GuestMode = GUEST_MODES.includes(modeRaw as GuestMode) ? (modeRaw as GuestMode) : 'pv';
  if (mode !== modeRaw) c.add(path, `mode ${shown(modeRaw)} must be one of ${GUEST_MODES.join(', ')}`);

  const diskNames = host ? diskNamesOf(host) : (at as Candidates).diskNames;
  const disks = c.list(path, 'disks', p.disks ?? [], "[{ size: '20GiB', on: 'sda' }]").map((raw, i) => {
    const d = c.record(path, `disks[${i}]`, raw, "{ size: '20GiB', on: 'sda' }", false) ?? {};
    c.keys(path, d, PROP_KEYS.guestDisk, `disks[${i}].`);
    const sizeMiB = c.size(path, `disks[${i}].size`, d.size);
    const on = typeof d.on === 'string' ? d.on : '';
    if (host && d.on === undefined) {
      // Only a guest hvkit places may leave the disk to placement; in a Host, code says which disk.
      c.add(path, `disks[${i}] has no 'on': name the disk of host ${printable(host.name)} it goes on (${[...diskNames].map((n) => `on: '${printable(n)}'`).join(', ') || 'none: add disks to the host'}), or create the guest in the Fleet or a HostGroup to let placement pick`);
    } else if (host && !diskNames.has(on)) {
      c.add(path, `disks[${i}] is on ${shown(d.on)}, which host ${printable(host.name)} does not have: use one of ${[...diskNames].map(printable).join(', ') || '(none: add disks to the host)'}`);
    } else if (!host && (typeof d.on !== 'string' ? d.on !== undefined : on !== '' && !diskNames.has(on) && diskNames.size > 0)) {
      // With no candidate at all, placement reports that, once, better than a disk error would.
      const names = [...diskNames].sort().map(printable).join(', ');
      c.add(path, `disks[${i}] is on ${shown(d.on)}, which no host hvkit may place this guest on has (${(at as Candidates).describe}): use one of ${names}, or leave 'on' out to let placement pick the disk`);
    }
    return { on, sizeMiB, ...diskLimitsOf(c, path, i, d, host?.provider ?? (at as Candidates).hosts[0]?.provider) };
  });

  const explicit: boolean[] = [];
  const nics = c.list(path, 'nics', p.nics ?? [{}], "[{ bridge: 'br0' }]").map((raw, i) => {
    const n = c.record(path, `nics[${i}]`, raw, "{ bridge: 'br0' }", false) ?? {};
    c.keys(path, n, PROP_KEYS.guestNic, `nics[${i}].`);
    explicit.push(n.mac !== undefined);
    return {
      bridge: c.pattern(path, `nics[${i}].bridge`, n.bridge ?? bridge, BRIDGE, 'use a Linux interface name of at most 15 characters'),
      mac: n.mac === undefined ? '' : macOf(c, path, i, n.mac),
    };
  });

  const loadP = c.record(path, 'load', p.load, '{ cpu: 0.5, iops: 100, netMbps: 50 }') ?? {};
  c.keys(path, loadP, PROP_KEYS.guestLoad, 'load.');
  const load = {
    cpu: c.nonNegative(path, 'load.cpu', loadP.cpu),
    iops: c.nonNegative(path, 'load.iops', loadP.iops),
    netMbps: c.nonNegative(path, 'load.netMbps', loadP.netMbps),
  };
  const antiAffinity = p.antiAffinity === undefined ? null : c.pattern(path, 'antiAffinity', p.antiAffinity, ROLE, 'use a lowercase group name');
  const kernel = p.kernel === undefined ? null : fileOf(c, path, 'kernel', p.kernel, true);
  const bootloader = p.bootloader !== undefined ? fileOf(c, path, 'bootloader', p.bootloader, false) : mode === 'pv' && kernel === null ? 'pygrub' : null;
  const { cpuWeight, cpuCap } = cpuOf(c, path, p, maxVcpus);
  const powerRaw = p.power ?? 'running';
  const power: PowerState = POWER_STATES.includes(powerRaw as PowerState) ? (powerRaw as PowerState) : 'running';
  if (power !== powerRaw) c.add(path, `power ${shown(powerRaw)} must be one of ${POWER_STATES.map((x) => `'${x}'`).join(', ')}`);
  const movedFrom = p.movedFrom === undefined ? null : movedFromOf(c, path, g.name, p.movedFrom);
  if (host && p.hostSelector !== undefined) {
    c.add(path, `hostSelector is for guests hvkit places, but this guest is created inside host ${printable(host.name)}: remove hostSelector, or create the guest in the Fleet (or a HostGroup) to have it placed`);
  }
  return {
    spec: {
      antiAffinity, bootloader, cpuCap, cpuWeight, disks, host: host ? host.name : '', kernel,
      lifecycle: resolveLifecycle(lifecycleProps(c, path, p.lifecycle), ...inherited), load,
      maxMemoryMiB, maxVcpus, memoryMiB, mode, movedFrom, name: typeof g.name === 'string' ? g.name : '', nics, path, power, role,
      tags: tagsOf(c, path, p.tags), uuid: '', vcpus,
    },
    explicit,
  };
}

/**
 * `cpu: { cap, weight }`, or the older flat `cpuCap`/`cpuWeight`: both give
 * the same spec fields, so a fleet can move to `cpu` without a plan change.
 */
function cpuOf(c: Collector, path: string, p: Record<string, unknown>, maxVcpus: number): { cpuWeight: number | null; cpuCap: number | null } {
  if (p.cpu !== undefined && (p.cpuWeight !== undefined || p.cpuCap !== undefined)) {
    const flat = [p.cpuWeight !== undefined ? 'cpuWeight' : '', p.cpuCap !== undefined ? 'cpuCap' : ''].filter(Boolean).join(' and ');
    c.add(path, `both cpu and ${flat} are set: write cap and weight once, inside cpu: { cap, weight }`);
  }
  const cpu = c.record(path, 'cpu', p.cpu, '{ cap: 50, weight: 512 }') ?? {};
  c.keys(path, cpu, PROP_KEYS.guestCpu, 'cpu.');
  const [weightAt, weight]: [string, unknown] = cpu.weight !== undefined ? ['cpu.weight', cpu.weight] : ['cpuWeight', p.cpuWeight];
  const [capAt, cap]: [string, unknown] = cpu.cap !== undefined ? ['cpu.cap', cpu.cap] : ['cpuCap', p.cpuCap];
  return {
    cpuWeight: weight === undefined ? null : c.count(path, weightAt, weight, 1, MAX_CPU_WEIGHT),
    cpuCap: cap === undefined ? null : c.count(path, capAt, cap, 0, 100 * maxVcpus, `100 × maxVcpus (${maxVcpus})`),
  };
}

/** A disk's I/O limits, as keys only when set so unlimited disks keep their manifest bytes. */
/** `provider`: the guest's host's, or (a guest hvkit places) its candidates' — they all share it. */
function diskLimitsOf(c: Collector, path: string, i: number, d: { iops?: unknown; mbps?: unknown }, provider: ProviderName | undefined): { iops?: number; mbps?: number } {
  const out: { iops?: number; mbps?: number } = {};
  if (d.iops !== undefined) out.iops = c.count(path, `disks[${i}].iops`, d.iops, 1, MAX_DISK_IOPS);
  if (d.mbps !== undefined) out.mbps = c.count(path, `disks[${i}].mbps`, d.mbps, 1, MAX_DISK_MBPS);
  // Refused rather than warned: a limit an operator set to contain a noisy guest and that silently does nothing is worse than none.
  if ((d.iops !== undefined || d.mbps !== undefined) && provider === 'xen') {
    c.add(path, `disks[${i}] has an I/O limit (iops/mbps), which xen cannot enforce (xl has no per-disk limit): remove it, or put the guest on a libvirt host`);
  }
  return out;
}

const DISK_NAMES = new WeakMap<HostSpec, ReadonlySet<string>>();

/** A host's disk names, gathered once for all its guests. */
function diskNamesOf(host: HostSpec): ReadonlySet<string> {
  let names = DISK_NAMES.get(host);
  if (!names) DISK_NAMES.set(host, (names = new Set(host.disks.map((d) => d.name))));
  return names;
}

function memoryOf(c: Collector, path: string, value: unknown): number {
  const r = parseSize(value);
  if (!r.ok) {
    c.add(path, `memory: ${r.error}`);
    return GUEST_MIN_MEMORY_MIB;
  }
  if (r.mib >= GUEST_MIN_MEMORY_MIB) return r.mib;
  const fix = typeof value === 'number' ? `a bare number is MiB: write '${value}GiB' for ${value} GiB` : "give the guest more, such as '512MiB'";
  c.add(path, `memory ${formatSize(r.mib)} is under the ${GUEST_MIN_MEMORY_MIB}MiB a guest needs at least: ${fix}`);
  return GUEST_MIN_MEMORY_MIB;
}

/** The previous name of a renamed guest: a DNS label other than its own. */
function movedFromOf(c: Collector, path: string, name: unknown, value: unknown): string {
  const msg = checkDnsLabel('movedFrom', value);
  if (msg) c.add(path, `${msg} (movedFrom is the guest's previous name)`);
  else if (value === name) c.add(path, `movedFrom '${value}' is the guest's own name: remove movedFrom, or set it to the name the guest had before`);
  return typeof value === 'string' ? value : '';
}

function macOf(c: Collector, path: string, i: number, value: unknown): string {
  const mac = typeof value === 'string' ? value.toLowerCase() : value;
  const ok = c.pattern(path, `nics[${i}].mac`, mac, MAC, "write it as six hex pairs such as '52:54:00:12:34:56'");
  if (ok && MAC.test(ok) && parseInt(ok.slice(0, 2), 16) & 1) c.add(path, `nics[${i}].mac '${ok}' is a multicast address: a NIC needs a unicast MAC (first byte even), such as '52:54:00:12:34:56'`);
  return ok;
}

/** A kernel or bootloader: a path (absolute for a kernel) without `..` segments. */
function fileOf(c: Collector, path: string, what: string, value: unknown, absolute: boolean): string {
  if (typeof value !== 'string') {
    c.add(path, `${what} must be a string path such as '${absolute ? '/boot/vmlinuz' : 'pygrub'}', got ${describeValue(value)}`);
    return '';
  }
  if (!SAFE_PATH.test(value)) {
    c.add(path, `${what} '${printable(value)}' has characters hvkit does not pass to hypervisors: use letters, digits and _ . / : @ + = , ? & % ~ -`);
  } else if (value.startsWith('-') || hasDotSegment(value) || (absolute && !value.startsWith('/'))) {
    c.add(path, `${what} '${printable(value)}' must be ${absolute ? 'an absolute path' : 'a program name or absolute path'} on the host without '.' or '..' segments, not starting with '-'`);
  }
  return value;
}

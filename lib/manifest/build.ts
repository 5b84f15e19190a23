import { DEFAULT_CAPACITY, DEFAULT_RESERVE_MIB, DEFAULT_RESERVE_OVERHEAD_MIB, DEFAULT_RESERVE_VCPUS } from '../capacity/defaults';
import { ValidationError, type Problem } from '../errors';
import { BRIDGE, MAC, ROLE, TAG_KEY, TAG_VALUE, checkDnsLabel, checkPath, deriveIds, printable } from './names';
import type { FleetInput, GuestInput, GuestProps, HostInput, HostProps, ReserveProps } from './props';
import { formatSize, parseSize } from './size';
import {
  GUEST_MODES, MANIFEST_FORMAT_VERSION, PROVIDERS,
  type CapacityConfig, type DiskKind, type GuestSpec, type HostSpec, type Manifest, type ProviderName,
} from './types';

const DISK_DEFAULTS: Record<DiskKind, { iops: number; mbps: number }> = {
  hdd: { iops: 150, mbps: 150 },
  ssd: { iops: 5000, mbps: 500 },
  nvme: { iops: 50000, mbps: 2000 },
};
const FRACTIONS: (keyof CapacityConfig)[] = ['cpuVirtLoss', 'ioVirtLoss', 'netVirtFactor', 'softHeadroom', 'strandedBusy', 'strandedIdle'];

/** Collects problems against construct paths; `build` throws them all at once. */
class Collector {
  readonly problems: Problem[] = [];
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }
  size(path: string, what: string, value: unknown): number {
    const r = parseSize(value);
    if (r.ok) return r.mib;
    this.add(path, `${what}: ${r.error}`);
    return 0;
  }
  count(path: string, what: string, value: unknown, min: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      this.add(path, `${what} must be a whole number ≥ ${min}, got ${printable(String(value))}`);
      return min;
    }
    return value;
  }
  nonNegative(path: string, what: string, value: unknown): number {
    if (value === undefined) return 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      this.add(path, `${what} must be a number ≥ 0, got ${printable(String(value))}`);
      return 0;
    }
    return value;
  }
  pattern(path: string, what: string, value: unknown, re: RegExp, hint: string): string {
    if (typeof value === 'string' && re.test(value)) return value;
    this.add(path, `${what} '${printable(String(value))}' is invalid: ${hint}`);
    return String(value);
  }
  path(path: string, what: string, value: string): string {
    const msg = checkPath(what, value);
    if (msg) this.add(path, msg);
    return value;
  }
}

/**
 * Turns the construct tree into the canonical manifest: every default filled
 * in, sizes as integer MiB, hosts and guests sorted by name. Every problem is
 * collected and thrown once as a ValidationError. Fit is not checked here.
 */
export function buildManifest(fleet: FleetInput): Manifest {
  const c = new Collector();
  for (const p of fleet.treeProblems ?? []) c.add(p.path, p.message);
  const nameMsg = checkDnsLabel('fleet', fleet.name);
  if (nameMsg) c.add(fleet.path, nameMsg);
  const fp = fleet.props;
  const provider = providerOf(c, fleet.path, fp.provider ?? 'local');
  const capacity = capacityOf(c, fleet.path, DEFAULT_CAPACITY, fp.capacity);
  const bridge = c.pattern(fleet.path, 'bridge', fp.bridge ?? 'br0', BRIDGE, 'use a Linux interface name of at most 15 characters');
  const resourceType = fp.resourceType ?? 'null_resource';
  if (resourceType !== 'null_resource' && resourceType !== 'terraform_data') {
    c.add(fleet.path, `resourceType '${printable(String(resourceType))}' must be 'null_resource' or 'terraform_data'`);
  }

  const hosts: HostSpec[] = [];
  const guests: GuestSpec[] = [];
  const hostNames = new Map<string, string>();
  const guestNames = new Map<string, string>();
  for (const h of fleet.hosts) {
    const spec = hostOf(c, h, provider, capacity, fp.reserve);
    const prev = hostNames.get(h.name);
    if (prev) c.add(h.path, `host name '${h.name}' is already used by ${prev}: host names must be unique in the fleet`);
    hostNames.set(h.name, h.path);
    hosts.push(spec);
    for (const g of h.guests) {
      const other = guestNames.get(g.name);
      if (other) c.add(g.path, `guest name '${g.name}' is already used by ${other}: guest names must be unique across the fleet`);
      guestNames.set(g.name, g.path);
      guests.push(guestOf(c, g, spec, bridge));
    }
  }
  if (c.problems.length) throw new ValidationError(c.problems);
  // Every object is built with its keys in sorted order, so JSON.stringify of a
  // manifest is already its canonical form (see manifestDigest).
  return {
    capacity,
    fleet: fleet.name,
    formatVersion: MANIFEST_FORMAT_VERSION,
    guests: guests.sort(byName),
    hosts: hosts.sort(byName),
    path: fleet.path,
    resourceType,
  };
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function providerOf(c: Collector, path: string, p: unknown): ProviderName {
  if (PROVIDERS.includes(p as ProviderName)) return p as ProviderName;
  c.add(path, `provider '${printable(String(p))}' is unknown: use one of ${PROVIDERS.join(', ')}`);
  return 'local';
}

function capacityOf(c: Collector, path: string, base: CapacityConfig, over: Partial<CapacityConfig> | undefined): CapacityConfig {
  // Most hosts take the fleet's factors as they are (base is already in sorted key order).
  if (over === undefined && base !== DEFAULT_CAPACITY) return base;
  const out: CapacityConfig = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    const key = k as keyof CapacityConfig;
    if (!(key in base)) {
      c.add(path, `capacity.${k} is not a capacity factor: use one of ${Object.keys(base).join(', ')}`);
      continue;
    }
    if (key === 'softLimitsAreErrors') {
      if (typeof v !== 'boolean') c.add(path, `capacity.${k} must be true or false`);
      else out.softLimitsAreErrors = v;
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (FRACTIONS.includes(key) && v > 1)) {
      c.add(path, `capacity.${k} must be ${FRACTIONS.includes(key) ? 'a fraction from 0 to 1' : 'a number ≥ 0'}, got ${printable(String(v))}`);
      continue;
    }
    (out as unknown as Record<string, number>)[key] = v;
  }
  if (out.overheadMemoryDivisor <= 0) {
    c.add(path, 'capacity.overheadMemoryDivisor must be greater than 0');
    out.overheadMemoryDivisor = base.overheadMemoryDivisor;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1))) as unknown as CapacityConfig;
}

function reserveOf(c: Collector, path: string, fleet: ReserveProps | undefined, host: ReserveProps | undefined): HostSpec['reserve'] {
  const r = { ...fleet, ...host };
  const memoryMiB = r.memory === undefined ? DEFAULT_RESERVE_MIB : c.size(path, 'reserve.memory', r.memory);
  const overheadMiB = r.overhead === undefined ? Math.min(DEFAULT_RESERVE_OVERHEAD_MIB, memoryMiB) : c.size(path, 'reserve.overhead', r.overhead);
  if (overheadMiB > memoryMiB) c.add(path, `reserve.overhead ${formatSize(overheadMiB)} exceeds reserve.memory ${formatSize(memoryMiB)}: it is the part of the reserve kept for guest overhead`);
  const vcpus = r.vcpus === undefined ? DEFAULT_RESERVE_VCPUS : c.count(path, 'reserve.vcpus', r.vcpus, 0);
  return { memoryMiB, overheadMiB, vcpus };
}

function defaultAddress(provider: ProviderName, name: string): string {
  switch (provider) {
    case 'local': return `.hvkit/local/${name}`;
    case 'libvirt': return `qemu+ssh://root@${name}/system`;
    case 'xen': return `root@${name}`;
  }
}

function hostOf(c: Collector, h: HostInput, fleetProvider: ProviderName, fleetCapacity: CapacityConfig, fleetReserve: ReserveProps | undefined): HostSpec {
  const p: HostProps = h.props ?? ({} as HostProps);
  const path = h.path;
  const nameMsg = checkDnsLabel('host', h.name);
  if (nameMsg) c.add(path, nameMsg);
  const provider = p.provider === undefined ? fleetProvider : providerOf(c, path, p.provider);
  const cores = c.count(path, 'cpu.cores', p.cpu?.cores, 1);
  const cpu = {
    cores,
    sockets: p.cpu?.sockets === undefined ? 1 : c.count(path, 'cpu.sockets', p.cpu.sockets, 1),
    threads: p.cpu?.threads === undefined ? cores : c.count(path, 'cpu.threads', p.cpu.threads, 1),
  };
  if (cpu.threads < cpu.cores) c.add(path, `cpu.threads ${cpu.threads} is less than cpu.cores ${cpu.cores}: threads counts hardware threads of the whole host`);

  const slots = c.count(path, 'memory.slots', p.memory?.slots, 1);
  const maxDimmMiB = c.size(path, 'memory.maxDimm', p.memory?.maxDimm);
  const rawDimms = Array.isArray(p.memory?.dimms) ? p.memory.dimms : [];
  if (!Array.isArray(p.memory?.dimms)) c.add(path, 'memory.dimms must list the installed DIMMs, e.g. [\'2GiB\', \'2GiB\']');
  const dimmsMiB = rawDimms.map((d, i) => c.size(path, `memory.dimms[${i}]`, d));
  if (dimmsMiB.length > slots) c.add(path, `${dimmsMiB.length} DIMMs do not fit in ${slots} slots: remove DIMMs or raise memory.slots`);
  dimmsMiB.forEach((d, i) => {
    if (d > maxDimmMiB) c.add(path, `memory.dimms[${i}] ${formatSize(d)} exceeds maxDimm ${formatSize(maxDimmMiB)}: use DIMMs the mainboard takes`);
  });
  if (rawDimms.length === 0 && Array.isArray(p.memory?.dimms)) c.add(path, 'memory.dimms is empty: a host needs at least one DIMM');

  const disks = (p.disks ?? []).map((d, i) => {
    const dp = `${path}`;
    const kind = (d.kind ?? 'hdd') as DiskKind;
    if (!(kind in DISK_DEFAULTS)) c.add(dp, `disks[${i}].kind '${printable(String(kind))}' must be hdd, ssd or nvme`);
    const def = DISK_DEFAULTS[kind] ?? DISK_DEFAULTS.hdd;
    return {
      iops: d.iops === undefined ? def.iops : c.nonNegative(dp, `disks[${i}].iops`, d.iops),
      kind,
      mbps: d.mbps === undefined ? def.mbps : c.nonNegative(dp, `disks[${i}].mbps`, d.mbps),
      name: c.pattern(dp, `disks[${i}].name`, d.name, /^[a-z][a-z0-9]{0,15}$/, 'use a device-like name such as sda or nvme0'),
      sizeMiB: c.size(dp, `disks[${i}].size`, d.size),
    };
  });
  const seen = new Set<string>();
  for (const d of disks) {
    if (seen.has(d.name)) c.add(path, `disk '${d.name}' is listed twice: disk names must be unique on a host`);
    seen.add(d.name);
  }
  const nics = (p.nics ?? [{ name: 'eth0', gbps: 1 }]).map((n, i) => ({
    gbps: c.nonNegative(path, `nics[${i}].gbps`, n.gbps),
    name: c.pattern(path, `nics[${i}].name`, n.name, BRIDGE, 'use a Linux interface name'),
  }));
  const address = c.path(path, 'address', p.address ?? defaultAddress(provider, h.name));
  const storageDir = c.path(path, 'storageDir', p.storageDir ?? '/var/lib/hvkit/images');
  return {
    address,
    capacity: capacityOf(c, path, fleetCapacity, p.capacity),
    cpu,
    disks: disks.sort(byName),
    memory: { dimmsMiB, maxDimmMiB, slots, totalMiB: dimmsMiB.reduce((a, b) => a + b, 0) },
    name: h.name,
    nics: nics.sort(byName),
    path,
    provider,
    reserve: reserveOf(c, path, fleetReserve, p.reserve),
    storageDir,
    tags: tagsOf(c, path, p.tags),
  };
}

function tagsOf(c: Collector, path: string, tags: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(tags ?? {}).sort()) {
    const v = tags![k];
    if (!TAG_KEY.test(k)) c.add(path, `tag key '${printable(k)}' is invalid: use lowercase letters, digits, _ . -`);
    if (typeof v !== 'string' || !TAG_VALUE.test(v)) c.add(path, `tag '${printable(k)}' must be a string of at most 255 characters without control characters`);
    out[k] = String(v);
  }
  return out;
}

function guestOf(c: Collector, g: GuestInput, host: HostSpec, bridge: string): GuestSpec {
  const p: GuestProps = g.props ?? ({} as GuestProps);
  const path = g.path;
  const nameMsg = checkDnsLabel('guest', g.name);
  if (nameMsg) c.add(path, nameMsg);
  const role = c.pattern(path, 'role', p.role, ROLE, 'use a lowercase word such as web, db or memcached');
  const vcpus = c.count(path, 'vcpus', p.vcpus, 1);
  const maxVcpus = p.maxVcpus === undefined ? vcpus : c.count(path, 'maxVcpus', p.maxVcpus, 1);
  if (vcpus > maxVcpus) c.add(path, `vcpus ${vcpus} exceeds maxVcpus ${maxVcpus}: raise maxVcpus or lower vcpus`);
  const memoryMiB = c.size(path, 'memory', p.memory);
  if (p.memory !== undefined && memoryMiB === 0 && parseSize(p.memory).ok) c.add(path, 'memory must be more than 0');
  const maxMemoryMiB = p.maxMemory === undefined ? memoryMiB : c.size(path, 'maxMemory', p.maxMemory);
  if (memoryMiB > maxMemoryMiB) c.add(path, `memory ${formatSize(memoryMiB)} exceeds maxMemory ${formatSize(maxMemoryMiB)}: raise maxMemory or lower memory`);
  const mode = p.mode ?? 'pv';
  if (!GUEST_MODES.includes(mode)) c.add(path, `mode '${printable(String(mode))}' must be one of ${GUEST_MODES.join(', ')}`);
  const diskNames = new Set(host.disks.map((d) => d.name));
  const disks = (p.disks ?? []).map((d, i) => {
    const sizeMiB = c.size(path, `disks[${i}].size`, d.size);
    if (!diskNames.has(d.on)) {
      c.add(path, `disks[${i}] is on '${printable(String(d.on))}', which host ${host.name} does not have: use one of ${[...diskNames].join(', ') || '(none: add disks to the host)'}`);
    }
    return { on: String(d.on), sizeMiB };
  });
  const ids = deriveIds(host.provider, g.name);
  const nics = (p.nics ?? [{}]).map((n, i) => ({
    bridge: c.pattern(path, `nics[${i}].bridge`, n.bridge ?? bridge, BRIDGE, 'use a Linux interface name of at most 15 characters'),
    mac: n.mac === undefined ? ids.mac(i) : c.pattern(path, `nics[${i}].mac`, n.mac.toLowerCase(), MAC, "write it as six hex pairs such as '52:54:00:12:34:56'"),
  }));
  const load = {
    cpu: c.nonNegative(path, 'load.cpu', p.load?.cpu),
    iops: c.nonNegative(path, 'load.iops', p.load?.iops),
    netMbps: c.nonNegative(path, 'load.netMbps', p.load?.netMbps),
  };
  const antiAffinity = p.antiAffinity === undefined ? null : c.pattern(path, 'antiAffinity', p.antiAffinity, ROLE, 'use a lowercase group name');
  const kernel = p.kernel === undefined ? null : c.path(path, 'kernel', p.kernel);
  const bootloader = p.bootloader !== undefined ? c.path(path, 'bootloader', p.bootloader) : mode === 'pv' && kernel === null ? 'pygrub' : null;
  const cpuWeight = p.cpuWeight === undefined ? null : c.count(path, 'cpuWeight', p.cpuWeight, 1);
  const cpuCap = p.cpuCap === undefined ? null : c.count(path, 'cpuCap', p.cpuCap, 0);
  return {
    antiAffinity, bootloader, cpuCap, cpuWeight, disks, host: host.name, kernel, load,
    maxMemoryMiB, maxVcpus, memoryMiB, mode, name: g.name, nics, path, role,
    tags: tagsOf(c, path, p.tags), uuid: ids.uuid, vcpus,
  };
}

import { DEFAULT_CAPACITY, DEFAULT_RESERVE_MIB, DEFAULT_RESERVE_OVERHEAD_MIB, DEFAULT_RESERVE_VCPUS } from './defaults';
import { ADDRESS_HINTS, checkAddress, checkStorageDir } from './address';
import { describeValue, isRecord, plainList, shown, type Collector } from './check';
import { BRIDGE, DISK_NAME, TAG_KEY, TAG_VALUE_MAX, checkDnsLabel, hasControl, printable } from './names';
import { PROP_KEYS, type HostInput } from './props';
import { formatSize } from './size';
import { PROVIDERS, type CapacityConfig, type DiskKind, type HostSpec, type ProviderName } from './types';

const DISK_DEFAULTS: Readonly<Record<DiskKind, { iops: number; mbps: number }>> = {
  hdd: { iops: 150, mbps: 150 },
  ssd: { iops: 5000, mbps: 500 },
  nvme: { iops: 50000, mbps: 2000 },
};
const FRACTIONS: readonly string[] = ['cpuVirtLoss', 'ioVirtLoss', 'netVirtFactor', 'softHeadroom', 'strandedBusy', 'strandedIdle'];
// measuredOverDeclared has no entry in DEFAULT_CAPACITY: absent unless set, so other manifests keep their bytes.
const CAPACITY_KEYS = [...Object.keys(DEFAULT_CAPACITY), 'measuredOverDeclared'];
/** Capacity factors that are not fractions stay below this: larger is a typing mistake, and products stay finite. */
const MAX_FACTOR = 1e6;

export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function providerOf(c: Collector, path: string, p: unknown): ProviderName {
  if (PROVIDERS.includes(p as ProviderName)) return p as ProviderName;
  c.add(path, `provider ${shown(p)} is unknown: use one of ${PROVIDERS.join(', ')}`);
  return 'local';
}

export function capacityOf(c: Collector, path: string, base: CapacityConfig, overRaw: unknown): CapacityConfig {
  // Most hosts take the fleet's factors as they are (base is already in sorted key order).
  if (overRaw === undefined && base !== DEFAULT_CAPACITY) return base;
  const over = c.record(path, 'capacity', overRaw, '{ cpuOvercommit: 2 }') ?? {};
  c.keys(path, over, CAPACITY_KEYS, 'capacity.');
  const out: Record<string, number | boolean> = { ...base };
  for (const key of CAPACITY_KEYS) {
    if (!Object.hasOwn(over, key)) continue;
    const v = over[key];
    if (key === 'softLimitsAreErrors') {
      if (typeof v !== 'boolean') c.add(path, `capacity.${key} must be true or false, got ${describeValue(v)}`);
      else out[key] = v;
      continue;
    }
    const fraction = FRACTIONS.includes(key);
    // Below 1 the warning would name guests using less than they declare.
    const min = key === 'measuredOverDeclared' ? 1 : 0;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > (fraction ? 1 : MAX_FACTOR)) {
      const why = min === 1 ? ' (the factor by which a guest\'s measured p95 must exceed its declared load to be warned about; 1 warns on any excess)' : '';
      c.add(path, `capacity.${key} must be ${fraction ? 'a fraction from 0 to 1' : `a number from ${min} to ${MAX_FACTOR}`}${why}, got ${describeValue(v)}`);
      continue;
    }
    out[key] = v;
  }
  if ((out.overheadMemoryDivisor as number) <= 0) {
    c.add(path, 'capacity.overheadMemoryDivisor must be greater than 0');
    out.overheadMemoryDivisor = base.overheadMemoryDivisor;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1))) as unknown as CapacityConfig;
}

/** A reserve's props, checked for shape; the fleet's are checked once, at the fleet. */
export function reserveProps(c: Collector, path: string, value: unknown): Record<string, unknown> {
  const r = c.record(path, 'reserve', value, "{ memory: '1GiB' }") ?? {};
  c.keys(path, r, PROP_KEYS.reserve, 'reserve.');
  return r;
}

function reserveOf(c: Collector, path: string, fleet: Record<string, unknown>, host: Record<string, unknown>): HostSpec['reserve'] {
  const r = { ...fleet, ...host };
  const memoryMiB = r.memory === undefined ? DEFAULT_RESERVE_MIB : c.size(path, 'reserve.memory', r.memory);
  const overheadMiB = r.overhead === undefined ? Math.min(DEFAULT_RESERVE_OVERHEAD_MIB, memoryMiB) : c.size(path, 'reserve.overhead', r.overhead);
  if (overheadMiB > memoryMiB) c.add(path, `reserve.overhead ${formatSize(overheadMiB)} exceeds reserve.memory ${formatSize(memoryMiB)}: it is the part of the reserve kept for guest overhead`);
  const vcpus = r.vcpus === undefined ? DEFAULT_RESERVE_VCPUS : c.count(path, 'reserve.vcpus', r.vcpus, 0);
  return { memoryMiB, overheadMiB, vcpus };
}

function defaultAddress(provider: ProviderName, name: string, fleet: string): string {
  switch (provider) {
    // Per fleet: two fleets may each have a db-host-01.
    case 'local': return `.hvkit/local/${fleet}/${name}`;
    case 'libvirt': return `qemu+ssh://root@${name}/system`;
    case 'xen': return `root@${name}`;
  }
}

export interface FleetDefaults {
  /** The fleet's name, for the local simulator's per-fleet folders. */
  fleet: string;
  provider: ProviderName;
  capacity: CapacityConfig;
  reserve: Record<string, unknown>;
}

export function hostOf(c: Collector, h: HostInput, fleet: FleetDefaults): HostSpec {
  const path = h.path;
  const name = typeof h.name === 'string' ? h.name : '';
  const nameMsg = checkDnsLabel('host', h.name);
  if (nameMsg) c.add(path, nameMsg);
  const p = c.record(path, 'host props', h.props, "{ cpu: { cores: 4 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['2GiB'] }, disks: [] }", false) ?? {};
  c.keys(path, p, PROP_KEYS.host);
  const provider = p.provider === undefined ? fleet.provider : providerOf(c, path, p.provider);

  const cpuP = c.record(path, 'cpu', p.cpu, '{ cores: 4, threads: 8 }', false) ?? {};
  c.keys(path, cpuP, PROP_KEYS.hostCpu, 'cpu.');
  const cores = c.count(path, 'cpu.cores', cpuP.cores, 1);
  const cpu = {
    cores,
    sockets: cpuP.sockets === undefined ? 1 : c.count(path, 'cpu.sockets', cpuP.sockets, 1),
    threads: cpuP.threads === undefined ? cores : c.count(path, 'cpu.threads', cpuP.threads, 1),
  };
  if (cpu.threads < cpu.cores) c.add(path, `cpu.threads ${cpu.threads} is less than cpu.cores ${cpu.cores}: threads counts hardware threads of the whole host`);

  const memP = c.record(path, 'memory', p.memory, "{ slots: 4, maxDimm: '4GiB', dimms: ['2GiB', '2GiB'] }", false) ?? {};
  c.keys(path, memP, PROP_KEYS.hostMemory, 'memory.');
  const slots = c.count(path, 'memory.slots', memP.slots, 1, 1024);
  const maxDimmMiB = c.size(path, 'memory.maxDimm', memP.maxDimm);
  const rawDimms = Array.isArray(memP.dimms) ? plainList(memP.dimms) : [];
  if (!Array.isArray(memP.dimms)) c.add(path, `memory.dimms must list the installed DIMMs, e.g. ['2GiB', '2GiB'], got ${describeValue(memP.dimms)}`);
  else if (rawDimms.length === 0) c.add(path, 'memory.dimms is empty: a host needs at least one DIMM');
  // Past the slots, more DIMMs are one mistake, not thousands of problems.
  const dimmsMiB = rawDimms.slice(0, Math.max(slots, 0) + 1).map((d, i) => c.size(path, `memory.dimms[${i}]`, d));
  if (rawDimms.length > slots) c.add(path, `${rawDimms.length} DIMMs do not fit in ${slots} slots: remove DIMMs or raise memory.slots`);
  dimmsMiB.forEach((d, i) => {
    if (d > maxDimmMiB) c.add(path, `memory.dimms[${i}] ${formatSize(d)} exceeds maxDimm ${formatSize(maxDimmMiB)}: use DIMMs the mainboard takes`);
  });

  const disks = c.list(path, 'disks', p.disks ?? [], "[{ name: 'sda', size: '500GiB' }]").map((raw, i) => {
    const d = c.record(path, `disks[${i}]`, raw, "{ name: 'sda', size: '500GiB' }", false) ?? {};
    c.keys(path, d, PROP_KEYS.hostDisk, `disks[${i}].`);
    const kindRaw = d.kind ?? 'hdd';
    const known = typeof kindRaw === 'string' && Object.hasOwn(DISK_DEFAULTS, kindRaw);
    if (!known) c.add(path, `disks[${i}].kind ${shown(kindRaw)} must be hdd, ssd or nvme`);
    const kind = (known ? kindRaw : 'hdd') as DiskKind;
    const def = DISK_DEFAULTS[kind];
    return {
      iops: d.iops === undefined ? def.iops : c.nonNegative(path, `disks[${i}].iops`, d.iops),
      kind,
      mbps: d.mbps === undefined ? def.mbps : c.nonNegative(path, `disks[${i}].mbps`, d.mbps),
      name: c.pattern(path, `disks[${i}].name`, d.name, DISK_NAME, 'use a device-like name such as sda or nvme0'),
      sizeMiB: c.size(path, `disks[${i}].size`, d.size),
    };
  });
  const seen = new Set<string>();
  for (const d of disks) {
    if (seen.has(d.name)) c.add(path, `disk '${printable(d.name)}' is listed twice: disk names must be unique on a host`);
    seen.add(d.name);
  }
  const nics = c.list(path, 'nics', p.nics ?? [{ name: 'eth0', gbps: 1 }], "[{ name: 'eth0', gbps: 1 }]").map((raw, i) => {
    const n = c.record(path, `nics[${i}]`, raw, "{ name: 'eth0', gbps: 1 }", false) ?? {};
    c.keys(path, n, PROP_KEYS.hostNic, `nics[${i}].`);
    return {
      gbps: c.nonNegative(path, `nics[${i}].gbps`, n.gbps, 100_000),
      name: c.pattern(path, `nics[${i}].name`, n.name, BRIDGE, 'use a Linux interface name'),
    };
  });
  const address = p.address ?? defaultAddress(provider, name, fleet.fleet);
  // A default address made of a bad host name would only repeat the name's problem.
  const addressMsg = p.address === undefined && nameMsg ? undefined : checkAddress(provider, address);
  if (addressMsg) c.add(path, addressMsg);
  const storageDir = p.storageDir ?? '/var/lib/hvkit/images';
  const storageMsg = checkStorageDir(storageDir);
  if (storageMsg) c.add(path, storageMsg);
  return {
    address: typeof address === 'string' ? address : ADDRESS_HINTS[provider],
    capacity: capacityOf(c, path, fleet.capacity, p.capacity),
    cpu,
    disks: disks.sort(byName),
    memory: { dimmsMiB, maxDimmMiB, slots, totalMiB: dimmsMiB.reduce((a, b) => a + b, 0) },
    name,
    nics: nics.sort(byName),
    path,
    provider,
    reserve: reserveOf(c, path, fleet.reserve, p.reserve === undefined ? {} : reserveProps(c, path, p.reserve)),
    storageDir: typeof storageDir === 'string' ? storageDir : '',
    tags: tagsOf(c, path, p.tags),
  };
}

/** `what`: the prop's name (`tags`, or a selector of host tags). */
export function tagsOf(c: Collector, path: string, raw: unknown, what = 'tags'): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  if (!isRecord(raw)) {
    c.add(path, `${what} must be an object of key: 'value' strings such as { rack: 'b2' }, got ${describeValue(raw)}`);
    return out;
  }
  const one = what === 'tags' ? 'tag' : `${what} tag`;
  for (const k of Object.keys(raw).sort()) {
    const v = raw[k];
    if (!TAG_KEY.test(k)) c.add(path, `${one} key '${printable(k)}' is invalid: use lowercase letters, digits, _ . -`);
    if (typeof v !== 'string' || v.length > TAG_VALUE_MAX || hasControl(v)) {
      c.add(path, `${one} '${printable(k)}' must be a string of at most ${TAG_VALUE_MAX} characters without control characters, got ${describeValue(v)}`);
    }
    out[k] = typeof v === 'string' ? v : '';
  }
  return out;
}


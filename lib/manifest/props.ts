import type { CapacityConfig, DiskKind, GuestMode, IgnorableProp, NPlusOnePolicy, PowerState, ProviderName, StateBackendName } from './types';
import type { Size } from './size';

/** Memory held back on a host for dom0 / the host OS. */
export interface ReserveProps {
  /** @default '512MiB' */
  readonly memory?: Size;
  /** Part of `memory` that absorbs the hypervisor's per-guest overhead before it counts on its own. @default '128MiB' */
  readonly overhead?: Size;
  /** vCPUs kept for dom0, taken off the host's vCPU capacity. @default 0 */
  readonly vcpus?: number;
}

/**
 * What hvkit may do to a guest (Terraform's `lifecycle` block). Settable on a
 * Fleet and a Host as a default for their guests: the guest's own setting
 * wins, then its host's, then the fleet's, key by key.
 */
export interface LifecycleProps {
  /**
   * Refuse (as a plan error) every plan that would destroy this guest's data:
   * a delete, a replace, a rebuild. Updates in place and migrations still run.
   * Unlike Terraform, a guest removed from code keeps the protection recorded
   * in state: set it to false and apply before removing the guest.
   * @default false
   */
  readonly preventDestroy?: boolean;
  /**
   * Props whose difference between code and state is not planned: the
   * value recorded in state is kept (Terraform's `ignore_changes`). A typo is
   * refused with the nearest name. Ignoring `memory` (`vcpus`) also keeps a
   * `maxMemory` (`maxVcpus`) left to its default, as it follows the value.
   * @default []
   */
  readonly ignoreChanges?: readonly (IgnorableProp | 'all')[];
}

/**
 * Where the fleet's state lives. The connection is never in code (it may hold a
 * password): the pg backend reads it from HVKIT_PG_CONN and the PG* variables.
 * `--state-backend` and HVKIT_STATE_BACKEND override `backend` for one run.
 */
export interface StateBackendProps {
  /** 'file' (`.hvkit/state/<fleet>.json`) or 'pg' (PostgreSQL, shared by every runner). */
  readonly backend: StateBackendName;
  /**
   * PostgreSQL schema holding the fleet's tables (pg only): lowercase letters,
   * digits and '_', not starting with a digit or 'pg_', at most 63 characters.
   * @default HVKIT_PG_SCHEMA, else 'hvkit'
   */
  readonly schema?: string;
}

export interface FleetProps {
  /** Provider of every host that does not set its own. @default 'local' */
  readonly provider?: ProviderName;
  /**
   * Terraform resource used per host and guest in `cdk.tf.json`. `terraform_data`
   * is built into Terraform ≥ 1.4 and needs no provider download (air-gapped sites).
   * @default 'null_resource'
   */
  readonly resourceType?: 'null_resource' | 'terraform_data';
  /** Capacity model factors for every host. @default DEFAULT_CAPACITY (docs/design.md) */
  readonly capacity?: Partial<CapacityConfig>;
  /** Host reserve for every host that does not set its own. @default { memory: '512MiB', overhead: '128MiB', vcpus: 0 } */
  readonly reserve?: ReserveProps;
  /** Bridge of guest NICs that do not name one. @default 'br0' */
  readonly bridge?: string;
  /** Lifecycle of every guest, under its host's and its own. @default { preventDestroy: false, ignoreChanges: [] } */
  readonly lifecycle?: LifecycleProps;
  /** Where the fleet's state lives (file or PostgreSQL); never the connection itself. @default { backend: 'file' } */
  readonly state?: StateBackendProps;
  /**
   * What a plan does when the fleet could not recreate a host's guests on the
   * others after losing it (N+1, local disks: recreate, not fail over):
   * `'warn'` says so; `'require'` makes it a plan error and places new guests
   * only where the fleet stays N+1.
   * @default 'warn'
   */
  readonly nPlusOne?: NPlusOnePolicy;
}

export interface HostCpuProps {
  /** @default 1 */
  readonly sockets?: number;
  /** Physical cores in the whole host. */
  readonly cores: number;
  /** Hardware threads in the whole host. @default cores */
  readonly threads?: number;
}

export interface HostMemoryProps {
  /** DIMM slots on the mainboard. */
  readonly slots: number;
  /** Largest DIMM a slot takes. */
  readonly maxDimm: Size;
  /** DIMMs installed, one entry per DIMM; the host's memory is their sum. */
  readonly dimms: readonly Size[];
}

export interface HostDiskProps {
  readonly name: string;
  readonly size: Size;
  /** @default 'hdd' */
  readonly kind?: DiskKind;
  /** Random IOPS the disk sustains. @default 150 (hdd), 5000 (ssd), 50000 (nvme) */
  readonly iops?: number;
  /** Sequential MB/s. @default 150 (hdd), 500 (ssd), 2000 (nvme) */
  readonly mbps?: number;
}

export interface HostNicProps {
  readonly name: string;
  /** Link speed in Gbit/s. */
  readonly gbps: number;
}

export interface HostProps {
  readonly cpu: HostCpuProps;
  readonly memory: HostMemoryProps;
  readonly disks: readonly HostDiskProps[];
  /** @default [{ name: 'eth0', gbps: 1 }] */
  readonly nics?: readonly HostNicProps[];
  /** @default the fleet's provider */
  readonly provider?: ProviderName;
  /**
   * How the provider reaches the host: an ssh target `[user@]host[:port]` for
   * xen (`root@host-01`), a libvirt URI for libvirt
   * (`qemu+ssh://root@host-01/system`; schemes qemu, qemu+ssh/tcp/tls/unix/libssh/libssh2,
   * xen, xen+ssh/tcp/tls/unix; query parameters keyfile, known_hosts,
   * known_hosts_verify, mode, no_tty, no_verify, pkipath, sshauth), a folder
   * inside the project for local (relative, no `..` segments). Never starts with `-`.
   * @default the host name (xen), `qemu+ssh://root@<name>/system` (libvirt), `.hvkit/local/<fleet>/<name>` (local)
   */
  readonly address?: string;
  /** @default the fleet's reserve */
  readonly reserve?: ReserveProps;
  /** Capacity factors for this host, over the fleet's. @default the fleet's */
  readonly capacity?: Partial<CapacityConfig>;
  /** Folder on the host for guest disk images: absolute, only letters, digits and `. _ / -`, no `..`. @default '/var/lib/hvkit/images' */
  readonly storageDir?: string;
  /** @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** Lifecycle of the host's guests, over the fleet's and under each guest's own. @default the fleet's */
  readonly lifecycle?: LifecycleProps;
}

export interface GuestDiskProps {
  readonly size: Size;
  /**
   * Name of the host disk the image lives on. Required for a guest created
   * inside a Host; for a guest hvkit places, leave it out to have placement
   * pick the disk with the most room (if given, the chosen host has it).
   * @default placement picks (guests without a host only)
   */
  readonly on?: string;
  /**
   * Limit on read + write operations per second, enforced by the hypervisor
   * (libvirt `<iotune>` total_iops_sec; changed live). Xen's xl has no per-disk
   * limit: a guest with one on a xen host is refused.
   * @default none (unlimited)
   */
  readonly iops?: number;
  /**
   * Limit on read + write throughput in MB/s (10^6 bytes), enforced like `iops`
   * (libvirt total_bytes_sec).
   * @default none (unlimited)
   */
  readonly mbps?: number;
}

export interface GuestNicProps {
  /** @default the fleet's bridge */
  readonly bridge?: string;
  /**
   * Six hex pairs; no two NICs of a fleet may share one.
   * @default derived from the fleet and guest names (the one recorded in state once deployed), so rebuilds get the same MAC
   */
  readonly mac?: string;
}

export interface GuestLoadProps {
  /** Expected CPU load in cores. @default 0 */
  readonly cpu?: number;
  /** Expected random IOPS. @default 0 */
  readonly iops?: number;
  /** Expected network traffic in Mbit/s. @default 0 */
  readonly netMbps?: number;
}

/** How much CPU a guest may take when the host is busy (load adjustment); changed live. */
export interface GuestCpuProps {
  /**
   * Ceiling in percent of one physical CPU for the whole guest, 0 (no cap) to
   * 100 × maxVcpus: 50 is half a core even with 4 vCPUs (Xen's credit-scheduler
   * cap; libvirt `<global_quota>`).
   * @default none (no cap)
   */
  readonly cap?: number;
  /**
   * Share of contended CPU relative to other guests, 1 to 65535; a guest of
   * 512 gets twice the CPU of one of 256 (Xen's default). libvirt gets 4 × it
   * as `<shares>`, so 256 is libvirt's default 1024.
   * @default none (the hypervisor's default: 256 on Xen, 1024 shares on libvirt)
   */
  readonly weight?: number;
}

export interface GuestProps {
  /** What the guest does (web, memcached, db, …); reports colour by it. */
  readonly role: string;
  readonly vcpus: number;
  /**
   * At least {@link GUEST_MIN_MEMORY_MIB} (32 MiB). A bare number is MiB:
   * `memory: 4` is 4 MiB and refused; write `'4GiB'`.
   */
  readonly memory: Size;
  /** vCPUs the guest may grow to while running. @default vcpus */
  readonly maxVcpus?: number;
  /** Memory the guest may grow to while running (balloon). @default memory */
  readonly maxMemory?: Size;
  /** @default 'pv' */
  readonly mode?: GuestMode;
  /** @default [] */
  readonly disks?: readonly GuestDiskProps[];
  /** @default [{}] — one NIC on the fleet's bridge */
  readonly nics?: readonly GuestNicProps[];
  /** @default { cpu: 0, iops: 0, netMbps: 0 } */
  readonly load?: GuestLoadProps;
  /** Guests of the same group never share a host (e.g. database replicas). @default none */
  readonly antiAffinity?: string;
  /** Kernel image for pv guests: an absolute path on the host. @default none: boot through `bootloader` */
  readonly kernel?: string;
  /** @default 'pygrub' for pv guests without a kernel, none otherwise */
  readonly bootloader?: string;
  /** CPU cap and weight, changed live. @default none: the hypervisor's defaults, no cap */
  readonly cpu?: GuestCpuProps;
  /** The older, flat form of `cpu.weight` (same meaning); not together with `cpu`. @default none */
  readonly cpuWeight?: number;
  /** The older, flat form of `cpu.cap` (same meaning); not together with `cpu`. @default none */
  readonly cpuCap?: number;
  /**
   * Whether the guest should run: the plan starts or stops it to match what
   * the hypervisor last reported (`hvkit refresh`) or hvkit last did. A new
   * guest with 'stopped' is created, then shut down. A stopped guest keeps its
   * memory, vCPUs and disks counted on its host, so it can always start again.
   * @default 'running'
   */
  readonly power?: PowerState;
  /** @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** What hvkit may do to the guest; each key over the host's and the fleet's. @default the host's */
  readonly lifecycle?: LifecycleProps;
  /**
   * The guest's previous name, as Terraform's `moved` block: when state
   * records a guest of that name and none of this one, the plan renames it
   * (same domain, UUID, MACs and disks) instead of destroying it and creating
   * this one. Harmless once applied; may stay in code.
   * @default none
   */
  readonly movedFrom?: string;
  /**
   * Host tags the host hvkit places this guest on must carry, every one (ANDed
   * with its HostGroup's selector). Only for a guest created in the Fleet or a
   * HostGroup: a guest created inside a Host is already placed.
   * @default {} (any host of the guest's provider)
   */
  readonly hostSelector?: Readonly<Record<string, string>>;
}

/**
 * A HostGroup: guests created in it are placed by hvkit on a host it selects.
 * It holds no hosts; it picks them by their tags.
 */
export interface HostGroupProps {
  /** Host tags a host must carry, every one, to take the group's guests. @default {} (every host of the provider) */
  readonly selector?: Readonly<Record<string, string>>;
  /** Only hosts of this provider take the group's guests. @default the fleet's provider */
  readonly provider?: ProviderName;
  /** Lifecycle of the group's guests, over the fleet's and under each guest's own. @default the fleet's */
  readonly lifecycle?: LifecycleProps;
}

/** The construct tree as plain data: what the constructs hand to `buildManifest`. */
export interface FleetInput {
  readonly name: string;
  readonly path: string;
  readonly props: FleetProps;
  readonly hosts: readonly HostInput[];
  /** Guests created in the Fleet itself: hvkit places them. @default [] */
  readonly guests?: readonly GuestInput[];
  /** HostGroups of the fleet with the guests created in them: hvkit places those. @default [] */
  readonly groups?: readonly HostGroupInput[];
  /** Problems the construct tree itself found (a guest outside a host, …). */
  readonly treeProblems?: readonly { path: string; message: string }[];
}
export interface HostInput { readonly name: string; readonly path: string; readonly props: HostProps; readonly guests: readonly GuestInput[] }
export interface GuestInput { readonly name: string; readonly path: string; readonly props: GuestProps }
export interface HostGroupInput { readonly name: string; readonly path: string; readonly props: HostGroupProps; readonly guests: readonly GuestInput[] }

/** Smallest guest memory hvkit accepts: below it no guest OS boots, and it is most often `memory: 4` meant as 4 GiB. */
export const GUEST_MIN_MEMORY_MIB = 32;

/** Every prop name of each level, so unknown ones (typos) are refused at run time. */
export const PROP_KEYS = {
  fleet: keys<FleetProps>()(['bridge', 'capacity', 'lifecycle', 'nPlusOne', 'provider', 'reserve', 'resourceType', 'state']),
  state: keys<StateBackendProps>()(['backend', 'schema']),
  reserve: keys<ReserveProps>()(['memory', 'overhead', 'vcpus']),
  host: keys<HostProps>()(['address', 'capacity', 'cpu', 'disks', 'lifecycle', 'memory', 'nics', 'provider', 'reserve', 'storageDir', 'tags']),
  hostCpu: keys<HostCpuProps>()(['cores', 'sockets', 'threads']),
  hostMemory: keys<HostMemoryProps>()(['dimms', 'maxDimm', 'slots']),
  hostDisk: keys<HostDiskProps>()(['iops', 'kind', 'mbps', 'name', 'size']),
  hostNic: keys<HostNicProps>()(['gbps', 'name']),
  guest: keys<GuestProps>()(['antiAffinity', 'bootloader', 'cpu', 'cpuCap', 'cpuWeight', 'disks', 'hostSelector', 'kernel', 'lifecycle', 'load', 'maxMemory', 'maxVcpus', 'memory', 'mode', 'movedFrom', 'nics', 'power', 'role', 'tags', 'vcpus']),
  hostGroup: keys<HostGroupProps>()(['lifecycle', 'provider', 'selector']),
  guestDisk: keys<GuestDiskProps>()(['iops', 'mbps', 'on', 'size']),
  guestCpu: keys<GuestCpuProps>()(['cap', 'weight']),
  guestNic: keys<GuestNicProps>()(['bridge', 'mac']),
  guestLoad: keys<GuestLoadProps>()(['cpu', 'iops', 'netMbps']),
  lifecycle: keys<LifecycleProps>()(['ignoreChanges', 'preventDestroy']),
} as const;

/** Lists the keys of T; the compiler refuses a list that misses one or names one T lacks. */
function keys<T>() {
  return <const K extends readonly (keyof T & string)[]>(list: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, K[number]> })): readonly string[] => list;
}

/**
 * The canonical, fully defaulted description of a fleet that synth writes to
 * `hvkit.manifest.json` and the planner reads. Sizes are whole MiB.
 */
export const MANIFEST_FORMAT_VERSION = 1;

export type ProviderName = 'local' | 'libvirt' | 'xen';
export const PROVIDERS: readonly ProviderName[] = ['local', 'libvirt', 'xen'];
export type GuestMode = 'pv' | 'pvh' | 'hvm';
export const GUEST_MODES: readonly GuestMode[] = ['pv', 'pvh', 'hvm'];
export type DiskKind = 'hdd' | 'ssd' | 'nvme';
/** Whether a guest runs: desired (a Guest's `power` prop) or observed (state's record). */
export type PowerState = 'running' | 'stopped';
export const POWER_STATES: readonly PowerState[] = ['running', 'stopped'];
/** Where a fleet's state lives: a local file, or PostgreSQL shared by a team's runners. */
export type StateBackendName = 'file' | 'pg';
export const STATE_BACKENDS: readonly StateBackendName[] = ['file', 'pg'];

/** The state backend a fleet's code chose (the Fleet's `state` prop), as checked. Never a connection string. */
export interface StateBackendSpec {
  backend: StateBackendName;
  /** PostgreSQL schema of the fleet's tables (pg only); absent: HVKIT_PG_SCHEMA, else 'hvkit'. */
  schema?: string;
}

/** Factors of the capacity model; see docs/design.md "Capacity model". */
export interface CapacityConfig {
  /** Σ vcpus may reach host threads × this. */
  cpuOvercommit: number;
  /** MiB of hypervisor overhead per guest vCPU. */
  overheadPerVcpuMiB: number;
  /** One MiB of hypervisor overhead per this many MiB of guest maxMemory. */
  overheadMemoryDivisor: number;
  /** Extra MiB of overhead for an hvm guest. */
  overheadHvmMiB: number;
  /** Fraction of CPU lost to virtualization (the chapter measured 2–3%). */
  cpuVirtLoss: number;
  /** Fraction of disk I/O lost to virtualization (about 5%). */
  ioVirtLoss: number;
  /** Fraction of NIC bandwidth a guest gets (about half). */
  netVirtFactor: number;
  /** Soft limits allow this fraction of what remains after the losses. */
  softHeadroom: number;
  /** Treat soft-limit overruns (CPU load, IOPS, network) as errors. */
  softLimitsAreErrors: boolean;
  /** A resource at or above this fraction counts as nearly full. */
  strandedBusy: number;
  /** A resource at or below this fraction counts as mostly idle. */
  strandedIdle: number;
  /**
   * Warn when a guest's measured p95 load exceeds its declared load times
   * this (docs/design.md "Measured load"). Absent unless code sets it, so
   * manifests that do not keep their bytes.
   * @default DEFAULT_MEASURED_OVER_DECLARED (1.5)
   */
  measuredOverDeclared?: number;
}

export interface HostDisk { name: string; sizeMiB: number; kind: DiskKind; iops: number; mbps: number }
export interface HostNic { name: string; gbps: number }

export interface HostSpec {
  name: string;
  path: string;
  provider: ProviderName;
  /** ssh target (xen), libvirt URI (libvirt) or simulator folder (local). */
  address: string;
  cpu: { sockets: number; cores: number; threads: number };
  memory: { slots: number; maxDimmMiB: number; dimmsMiB: number[]; totalMiB: number };
  disks: HostDisk[];
  nics: HostNic[];
  reserve: { memoryMiB: number; overheadMiB: number; vcpus: number };
  /** Where guest disk images live on the host. */
  storageDir: string;
  capacity: CapacityConfig;
  tags: Record<string, string>;
}

/** `iops`/`mbps`: the disk's I/O limits, present only when code sets them (so other guests' manifests keep their bytes). */
export interface GuestDisk { sizeMiB: number; on: string; iops?: number; mbps?: number }
export interface GuestNic { bridge: string; mac: string }
export interface GuestLoad { cpu: number; iops: number; netMbps: number }

/**
 * Props of a guest that `lifecycle.ignoreChanges` can name: those an operator
 * tunes by hand on a running guest (`xl mem-set`, `virsh setvcpus`,
 * `xl sched-credit`) or that only state records. `'all'` names every one.
 * Disks, mode, NICs, kernel and bootloader are not among them: a change of
 * those replaces or restarts the guest and must be planned.
 */
export type IgnorableProp = 'memory' | 'maxMemory' | 'vcpus' | 'maxVcpus' | 'cpu' | 'cpuWeight' | 'cpuCap' | 'role' | 'load' | 'tags';

/**
 * A guest's lifecycle as resolved from its own, its host's and its fleet's
 * props. Only state records it: a change of it never touches the hypervisor.
 */
export interface GuestLifecycle {
  /** Props whose code/state difference is not planned, sorted, without repeats (`'all'` as written). */
  ignoreChanges: (IgnorableProp | 'all')[];
  preventDestroy: boolean;
}

export interface GuestSpec {
  name: string;
  path: string;
  host: string;
  role: string;
  uuid: string;
  mode: GuestMode;
  vcpus: number;
  maxVcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
  disks: GuestDisk[];
  nics: GuestNic[];
  load: GuestLoad;
  antiAffinity: string | null;
  /** Kernel path for pv guests; null means boot through the bootloader. */
  kernel: string | null;
  bootloader: string | null;
  cpuWeight: number | null;
  cpuCap: number | null;
  /** The power state code wants; the planner starts or stops the guest to match. */
  power: PowerState;
  tags: Record<string, string>;
  lifecycle: GuestLifecycle;
  /**
   * The name this guest had before (`movedFrom` in code): a guest state
   * records under that name, and not under this one, is renamed rather than
   * destroyed and created. Never reaches the hypervisor.
   */
  movedFrom: string | null;
}

/**
 * Where hvkit may place a guest that code creates in the Fleet or in a
 * HostGroup rather than inside a Host: the planner picks the host
 * (lib/capacity/placement.ts) and state keeps it (sticky).
 */
export interface PlacementSpec {
  /** Only hosts of this provider are candidates (a guest's config and MACs depend on it). */
  provider: ProviderName;
  /** Host tags a candidate must carry, every one (the HostGroup's selector and the guest's own, merged). */
  selector: Record<string, string>;
  /** Construct id of the HostGroup the guest was created in; null when created in the Fleet itself. */
  group: string | null;
}

/**
 * A guest code does not put on a host. `host` is '' and a disk whose `on` is
 * '' goes on the host disk placement picks; placement returns a plain
 * GuestSpec (host and every `on` filled in, no `placement` key).
 */
export interface UnplacedGuestSpec extends GuestSpec {
  placement: PlacementSpec;
}

/** What a plan does when the fleet cannot absorb the loss of a host: warn, or refuse (and keep placement N+1). */
export type NPlusOnePolicy = 'warn' | 'require';
export const N_PLUS_ONE_POLICIES: readonly NPlusOnePolicy[] = ['warn', 'require'];

export interface Manifest {
  formatVersion: number;
  fleet: string;
  path: string;
  resourceType: 'null_resource' | 'terraform_data';
  capacity: CapacityConfig;
  hosts: HostSpec[];
  guests: GuestSpec[];
  /**
   * The MACs written in code (`nics[].mac`), sorted. Every other MAC is
   * derived, and the planner keeps the one recorded in state for those.
   */
  explicitMacs: string[];
  /**
   * The state backend code chose (the Fleet's `state` prop); absent when code
   * does not say, so manifests of fleets without it keep their bytes.
   */
  state?: StateBackendSpec;
  /**
   * Guests hvkit places (created in the Fleet or a HostGroup), sorted by
   * name; absent when there are none, so other fleets' manifests keep their bytes.
   */
  unplaced?: UnplacedGuestSpec[];
  /** The Fleet's `nPlusOne` prop; absent when code does not set it (then 'warn'). */
  nPlusOne?: NPlusOnePolicy;
}

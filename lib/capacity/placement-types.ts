import type { GuestSpec, HostSpec, ProviderName } from '../manifest/types';
import type { FailMode, HostUsage } from './admit';
import type { WeighPolicy } from './weigh';

/** The public shapes of placement (lib/capacity/placement.ts): what callers hand `Packing` and get back. */

/** A host as placement sees it: its spec, the guests it runs, the memory it reports. */
export interface PackHost {
  spec: HostSpec;
  guests: readonly GuestSpec[];
  /** Memory the host reports; @default the host's coded memory */
  installed?: number;
}

/** What a guest asks of its host: which hosts may take it at all. */
export interface PlacementAsk {
  /** The guest; `host` is ignored, a disk with `on: ''` goes on the host disk placement picks. */
  guest: GuestSpec;
  /** Only hosts of this provider. */
  provider: ProviderName;
  /** Host tags a candidate must carry, every one. @default {} */
  selector?: Readonly<Record<string, string>>;
}

export interface ChooseOptions {
  /** The host state records the guest on: kept while it still admits the guest (placement is sticky). @default none */
  sticky?: string;
  /** Hosts not to consider (N+1: the host that died). @default none */
  exclude?: ReadonlySet<string>;
  /**
   * A further test of a host that admits the guest (N+1 `require`: the fleet
   * must stay N+1 with the guest there); hosts are offered best first.
   * @default every admitting host is acceptable
   */
  accept?: (host: string, guest: GuestSpec) => boolean;
  /** How admitting hosts are ranked: hvkit's scoring, or First-Fit / Best-Fit for comparison. @default 'hvkit' */
  weigh?: WeighPolicy;
  /**
   * Work out the closest host and what it lacks when no host admits the
   * guest; without it a `no-fit` names no host (`closest: ''`, `short: []`),
   * for callers that only count failures (the simulator's fixed fleet).
   * @default true
   */
  explain?: boolean;
  /**
   * First-Fit only: the scan starts at this position in name order, the
   * caller knowing every host before it refuses the guest (N+1 knows it:
   * adding guests never makes a host admit what it refused). A scan that
   * finds no host starts again at 0, so a failure reads as without it.
   * @default 0
   */
  startAt?: number;
}

/** The resources placement weighs, utilization 0..1 after the guest is added. */
export interface Utilization {
  memory: number;
  vcpus: number;
  disk: number;
  cpu: number;
  iops: number;
  network: number;
}
export type WeighedResource = keyof Utilization;

/** Why a host was chosen: data, rendered elsewhere ("uses idle CPU and I/O; memory after 91%"). */
export interface PlacementWhy {
  /** The host state records the guest on, kept. */
  sticky: boolean;
  /** The host already ran guests (hvkit fills hosts in use before waking an empty one). */
  inUse: boolean;
  /** Resources that sat idle on the host while another was nearly full, which this guest puts to use. */
  uses: WeighedResource[];
  /** The host's utilization after the guest is added. */
  after: Utilization;
  /** Soft limits crossed because no host could take the guest without crossing one. */
  softCrossed: FailMode[];
  /** Hosts that admitted the guest. */
  candidates: number;
}

/** What one resource lacks on the host that came closest to taking a guest. */
export interface Shortfall {
  resource: FailMode;
  /** What the guest needs of it (MiB, vCPUs, cores, IOPS, Mbps); 0 for anti-affinity. */
  need: number;
  /** What the host has left of it. */
  free: number;
  /** For `disk`: the host disk; for `anti-affinity`: the group. */
  detail?: string;
}

export type PlacementFailure =
  /** No host of the guest's provider carries every tag of its selector. */
  | { code: 'no-candidates'; detail: { provider: ProviderName; selector: Record<string, string> } }
  /** Hosts match but none admits the guest; `closest` is the one short by the least. */
  | { code: 'no-fit'; detail: { candidates: number; closest: string; short: Shortfall[] } }
  /** Hosts admit the guest but `accept` refused every one (N+1 `require`). */
  | { code: 'not-accepted'; detail: { candidates: number } };

export type Choice =
  | { ok: true; host: string; guest: GuestSpec; usage: HostUsage; why: PlacementWhy }
  | { ok: false; failure: PlacementFailure };

/** Some hosts of a packing as they were: see `Packing.snapshot`. */
export type PackingSnapshot = readonly { readonly host: string; readonly usage: HostUsage; readonly guests: ReadonlyMap<string, GuestSpec> }[];

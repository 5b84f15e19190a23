import type { HostFit } from '../capacity/fit';
import type { MeasuredLoad } from '../capacity/measured';
import type { Diagnostic } from '../diagnostics';
import type { GuestSpec, HostSpec, ProviderName } from '../manifest/types';
import type { PlacementWhy, Shortfall } from '../capacity/placement';
import type { GainFigures } from '../capacity/rebalance';
import type { DataLoss } from './data-loss';
import type { GuestReason, HostReason } from './reason';

export type { DataLoss, DataLossKind, LostDisk } from './data-loss';
export type { LoadFigures, MeasuredGuest, MeasuredHost, MeasuredLoad } from '../capacity/measured';
export type { ChangeReason, GuestReason, HostReason, ReasonCode, ReplaceCause } from './reason';

/** 2: `reason` became `{code, detail}` (it was text) and `requested` went into it. */
export const PLAN_FORMAT_VERSION = 2;

/** `rename`: a guest state records under its `movedFrom` name gets its new name, domain and disks kept. */
export type GuestAction = 'create' | 'update' | 'replace' | 'migrate' | 'delete' | 'rename' | 'noop';
export type HostAction = 'add' | 'upgrade-memory' | 'update' | 'retire' | 'noop';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** A change is `{action, before, after, reason}`; renderers turn the reason's code into words. */
export interface GuestChange {
  kind: 'guest';
  name: string;
  address: string;
  action: GuestAction;
  before: GuestSpec | null;
  after: GuestSpec | null;
  reason: GuestReason;
  /** For updates: does the guest restart? Live changes (balloon, vCPU hotplug) do not. */
  restart: boolean;
  /** Only the hypervisor-invisible fields (role, load, tags) change. */
  recordOnly: boolean;
  /**
   * The plan shuts down a guest recorded running (power 'stopped' in code):
   * an outage a summary counts apart, as it counts restarts.
   * @default false (absent)
   */
  shutdown?: true;
  fields: FieldChange[];
  /**
   * The guest data this change loses (every disk, by index, size, host disk
   * and host): set by the planner on every delete and replace, absent on
   * changes that keep the disks. Renderers show it; they never work it out.
   */
  dataLoss?: DataLoss;
}

export interface HostChange {
  kind: 'host';
  name: string;
  address: string;
  action: HostAction;
  before: HostSpec | null;
  after: HostSpec | null;
  reason: HostReason;
  fields: FieldChange[];
}

export type Change = GuestChange | HostChange;

export type StepKind =
  | 'add-host'
  | 'upgrade-memory'
  | 'update-host'
  | 'retire-host'
  | 'create'
  | 'destroy'
  | 'replace'
  | 'update-live'
  | 'update-restart'
  | 'update-record'
  | 'migrate'
  /** Create on another host a guest whose own host is down (`hvkit rebuild --to`); the source is not touched. */
  | 'recreate'
  /**
   * Destroy the copy a forced `hvkit rebuild --to` leaves on a source host that is
   * up, once the recreate on the target is done; state already records the guest there.
   */
  | 'destroy-copy'
  /** Start a stopped guest, or shut a running one down, as its `power` prop says; nothing else changes. */
  | 'start'
  | 'stop'
  /**
   * Give a recorded guest its new name (`movedFrom`): the provider renames the
   * domain and its disks. `before` is the guest as recorded, `after` the same
   * guest under its new name; changes on top are a separate step after it.
   */
  | 'rename';

/**
 * One unit of work for the executor, with everything it needs: the provider,
 * the specs, the rendered config. The executor decides nothing.
 */
export interface Step {
  id: string;
  kind: StepKind;
  provider: ProviderName;
  /** The host the step runs on (the source host of a migration). */
  host: string;
  /** Migration or recreate target host; for `destroy-copy`, the host its recreate landed on. */
  target?: string;
  guest?: string;
  dependsOn: string[];
  hostSpec?: HostSpec;
  targetSpec?: HostSpec;
  before?: GuestSpec;
  after?: GuestSpec;
  /** Rendered config of `after`, as the hypervisor will get it. */
  config?: { format: string; path: string; text: string };
  /**
   * For `upgrade-memory`: the memory state recorded before, so apply checks a
   * downgrade (DIMMs taken out) as one. Absent in plans made before it existed: an upgrade.
   */
  memoryBeforeMiB?: number;
  /**
   * A power call after the step's own calls, leaving the guest as its `power`
   * prop says (a created guest with power 'stopped' is stopped once it runs).
   * @default none: the step leaves the guest running, or as it was
   */
  then?: 'start' | 'stop';
  description: string;
}

/** The hosts a step runs on: its host, and a migration's or recreate's target. */
export function hostsOf(step: Pick<Step, 'host' | 'target'>): string[] {
  return step.target && step.target !== step.host ? [step.host, step.target] : [step.host];
}

/** A step that was in flight when a previous apply died, and what the hypervisor says of it. */
export interface Recovered {
  step: string;
  run: string;
  /** Whether the step's effect is on the hypervisor. */
  done: boolean;
  message: string;
}

export interface ConfigDiff {
  guest: string;
  before: string | null;
  after: string | null;
}

export interface Plan {
  formatVersion: number;
  fleet: string;
  /** State this plan was made against; a changed lineage/serial makes it stale. */
  stateLineage: string | null;
  stateSerial: number;
  manifestDigest: string;
  changes: Change[];
  steps: Step[];
  fit: HostFit[];
  diagnostics: Diagnostic[];
  /** Rendered config before → after for every guest that changes. */
  configs: ConfigDiff[];
  recovered: Recovered[];
  drift: DriftItem[];
  applyable: boolean;
  /**
   * The `--target` addresses a partial plan was limited to (normalized);
   * absent for a plan of everything.
   * @default absent
   */
  targets?: string[];
  /**
   * Where hvkit placed each guest code created without a host, and why;
   * absent when code has none, so other plans keep their bytes.
   * @default absent
   */
  placements?: PlacementDecision[];
  /**
   * What `plan --rebalance` gains: its migrations (each a change whose reason
   * is `rebalance`), the hosts they empty (free to retire or power off once
   * applied) and the fleet's hosts in use and stranded capacity before and
   * after. Absent without `--rebalance`, so other plans keep their bytes.
   * @default absent
   */
  rebalance?: PlanRebalance;
  /**
   * Measured p95 load beside declared load, for the hosts and guests with
   * samples in the kept window; absent without samples, so other plans keep
   * their bytes.
   * @default absent
   */
  measured?: MeasuredLoad;
}

/**
 * How a guest hvkit places got its host: `placed` a new guest, `kept` on the
 * host state records (sticky), `re-placed` off a recorded host that can no
 * longer take it.
 */
export type PlacementCode = 'placed' | 'kept' | 're-placed';

/** Why a guest's recorded host could not keep it (`re-placed`). */
export type DisplacedCause =
  /** The host is no longer in code. */
  | { code: 'host-gone' }
  /** The host no longer has the guest's provider or every tag of its selector. */
  | { code: 'not-selected' }
  /** The host no longer admits the guest: what it lacks. */
  | { code: 'no-longer-fits'; short: Shortfall[] }
  /** The host admits the guest, but the fleet's policy (N+1 `require`) does not accept it there. */
  | { code: 'not-accepted' };

/** One guest's placement, as data; renderers turn it into "placed on db-host-01: uses idle CPU and I/O; memory after 91%". */
export interface PlacementDecision {
  guest: string;
  /** The guest's construct path. */
  path: string;
  code: PlacementCode;
  host: string;
  /** For `re-placed`: the host state recorded and why it could not keep the guest. */
  from?: { host: string; cause: DisplacedCause };
  why: PlacementWhy;
}

/** `plan --rebalance` as plan data: what moves, what it empties, what the fleet gains. */
export interface PlanRebalance {
  /** `--max-moves`, when given. */
  maxMoves?: number;
  moves: { guest: string; from: string; to: string }[];
  /** Hosts the moves leave without guests, in the order they empty. */
  emptied: string[];
  totals: GainFigures;
}

export type DriftKind =
  | 'guest-missing'
  | 'guest-changed'
  /** Recorded where state says, but shut off while code (or state, for a guest code no longer has) wants it running. */
  | 'guest-stopped'
  /** Runs while code says `power: 'stopped'` (or state recorded it stopped, for a guest code no longer has). */
  | 'guest-running'
  /** Runs on a host other than the one state records, and not on that one: moved outside hvkit. */
  | 'guest-moved'
  /** Runs on two hosts at once (a migration cut between its halves, or a copy made by hand). */
  | 'guest-duplicate'
  | 'unknown-domain'
  | 'host-memory'
  | 'host-unreachable';

/** A difference between state and what the hypervisor really runs (`hvkit refresh`). */
export interface DriftItem {
  kind: DriftKind;
  host: string;
  guest?: string;
  message: string;
  /**
   * The guest is outside a `--target`ed plan, which leaves its drift as it is.
   * @default absent: the plan converges it
   */
  leftOut?: true;
}

export interface PlanSummary {
  create: number;
  /** Updates in place, live and with a restart. */
  update: number;
  /** Of `update`, those that restart the guest. */
  restart: number;
  /** Of `update`, those that shut a running guest down. */
  shutdown: number;
  replace: number;
  migrate: number;
  delete: number;
  rename: number;
  hostChanges: number;
  /** MiB of guest disks that replaces destroy. */
  replaceDestroysMiB: number;
  /** MiB of guest disks that replaces onto another host (`rebuild --to`) leave behind, not carried over. */
  replaceLeavesMiB: number;
  /** MiB of guest disks that deletes destroy. */
  deleteDestroysMiB: number;
}

/** The one count of a plan's changes, for every renderer's summary. */
export function summarize(plan: Plan): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, restart: 0, shutdown: 0, replace: 0, migrate: 0, delete: 0, rename: 0, hostChanges: 0, replaceDestroysMiB: 0, replaceLeavesMiB: 0, deleteDestroysMiB: 0 };
  for (const c of plan.changes) {
    if (c.kind === 'host') {
      if (c.action !== 'noop') s.hostChanges++;
      continue;
    }
    if (c.action !== 'noop') s[c.action]++;
    if (c.action === 'update' && c.restart) s.restart++;
    if (c.action === 'update' && c.shutdown) s.shutdown++;
    const loss = c.dataLoss;
    if (!loss) continue;
    if (c.action === 'delete') s.deleteDestroysMiB += loss.totalMiB;
    else if (loss.kind === 'left-behind') s.replaceLeavesMiB += loss.totalMiB;
    else s.replaceDestroysMiB += loss.totalMiB;
  }
  return s;
}

export function hasChanges(plan: Plan): boolean {
  return plan.steps.length > 0;
}

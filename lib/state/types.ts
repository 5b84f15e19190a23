import type { GuestSpec, HostSpec, PowerState, ProviderName } from '../manifest/types';
import type { StoredIntent } from './intent';

export const STATE_VERSION = 1;

/** A guest as last applied: its spec and the exact config text the hypervisor got. */
export interface GuestRecord {
  spec: GuestSpec;
  provider: ProviderName;
  /** Rendered hypervisor config (local JSON, domain XML or xl.cfg), byte for byte. */
  config: string;
  /**
   * Whether the guest runs, as hvkit last made it or saw it.
   * @default running: absent in states written before hvkit recorded power, and for a guest never stopped
   */
  power?: PowerRecord;
}

/** A guest's observed power state, and when and how hvkit learnt it. */
export interface PowerRecord {
  state: PowerState;
  /** When (ISO 8601). */
  at: string;
  /** An apply step, `hvkit start | stop | reboot`, or `hvkit refresh` reading the hypervisor. */
  by: 'apply' | 'command' | 'refresh';
}

/** The power state a guest record says: absent means running, as every guest ran before hvkit could stop one. */
export function recordedPower(rec: Pick<GuestRecord, 'power'> | undefined): PowerState {
  return rec?.power?.state ?? 'running';
}

/**
 * The record of a guest left in `state`: kept when it is stopped or when this
 * changed its power; otherwise none (running, the default), so records of
 * guests that never stopped stay as they were.
 */
export function powerRecord(state: PowerState | undefined, changed: boolean, by: PowerRecord['by'], at = new Date().toISOString()): PowerRecord | undefined {
  const s = state ?? 'running';
  return s === 'stopped' || changed ? { state: s, at, by } : undefined;
}

/** What `hvkit refresh` last saw on a host (issue: real hypervisors). */
export interface ObservedHost {
  /** Whether the provider's facts answered. */
  reachable: boolean;
  error?: string;
  memoryMiB?: number;
  cpus?: number;
  domains: ObservedDomain[];
}

export interface ObservedDomain {
  name: string;
  memoryMiB: number;
  maxMemoryMiB: number;
  vcpus: number;
  maxVcpus: number;
  running: boolean;
}

export interface HostRecord {
  spec: HostSpec;
  /** Installed memory the provider's facts last reported. */
  installedMiB?: number;
}

export interface FailedStep {
  step: string;
  exitCode: number | null;
  message: string;
  log: string;
}

export interface State {
  version: number;
  lineage: string;
  serial: number;
  fleet: string;
  hosts: Record<string, HostRecord>;
  guests: Record<string, GuestRecord>;
  /** Steps started and not recorded as finished, by step id. */
  inflight: Record<string, StoredIntent>;
  observed?: { at: string; hosts: Record<string, ObservedHost> };
  lastApply?: { run: string; failed: FailedStep[] };
}

/** Who holds a state lock, for how long, and for what. */
export interface LockInfo {
  id: string;
  who: string;
  operation: string;
  created: string;
  pid: number;
}

/** How long `StateStore.lock` waits for another holder to let go. */
export interface LockOptions {
  /** Give up after this long. @default the store's own default, which is 0 (fail at once) unless the store was made with one */
  readonly timeoutMs?: number;
  /** Called once, when the first attempt finds the lock held and waiting begins. */
  readonly onWait?: (holder: LockInfo | undefined) => void;
}

/**
 * Where state lives. `write` is atomic and compare-and-swap: the store, not
 * its caller, numbers each version; `lock` gives one writer at a time, and a
 * holder whose lock was released under it (forced unlock) may not write again.
 */
export interface StateStore {
  /** Where the state is, for messages. */
  readonly location: string;
  /** The state, or undefined when none was written yet; throws on an unreadable state. */
  read(): Promise<State | undefined>;
  /**
   * Stores `state` as the next version and resolves to its serial. `state.serial` is the
   * serial the caller read (0 when nothing was stored): unless that is still the stored
   * serial and `state.lineage` the stored lineage, throws StateConflictError and writes
   * nothing, so a writer that missed another's write never wins over it. The version is
   * stored with serial `state.serial + 1`; `state` itself is not changed, so a caller that
   * writes again from it sets `state.serial` to the answer first.
   * Serializes `state` before its first await, so the caller may change the object right after calling.
   * Once the lock this store took was released by someone else (a forced unlock), throws
   * StateLockLostError and writes nothing, on this and every later write until `lock` is taken again.
   */
  write(state: State): Promise<number>;
  /**
   * Takes the lock for `operation`. While another holds it, waits up to
   * `opts.timeoutMs` (polling with backoff), then throws StateLockedError
   * naming the holder.
   */
  lock(operation: string, opts?: LockOptions): Promise<LockInfo>;
  /** Releases a lock by its id (own or forced). Releasing its own lock after losing it is a no-op: the lock may be someone else's by now. */
  unlock(id: string): Promise<void>;
  /** The current lock, if any. */
  lockInfo(): Promise<LockInfo | undefined>;
  /**
   * The versions this store keeps, oldest first (`hvkit state history`). The pg backend keeps
   * every serial; the file backend keeps the current version and its one backup.
   */
  history(): Promise<StateVersion[]>;
  /** The state as stored at `serial` (`hvkit state show --serial N`); undefined when that serial is not kept. */
  readSerial(serial: number): Promise<State | undefined>;
  /**
   * Stores `state` as it is, its lineage and serial kept (`hvkit state push` / `pull`, moving a
   * fleet's state between backends). Refused with StateConflictError, writing nothing, unless the
   * store holds no state, or holds the same lineage at a lower serial. Takes no lock: the caller holds it.
   */
  adopt(state: State): Promise<void>;
  /** Lets go of what the store holds open (connections); the store may not be used afterwards. */
  close(): Promise<void>;
  /**
   * Whether the holder of `info` (this store's current lock) still runs, where the store knows
   * better than a pid check on this machine (the pg backend: whether its database session is open).
   * @default holderLiveness in lock-wait.ts: signal 0 to the pid when it ran on this machine
   */
  holderLiveness?(info: LockInfo): Promise<HolderLiveness>;
}

/**
 * Whether a lock's holder still runs: its process is alive or dead on this machine, it ran on
 * another machine ('unknown'), or the database session that holds the lock is open ('session-open').
 */
export type HolderLiveness = 'alive' | 'dead' | 'unknown' | 'session-open';

/** One kept version of a fleet's state, as `hvkit state history` lists it. */
export interface StateVersion {
  serial: number;
  lineage: string;
  /** When it was written (ISO 8601); unknown for a version a file backend kept as its backup. */
  created?: string;
  /** The lock holder that wrote it (`who`) and for what (`operation`), where the backend records them. */
  who?: string;
  operation?: string;
  hosts: number;
  guests: number;
  /** Steps recorded in flight in that version. */
  inflight: number;
}

/** How `hvkit state history` lists a stored state. */
export function versionOf(s: State, meta: Pick<StateVersion, 'created' | 'who' | 'operation'> = {}): StateVersion {
  return { serial: s.serial, lineage: s.lineage, ...meta, hosts: Object.keys(s.hosts).length, guests: Object.keys(s.guests).length, inflight: Object.keys(s.inflight).length };
}

export function emptyState(fleet: string, lineage: string): State {
  return { version: STATE_VERSION, lineage, serial: 0, fleet, hosts: {}, guests: {}, inflight: {} };
}

/**
 * `map[key]` when `key` is the map's own entry. State maps are keyed by names
 * users choose, and `constructor` is a valid DNS label: a plain index would
 * find Object.prototype's.
 */
export function own<T>(map: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return map !== undefined && Object.hasOwn(map, key) ? map[key] : undefined;
}

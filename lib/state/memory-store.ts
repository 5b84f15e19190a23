import { randomUUID } from 'node:crypto';
import { LockIdMismatchError, NotLockedError, StateLockLostError, StateLockedError, checkAdoptable, nextSerial } from './errors';
import { readState } from './read-state';
import { holderName, lockWithin } from './lock-wait';
import { versionOf, type LockInfo, type LockOptions, type State, type StateStore, type StateVersion } from './types';

/** An in-memory store for unit tests; behaves like the file backend (same conformance suite). */
export class MemoryStateStore implements StateStore {
  readonly location = 'memory';
  private state?: string;
  private lockHeld?: LockInfo;
  private lost?: string;
  /** Every state written, oldest first. */
  readonly written: State[] = [];

  /** @param lockTimeoutMs how long `lock()` waits when its caller does not say @default 0 */
  constructor(initial?: State, private readonly lockTimeoutMs = 0) {
    if (initial) this.state = JSON.stringify(initial);
  }
  async read(): Promise<State | undefined> {
    return this.state ? readState(this.location, this.state) : undefined;
  }
  async write(state: State): Promise<number> {
    const base = { lineage: state.lineage, serial: state.serial };
    const text = JSON.stringify({ ...state, serial: base.serial + 1 });
    if (this.lost) throw new StateLockLostError(this.location);
    const serial = nextSerial(this.location, await this.read(), base);
    this.state = text;
    this.written.push(JSON.parse(text));
    return serial;
  }
  async lock(operation: string, opts: LockOptions = {}): Promise<LockInfo> {
    return lockWithin(this.location, async () => this.tryLock(operation), { ...opts, timeoutMs: opts.timeoutMs ?? this.lockTimeoutMs });
  }
  private tryLock(operation: string): LockInfo {
    if (this.lockHeld) throw new StateLockedError(this.location, this.lockHeld);
    this.lost = undefined;
    this.lockHeld = { id: randomUUID(), who: holderName(), operation, created: new Date().toISOString(), pid: process.pid };
    return this.lockHeld;
  }
  async unlock(id: string): Promise<void> {
    if (this.lost === id) return;
    if (!this.lockHeld) throw new NotLockedError(this.location);
    if (this.lockHeld.id !== id) throw new LockIdMismatchError(this.location, id, this.lockHeld);
    this.lockHeld = undefined;
  }
  async lockInfo(): Promise<LockInfo | undefined> {
    return this.lockHeld;
  }
  /** Keeps every version, as the pg backend does. */
  async history(): Promise<StateVersion[]> {
    return this.written.map((s) => versionOf(s));
  }
  async readSerial(serial: number): Promise<State | undefined> {
    const s = this.written.find((w) => w.serial === serial);
    return s ? readState(this.location, JSON.stringify(s)) : undefined;
  }
  async adopt(state: State): Promise<void> {
    checkAdoptable(this.location, await this.read(), state);
    this.state = JSON.stringify(state);
    this.written.push(JSON.parse(this.state));
  }
  async close(): Promise<void> {}
  /** Test hook: the store holds `stored` as it is, as if another hvkit version had written it. */
  seedStored(stored: object): void {
    this.state = JSON.stringify(stored);
  }
  /** Test hook: another process runs `hvkit state unlock ID --force` on the lock this store holds. */
  simulateForcedUnlock(): void {
    if (!this.lockHeld) throw new NotLockedError(this.location);
    this.lost = this.lockHeld.id;
    this.lockHeld = undefined;
  }
}

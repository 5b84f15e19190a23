import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { HvkitError } from '../errors';
import { LockIdMismatchError, NotLockedError, StateLockLostError, StateLockedError, checkAdoptable, nextSerial } from './errors';
import { holderName, lockWithin } from './lock-wait';
import { StateMovedError, readMovedMarker } from './moved-marker';
import { readState } from './read-state';
import { versionOf, type LockInfo, type LockOptions, type State, type StateStore, type StateVersion } from './types';

export interface FileStateStoreOptions {
  /** A lock whose holder stopped refreshing it this long ago is taken over. @default 10000 */
  readonly staleMs?: number;
  /** How long `lock()` waits for another holder when its caller does not say. @default 0 */
  readonly lockTimeoutMs?: number;
  /** Told when `lock()` starts waiting for another holder, when its caller does not say. */
  readonly onLockWait?: LockOptions['onWait'];
  /**
   * Use the file even though `hvkit state push` moved its state elsewhere (a `<file>.moved`
   * marker beside it): for push and pull themselves. Otherwise reads, writes and lock() refuse it.
   * @default false
   */
  readonly ignoreMoved?: boolean;
}

/**
 * The local file backend: `.hvkit/state/<fleet>.json`, written atomically
 * (temp file in the same folder, fsync, rename, fsync the folder) with one
 * backup of the previous version in `<file>.backup`.
 */
export class FileStateStore implements StateStore {
  readonly location: string;
  private release?: () => Promise<void>;
  private held?: LockInfo;
  /** The id of a lock this store held and someone else released; writes are refused until the next `lock()`. */
  private lost?: string;
  private lastWritten?: { lineage: string; serial: number };
  private readonly staleMs: number;
  private readonly lockTimeoutMs: number;
  private readonly onLockWait?: LockOptions['onWait'];
  private readonly ignoreMoved: boolean;

  constructor(readonly file: string, opts: FileStateStoreOptions = {}) {
    this.location = file;
    this.staleMs = opts.staleMs ?? 10_000;
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 0;
    this.onLockWait = opts.onLockWait;
    this.ignoreMoved = opts.ignoreMoved ?? false;
  }

  /** Refuses a state `hvkit state push` moved elsewhere: the file is a stale copy of it. */
  private checkNotMoved(): void {
    if (this.ignoreMoved) return;
    const marker = readMovedMarker(this.file);
    if (marker) throw new StateMovedError(marker);
  }

  get backupFile(): string {
    return `${this.file}.backup`;
  }
  private get infoFile(): string {
    return `${this.file}.lockinfo`;
  }
  private get lockDir(): string {
    return `${this.file}.lock`;
  }

  async read(): Promise<State | undefined> {
    this.checkNotMoved();
    return this.readFile(this.file);
  }

  private readFile(file: string): State | undefined {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new HvkitError(`cannot read state ${file}: ${(e as Error).message}`);
    }
    return readState(file, text, `it was left untouched; restore ${this.backupFile} or fix it by hand before running hvkit again`);
  }

  async write(state: State): Promise<number> {
    // Reading first refuses to overwrite a state this store cannot read. While this
    // store holds the lock and wrote the last version itself, nobody else can have
    // changed it, so apply's many small writes skip the re-read.
    const base = { lineage: state.lineage, serial: state.serial };
    const text = JSON.stringify({ ...state, serial: base.serial + 1 }) + '\n';
    this.checkLockStillOurs();
    this.checkNotMoved();
    const current = this.held && this.lastWritten ? this.lastWritten : await this.read();
    const serial = nextSerial(this.location, current, base);
    await this.replaceFile(text, current !== undefined);
    this.lastWritten = { lineage: base.lineage, serial };
    return serial;
  }

  /** The current version and its backup: a file keeps no more. */
  async history(): Promise<StateVersion[]> {
    this.checkNotMoved();
    return [this.backupFile, this.file].flatMap((f) => {
      const s = this.readFile(f);
      return s ? [versionOf(s, { created: statSync(f).mtime.toISOString() })] : [];
    });
  }

  async readSerial(serial: number): Promise<State | undefined> {
    this.checkNotMoved();
    return [this.file, this.backupFile].map((f) => this.readFile(f)).find((s) => s?.serial === serial);
  }

  async adopt(state: State): Promise<void> {
    const text = JSON.stringify(state) + '\n';
    this.checkNotMoved();
    const current = this.readFile(this.file);
    // Pulled back with no write meanwhile: the file holds the very version that was pushed.
    const marker = this.ignoreMoved ? readMovedMarker(this.file) : undefined;
    const unchanged = marker && current && [current, state].every((v) => v.lineage === marker.lineage && v.serial === marker.serial);
    if (!unchanged) checkAdoptable(this.location, current, state);
    await this.replaceFile(text, current !== undefined);
    this.lastWritten = undefined;
  }

  async close(): Promise<void> {}

  /** Writes the state file atomically, the previous one becoming the backup. */
  private async replaceFile(text: string, current: boolean): Promise<void> {
    mkdirSync(dirname(this.file), { recursive: true });
    if (current) {
      // The previous version becomes the backup by a hard link: no copy, and atomic.
      const tmp = `${this.backupFile}.${process.pid}.tmp`;
      rmSync(tmp, { force: true });
      linkSync(this.file, tmp);
      renameSync(tmp, this.backupFile);
    }
    await writeFileAtomic(this.file, text, { fsync: true });
    fsyncDir(dirname(this.file));
  }

  /**
   * proper-lockfile notices a removed lock only at its next refresh (every few
   * seconds); checking here makes a forced unlock stop this holder at its next
   * write at the latest.
   */
  private checkLockStillOurs(): void {
    if (this.lost) throw new StateLockLostError(this.location);
    if (!this.held) return;
    const info = existsSync(this.lockDir) ? readLockInfo(this.infoFile) : undefined;
    if (info?.id !== this.held.id) {
      this.loseLock(this.held.id);
      throw new StateLockLostError(this.location);
    }
  }

  private loseLock(id: string): void {
    if (this.held?.id !== id) return;
    // Not release(): it would remove a lock dir that may be a new holder's by now.
    this.held = undefined;
    this.release = undefined;
    this.lost = id;
  }

  async lock(operation: string, opts: LockOptions = {}): Promise<LockInfo> {
    return lockWithin(this.location, () => this.tryLock(operation), {
      timeoutMs: opts.timeoutMs ?? this.lockTimeoutMs,
      onWait: opts.onWait ?? this.onLockWait,
    });
  }

  private async tryLock(operation: string): Promise<LockInfo> {
    this.checkNotMoved();
    mkdirSync(dirname(this.file), { recursive: true });
    // Known before the lock exists, so a late compromise report of an earlier lock cannot mark this one lost.
    const id = randomUUID();
    try {
      this.release = await lockfile.lock(this.file, {
        realpath: false,
        retries: 0,
        stale: this.staleMs,
        update: Math.max(1000, Math.floor(this.staleMs / 4)),
        // Someone force-unlocked us: the next write is refused rather than fight over the state.
        onCompromised: () => this.loseLock(id),
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOCKED') throw new StateLockedError(this.location, await this.lockInfo());
      throw new HvkitError(`cannot lock state ${this.file}: ${(e as Error).message}`);
    }
    this.held = { id, who: holderName(), operation, created: new Date().toISOString(), pid: process.pid };
    this.lastWritten = undefined;
    this.lost = undefined;
    await writeFileAtomic(this.infoFile, JSON.stringify(this.held) + '\n');
    return this.held;
  }

  async unlock(id: string): Promise<void> {
    if (this.lost === id) return;
    const info = await this.lockInfo();
    if (!info && !existsSync(this.lockDir)) throw new NotLockedError(this.location);
    if (info && info.id !== id) throw new LockIdMismatchError(this.location, id, info);
    rmSync(this.infoFile, { force: true });
    if (this.held?.id === id && this.release) {
      const release = this.release;
      this.release = undefined;
      this.held = undefined;
      await release();
      return;
    }
    rmSync(this.lockDir, { recursive: true, force: true });
  }

  async lockInfo(): Promise<LockInfo | undefined> {
    if (!existsSync(this.lockDir)) return undefined;
    return readLockInfo(this.infoFile);
  }
}

function readLockInfo(file: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

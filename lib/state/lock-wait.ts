import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { StateLockedError } from './errors';
import type { HolderLiveness, LockInfo, LockOptions, StateStore } from './types';

/** Sleeps; tests may pass their own to run the backoff without waiting. */
export type Sleep = (ms: number) => Promise<void>;

const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `attempt` until it gets the lock or `timeoutMs` has passed, backing
 * off from 50 ms to 2 s between attempts (Terraform's -lock-timeout). Only a
 * StateLockedError is retried; the last one is rethrown with how long it waited.
 */
export async function lockWithin(location: string, attempt: () => Promise<LockInfo>, opts: LockOptions = {}, sleep: Sleep = realSleep, now: () => number = Date.now): Promise<LockInfo> {
  const timeoutMs = Math.max(0, opts.timeoutMs ?? 0);
  const deadline = now() + timeoutMs;
  let delay = 50;
  let told = false;
  for (;;) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof StateLockedError)) throw e;
      const left = deadline - now();
      if (left <= 0) throw timeoutMs > 0 ? new StateLockedError(location, e.holder, timeoutMs) : e;
      if (!told) {
        told = true;
        opts.onWait?.(e.holder);
      }
      await sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, 2000);
    }
  }
}

/** `user@hostname` of this process, as lock holders are named. */
export function holderName(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `uid ${process.getuid?.()}@${hostname()}`;
  }
}

/**
 * Whether a lock's holder still runs: 'alive' or 'dead' when it ran on this
 * machine (signal 0 to its pid), 'unknown' when it ran elsewhere.
 */
export function holderLiveness(info: LockInfo): Exclude<HolderLiveness, 'session-open'> {
  const at = info.who.lastIndexOf('@');
  return processLiveness(at < 0 ? undefined : info.who.slice(at + 1), info.pid);
}

/**
 * Whether process `pid` of machine `host` still runs: 'alive' or 'dead' on
 * this machine (signal 0), 'unknown' elsewhere. With `pidStart` (see
 * processStart), a process now under that pid that started at another time is
 * another process, the pid reused: 'dead'.
 */
export function processLiveness(host: string | undefined, pid: number, pidStart?: string): Exclude<HolderLiveness, 'session-open'> {
  if (host !== hostname()) return 'unknown';
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: the pid exists but belongs to another user, so it is alive.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return 'dead';
  }
  if (pidStart === undefined) return 'alive';
  const now = processStart(pid);
  return now === undefined || now === pidStart ? 'alive' : 'dead';
}

/**
 * When process `pid` started, as the kernel counts it (Linux /proc/PID/stat
 * field 22, clock ticks since boot): the same pid with another start time is
 * another process. Undefined where there is no /proc.
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the holder of `info`, `store`'s current lock, still runs: as the store knows it, or by its pid. */
export async function storeHolderLiveness(store: StateStore, info: LockInfo): Promise<HolderLiveness> {
  return store.holderLiveness ? store.holderLiveness(info) : holderLiveness(info);
}

/** A duration as people write it: `500ms`, `30s`, `2m`, `1h`, `1m30s`, or `0`. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < t.length) {
    re.lastIndex = pos;
    const m = re.exec(t);
    if (!m) return undefined;
    total += Number(m[1]) * unit[m[2]];
    pos = re.lastIndex;
  }
  return pos > 0 ? Math.round(total) : undefined;
}

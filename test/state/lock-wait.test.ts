import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { StateLockedError } from '../../lib/state/errors';
import { holderLiveness, holderName, lockWithin, parseDuration } from '../../lib/state/lock-wait';
import type { LockInfo } from '../../lib/state/types';

const holder: LockInfo = { id: 'abc', who: holderName(), operation: 'apply', created: '2026-01-01T00:00:00.000Z', pid: process.pid };

describe('parseDuration', () => {
  it.each([['500ms', 500], ['30s', 30_000], ['2m', 120_000], ['1h', 3_600_000], ['1m30s', 90_000], ['0', 0], ['0s', 0], ['1.5s', 1500]])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['', 'soon', '30', '2 m', '-1s', '5d'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('lockWithin (-lock-timeout)', () => {
  /** A clock that only moves when the waiter sleeps: the backoff runs without real time passing. */
  function fakeTime() {
    let t = 0;
    const sleeps: number[] = [];
    return { now: () => t, sleep: async (ms: number) => { sleeps.push(ms); t += ms; }, sleeps };
  }

  it('backs off from 50 ms to 2 s, stops at the deadline and says how long it waited', async () => {
    const time = fakeTime();
    const err = await lockWithin('memory', async () => { throw new StateLockedError('memory', holder); }, { timeoutMs: 5000 }, time.sleep, time.now).catch((e) => e);
    expect(time.sleeps).toEqual([50, 100, 200, 400, 800, 1600, 1850]);
    expect(err).toBeInstanceOf(StateLockedError);
    expect(err.message).toContain('(gave up after waiting 5s)');
  });

  it('returns the lock once the holder lets go', async () => {
    const time = fakeTime();
    let tries = 0;
    const got = await lockWithin('memory', async () => {
      if (++tries < 3) throw new StateLockedError('memory', holder);
      return holder;
    }, { timeoutMs: 60_000 }, time.sleep, time.now);
    expect(got).toBe(holder);
    expect(time.sleeps).toEqual([50, 100]);
  });

  it('does not retry other errors', async () => {
    const time = fakeTime();
    await expect(lockWithin('memory', async () => { throw new Error('disk gone'); }, { timeoutMs: 60_000 }, time.sleep, time.now)).rejects.toThrow('disk gone');
    expect(time.sleeps).toEqual([]);
  });
});

describe('holderLiveness', () => {
  it('sees this process as alive', () => {
    expect(holderLiveness(holder)).toBe('alive');
  });
  it('sees a process that exited as dead', () => {
    const pid = spawnSync(process.execPath, ['-e', '0']).pid!;
    expect(holderLiveness({ ...holder, pid })).toBe('dead');
  });
  it('cannot tell for a holder on another machine', () => {
    expect(holderLiveness({ ...holder, who: `ops@not-${hostname()}` })).toBe('unknown');
  });
});

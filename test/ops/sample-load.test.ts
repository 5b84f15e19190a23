import { describe, expect, it } from 'vitest';
import type { CallResult, ProviderRunner } from '../../lib/apply/provider';
import type { HostSpec } from '../../lib/manifest/types';
import { readRound, sampleLoad, watchLoad } from '../../lib/ops/sample-load';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const host = (name: string, provider: HostSpec['provider'] = 'local') => ({ name, provider }) as HostSpec;

/**
 * A provider runner whose `stats` answers from a script per host: each call to a host
 * is its next read, 5 s after the previous, its guest `g-<host>` having used `cpu` more
 * CPU seconds per second. Hosts named `down-*` fail; the xen provider has no stats verb.
 */
function fakeRunner(cpu = 2) {
  const reads = new Map<string, number>();
  const calls: string[] = [];
  const runner = {
    hasVerb: (provider: string) => provider !== 'xen',
    scriptPath: (provider: string, verb: string) => `providers/${provider}/${verb}`,
    call: async (_provider: string, verb: string, input: { host: HostSpec }): Promise<CallResult> => {
      const name = input.host.name;
      calls.push(`${verb} ${name}`);
      const base = { exitCode: 0, signal: null, timedOut: false, stderrTail: '', ms: 1 };
      if (name.startsWith('down-')) return { ...base, ok: false, exitCode: 255, result: undefined, stderrTail: 'ssh: connect to host down-1 port 22: No route to host\n' };
      const n = reads.get(name) ?? 0;
      reads.set(name, n + 1);
      const result = { at: new Date(T0 + n * 5000).toISOString(), guests: [{ name: `g-${name}`, cpuSeconds: 100 + n * 5 * cpu, memoryUsedMiB: 512 }] };
      return { ...base, ok: true, result };
    },
  };
  return { runner: runner as unknown as ProviderRunner, calls };
}

describe('sampleLoad', () => {
  it('reads each host twice, the interval apart, and names the hosts it could not measure', async () => {
    const { runner, calls } = fakeRunner();
    const slept: number[] = [];
    const load = await sampleLoad({ runner, fleet: 'tokyo', hosts: [host('host-b'), host('down-1'), host('host-a'), host('xen-a', 'xen')], intervalMs: 5000, sleep: async (ms) => void slept.push(ms) });
    expect(slept).toEqual([5000]);
    expect(load.hosts.map((h) => [h.host, h.seconds, h.load.cpu])).toEqual([['host-a', 5, 2], ['host-b', 5, 2]]);
    expect(load.total).toEqual({ cpu: 4, iops: 0, netMbps: 0, diskMBps: 0, memoryUsedMiB: 1024 });
    expect(load.failed).toEqual([
      { host: 'down-1', error: 'stats exited with 255: ssh: connect to host down-1 port 22: No route to host' },
      { host: 'xen-a', error: 'the xen provider has no stats verb (providers/xen/stats)' },
    ]);
    // A host that failed the first read is not asked again.
    expect(calls.filter((c) => c === 'stats down-1')).toHaveLength(1);
  });

  it('does not wait when no host answered', async () => {
    const { runner } = fakeRunner();
    const slept: number[] = [];
    const load = await sampleLoad({ runner, fleet: 'tokyo', hosts: [host('down-1')], intervalMs: 5000, sleep: async (ms) => void slept.push(ms) });
    expect(slept).toEqual([]);
    expect(load.hosts).toEqual([]);
    expect(load.failed.map((f) => f.host)).toEqual(['down-1']);
  });
});

describe('watchLoad', () => {
  it('measures each interval from the read that ended the previous one, until stopped', async () => {
    const { runner, calls } = fakeRunner(1.5);
    const stop = new AbortController();
    const seen: { at: string; cpu: number }[] = [];
    await watchLoad({ runner, fleet: 'tokyo', hosts: [host('host-a')], intervalMs: 3000, signal: stop.signal, sleep: async () => {} }, (load) => {
      seen.push({ at: load.at, cpu: load.total.cpu });
      if (seen.length === 3) stop.abort();
    });
    expect(seen).toEqual([
      { at: '2026-11-27T10:00:05.000Z', cpu: 1.5 },
      { at: '2026-11-27T10:00:10.000Z', cpu: 1.5 },
      { at: '2026-11-27T10:00:15.000Z', cpu: 1.5 },
    ]);
    expect(calls).toHaveLength(4);
  });

  it('stops at once when aborted while it waits', async () => {
    const { runner, calls } = fakeRunner();
    const stop = new AbortController();
    const watching = watchLoad({ runner, fleet: 'tokyo', hosts: [host('host-a')], intervalMs: 3_600_000, signal: stop.signal }, () => {
      throw new Error('no interval should end');
    });
    while (calls.length === 0) await new Promise((r) => setImmediate(r));
    stop.abort();
    await watching;
    expect(calls).toEqual(['stats host-a']);
  });
});

describe('readRound', () => {
  /** A runner counting how many `stats` calls are open at once; each answers after a few turns of the event loop. */
  function countingRunner() {
    let open = 0;
    const seen = { most: 0, calls: 0 };
    const runner = {
      hasVerb: () => true,
      scriptPath: () => 'providers/local/stats',
      call: async (): Promise<CallResult> => {
        open++;
        seen.calls++;
        seen.most = Math.max(seen.most, open);
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        open--;
        return { ok: true, exitCode: 0, signal: null, timedOut: false, stderrTail: '', ms: 1, result: { at: new Date(T0).toISOString(), guests: [] } };
      },
    };
    return { runner: runner as unknown as ProviderRunner, seen };
  }
  const hosts = (n: number) => Array.from({ length: n }, (_, i) => host(`host-${String(i).padStart(2, '0')}`));

  it('reads 16 hosts all at once, so that each host’s two reads are one interval apart, not one per batch of hosts', async () => {
    const { runner, seen } = countingRunner();
    const round = await readRound({ runner, fleet: 'tokyo', hosts: hosts(16) });
    expect(seen.most).toBe(16);
    expect(round.counters.size).toBe(16);
  });

  it('asks at most 16 hosts at once in a bigger fleet, and reads every one', async () => {
    const { runner, seen } = countingRunner();
    const round = await readRound({ runner, fleet: 'tokyo', hosts: hosts(40) });
    expect(seen.most).toBe(16);
    expect(seen.calls).toBe(40);
    expect([...round.counters.keys()]).toEqual(hosts(40).map((h) => h.name));
  });
});

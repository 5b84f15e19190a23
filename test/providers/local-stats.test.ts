import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseStats } from '../../lib/load/counters';
import { hostLoadBetween } from '../../lib/load/rates';
import { ROOT } from '../helpers/project';

/** The local simulator's stats verb and set-load, run as hvkit runs them, under an injected clock. */
describe('local provider: stats and set-load', () => {
  let dir: string;
  const host = { name: 'host-a', address: '.hvkit/local/tokyo/host-a', memory: { totalMiB: 4096 }, cpu: { threads: 8 }, reserve: { memoryMiB: 512 } };
  const T0 = Date.parse('2026-11-27T10:00:00.000Z');
  const domain = (name: string, running = true) => ({ name, uuid: `u-${name}`, memoryMiB: 1024, maxMemoryMiB: 2048, vcpus: 4, maxVcpus: 4, running, config: '' });

  const stats = (atMs: number) => {
    const r = spawnSync(join(ROOT, 'providers/local/stats'), ['--host', 'host-a'], { cwd: dir, input: JSON.stringify({ fleet: 'tokyo', host }), encoding: 'utf8', env: { ...process.env, HVKIT_LOCAL_NOW: new Date(atMs).toISOString() } });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };
  const setLoad = (guest: string, spec: string, atMs: number) =>
    spawnSync(join(ROOT, 'providers/local/set-load'), ['host-a', guest, spec], { cwd: dir, encoding: 'utf8', env: { ...process.env, HVKIT_LOCAL_NOW: String(atMs) } });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hvkit-local-stats-'));
    const hostDir = join(dir, host.address);
    mkdirSync(hostDir, { recursive: true });
    writeFileSync(join(hostDir, 'host.json'), JSON.stringify({ name: 'host-a', fleet: 'tokyo', memoryMiB: 4096, cpus: 8, threads: 8 }));
    for (const d of [domain('web-01'), domain('db-01'), domain('off-01', false)]) writeFileSync(join(hostDir, `${d.name}.json`), JSON.stringify(d));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('advances a guest\'s counters at the rates set-load gave it, and reports running guests only', () => {
    const set = setLoad('web-01', 'cpu=3.5,iops=200,netMbps=10', T0);
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).toBe('web-01 on host-a: cpu 3.5 cores, 200 IOPS, 10 Mbit/s\n');
    const at10 = stats(T0 + 10_000);
    expect(at10.at).toBe('2026-11-27T10:00:10.000Z');
    expect(at10.guests.map((g: { name: string }) => g.name)).toEqual(['db-01', 'web-01']);
    expect(at10.guests[1]).toEqual({
      name: 'web-01', cpuSeconds: 35, diskReadOps: 1000, diskWriteOps: 1000, diskReadBytes: 4096000, diskWriteBytes: 4096000, netRxBytes: 6250000, netTxBytes: 6250000, memoryUsedMiB: 1024,
    });
    // A guest with no profile is idle.
    expect(at10.guests[0]).toMatchObject({ name: 'db-01', cpuSeconds: 0, diskReadOps: 0, memoryUsedMiB: 1024 });
    expect(at10.totals).toMatchObject({ cpuSeconds: 35, netRxBytes: 6250000, memoryUsedMiB: 2048 });
    // The same clock gives the same counters.
    expect(stats(T0 + 10_000)).toEqual(at10);
  });

  it('yields the profile back as rates between two reads, and carries counters on through a new profile', () => {
    setLoad('web-01', 'cpu=3.5,iops=200,netMbps=10', T0);
    const a = parseStats('host-a', stats(T0 + 60_000));
    const b = parseStats('host-a', stats(T0 + 65_000));
    expect(hostLoadBetween(a, b).guests['web-01']).toEqual({ cpu: 3.5, iops: 200, netMbps: 10, diskMBps: 0.819, memoryUsedMiB: 1024 });
    expect(setLoad('web-01', 'cpu=0.5,memMiB=700', T0 + 65_000).status).toBe(0);
    const c = parseStats('host-a', stats(T0 + 75_000));
    expect(c.guests['web-01'].cpuSeconds).toBe(3.5 * 65 + 0.5 * 10);
    expect(hostLoadBetween(b, c).guests['web-01']).toEqual({ cpu: 0.5, iops: 0, netMbps: 0, diskMBps: 0, memoryUsedMiB: 700 });
  });

  it('runs its clock at real speed but moved by HVKIT_LOCAL_CLOCK_OFFSET_MS, so a test picks the sample slot without fixing the time', () => {
    const hourAgo = -3_600_000;
    const read = (offset: string, now = '') => spawnSync(join(ROOT, 'providers/local/stats'), ['--host', 'host-a'], { cwd: dir, input: JSON.stringify({ fleet: 'tokyo', host }), encoding: 'utf8', env: { ...process.env, HVKIT_LOCAL_NOW: now, HVKIT_LOCAL_CLOCK_OFFSET_MS: offset } });
    const before = Date.now();
    const r = read(String(hourAgo));
    const after = Date.now();
    expect(r.status, r.stderr).toBe(0);
    const at = Date.parse(JSON.parse(r.stdout.trim().split('\n').pop()!).at);
    expect(at).toBeGreaterThanOrEqual(before + hourAgo);
    expect(at).toBeLessThanOrEqual(after + hourAgo);
    // HVKIT_LOCAL_NOW, when set, is the time: the offset does not move it.
    expect(JSON.parse(read(String(hourAgo), String(T0)).stdout.trim().split('\n').pop()!).at).toBe('2026-11-27T10:00:00.000Z');
    const bad = read('an hour');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("HVKIT_LOCAL_CLOCK_OFFSET_MS 'an hour' is not a whole number of milliseconds (e.g. -300000)");
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('moves a profile with its guest on migrate, the counters starting again on the target', () => {
    setLoad('web-01', 'cpu=2,netMbps=8', T0);
    const hostB = { ...host, name: 'host-b', address: '.hvkit/local/tokyo/host-b' };
    const guest = { ...domain('web-01'), disks: [] };
    const at = (ms: number) => ({ ...process.env, HVKIT_LOCAL_NOW: String(ms) });
    const moved = spawnSync(join(ROOT, 'providers/local/migrate'), ['--host', 'host-a', '--guest', 'web-01', '--target', 'host-b'], { cwd: dir, input: JSON.stringify({ fleet: 'tokyo', host, target: hostB, guest }), encoding: 'utf8', env: at(T0 + 100_000) });
    expect(moved.status, moved.stderr).toBe(0);
    const read = (ms: number) => {
      const r = spawnSync(join(ROOT, 'providers/local/stats'), ['--host', 'host-b'], { cwd: dir, input: JSON.stringify({ fleet: 'tokyo', host: hostB }), encoding: 'utf8', env: at(ms) });
      return parseStats('host-b', JSON.parse(r.stdout.trim().split('\n').pop()!));
    };
    const first = read(T0 + 100_000);
    expect(first.guests['web-01']).toMatchObject({ cpuSeconds: 0, netRxBytes: 0 });
    expect(hostLoadBetween(first, read(T0 + 110_000)).guests['web-01']).toMatchObject({ cpu: 2, netMbps: 8 });
    expect(stats(T0 + 110_000).guests.map((g: { name: string }) => g.name)).toEqual(['db-01']);
  });

  it('refuses a profile it cannot read, or a guest that is not there, in one line', () => {
    const bad = setLoad('web-01', 'cpu=lots', T0);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("set-load: 'cpu=lots' is not KEY=NUMBER (keys: cpu, iops, netMbps, memMiB)\n");
    expect(setLoad('web-01', 'cpu=-1', T0).stderr).toBe("set-load: 'cpu=-1': cpu must not be negative (a rate: 0 or more)\n");
    expect(setLoad('web-01', 'gpu=1', T0).stderr).toBe("set-load: 'gpu' is not a load key: use cpu, iops, netMbps, memMiB\n");
    const missing = setLoad('web-09', 'cpu=1', T0);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('no domain web-09 on host-a in .hvkit/local; apply the fleet first (host-a runs db-01, off-01, web-01)\n');
    const noHost = spawnSync(join(ROOT, 'providers/local/set-load'), ['host-z', 'web-01', 'cpu=1'], { cwd: dir, encoding: 'utf8' });
    expect(noHost.stderr).toBe('no domain web-01 on host-z in .hvkit/local; apply the fleet first (it has no host host-z; hosts: host-a)\n');
    expect(JSON.parse(readFileSync(join(dir, host.address, 'web-01.json'), 'utf8')).load).toBeUndefined();
    expect(setLoad('web-01', 'cpu=1,cpu=2', T0).stderr).toBe("set-load: 'cpu' is given twice: give each key once\n");
  });

  it('says in one line, without a stack trace, that a damaged domain file is not a simulated domain', () => {
    const file = join(dir, host.address, 'db-01.json');
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, '{bad');
    try {
      const r = setLoad('db-01', 'cpu=1', T0);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^\S+db-01\.json is not a simulated domain \(.*\): apply the fleet again to rewrite it\n$/);
    } finally {
      writeFileSync(file, before);
    }
  });
});

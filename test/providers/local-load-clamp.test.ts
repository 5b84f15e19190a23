import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseStats } from '../../lib/load/counters';
import { hostLoadBetween } from '../../lib/load/rates';
import { LOCAL_HOST, ROOT, stackSource, tempProject, type TempProject } from '../helpers/project';

/** The simulator's counters advance at what a guest can really use; the profile is only its demand. */
describe('local provider: load within a guest\'s limits and its host\'s threads', () => {
  let dir: string;
  const host = { name: 'host-a', address: '.hvkit/local/tokyo/host-a', memory: { totalMiB: 4096 }, cpu: { threads: 8 }, reserve: { memoryMiB: 512 } };
  const T0 = Date.parse('2026-11-27T10:00:00.000Z');
  const config = (disks: number) => JSON.stringify({ disks: Array.from({ length: disks }, () => ({ sizeMiB: 1024 })) });
  const domain = (name: string, more: Record<string, unknown> = {}) => ({ name, uuid: `u-${name}`, memoryMiB: 1024, maxMemoryMiB: 1024, vcpus: 2, maxVcpus: 2, running: true, config: config(1), ...more });
  const env = (ms: number) => ({ ...process.env, HVKIT_LOCAL_NOW: String(ms) });

  const rates = (guest: string, from: number, to: number) => {
    const read = (ms: number) => {
      const r = spawnSync(join(ROOT, 'providers/local/stats'), ['--host', 'host-a'], { cwd: dir, input: JSON.stringify({ fleet: 'tokyo', host }), encoding: 'utf8', env: env(ms) });
      expect(r.status, r.stderr).toBe(0);
      return parseStats('host-a', JSON.parse(r.stdout.trim().split('\n').pop()!));
    };
    return hostLoadBetween(read(from), read(to)).guests[guest];
  };
  const setLoad = (guest: string, spec: string, ms = T0) => {
    const r = spawnSync(join(ROOT, 'providers/local/set-load'), ['host-a', guest, spec], { cwd: dir, encoding: 'utf8', env: env(ms) });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  };
  const put = (...ds: object[]) => {
    for (const d of ds) writeFileSync(join(dir, host.address, `${(d as { name: string }).name}.json`), JSON.stringify(d));
  };
  const provider = (verb: string, input: object, ms: number) => {
    const r = spawnSync(join(ROOT, 'providers/local', verb), [], { cwd: dir, input: JSON.stringify({ fleet: 'tokyo', host, ...input }), encoding: 'utf8', env: env(ms) });
    expect(r.status, r.stderr).toBe(0);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hvkit-local-clamp-'));
    mkdirSync(join(dir, host.address), { recursive: true });
    writeFileSync(join(dir, host.address, 'host.json'), JSON.stringify({ name: 'host-a', fleet: 'tokyo', memoryMiB: 4096, cpus: 8, threads: 8 }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds a guest capped at 50% to half a core whatever it asks for', () => {
    put(domain('web-01', { cpuCap: 50 }));
    expect(setLoad('web-01', 'cpu=3.5')).toBe('web-01 on host-a: cpu 3.5 cores, 0 IOPS, 0 Mbit/s\nclamped: cpu 3.5 → 0.5 cores (its cap 50%)\n');
    expect(rates('web-01', T0 + 10_000, T0 + 20_000).cpu).toBe(0.5);
  });

  it('accepts 3.5 cores of demand on a 2-vCPU guest, says it is clamped to its 2 vCPUs, and counts 2', () => {
    put(domain('web-01'));
    expect(setLoad('web-01', 'cpu=3.5,iops=200')).toBe('web-01 on host-a: cpu 3.5 cores, 200 IOPS, 0 Mbit/s\nclamped: cpu 3.5 → 2 cores (its 2 vCPUs)\n');
    expect(rates('web-01', T0 + 10_000, T0 + 20_000)).toMatchObject({ cpu: 2, iops: 200 });
  });

  it('shares the host\'s 8 threads among its guests in proportion to what they can use', () => {
    put(domain('web-01', { vcpus: 16, maxVcpus: 16 }), domain('db-01', { vcpus: 4, maxVcpus: 4 }));
    setLoad('db-01', 'cpu=4');
    expect(setLoad('web-01', 'cpu=100')).toBe("web-01 on host-a: cpu 100 cores, 0 IOPS, 0 Mbit/s\nclamped: cpu 100 → 16 cores (its 16 vCPUs); cpu → 6.4 cores (host-a's 8 threads shared by guests wanting 20 cores)\n");
    expect(rates('web-01', T0 + 10_000, T0 + 20_000).cpu).toBe(6.4);
    expect(rates('db-01', T0 + 10_000, T0 + 20_000).cpu).toBe(1.6);
  });

  it('gives the threads back when a guest stops, its counters carrying on', () => {
    put(domain('web-01', { vcpus: 8, maxVcpus: 8 }), domain('db-01', { vcpus: 8, maxVcpus: 8 }));
    setLoad('web-01', 'cpu=8');
    setLoad('db-01', 'cpu=8');
    expect(rates('web-01', T0 + 10_000, T0 + 20_000).cpu).toBe(4);
    provider('stop', { guest: { name: 'db-01' } }, T0 + 20_000);
    expect(rates('web-01', T0 + 30_000, T0 + 40_000).cpu).toBe(8);
  });

  it('uses no more memory than the guest has, and no more IOPS than its disk\'s limit', () => {
    put(domain('web-01', { iotune: [{ disk: 0, iops: 100, mbps: null }] }));
    expect(setLoad('web-01', 'cpu=1,iops=500,memMiB=99999')).toBe(
      'web-01 on host-a: cpu 1 cores, 500 IOPS, 0 Mbit/s, 99999 MiB used\nclamped: 500 → 100 IOPS (its disk\'s I/O limit); memory 99999 → 1024 MiB (its 1024 MiB of memory)\n',
    );
    expect(rates('web-01', T0 + 10_000, T0 + 20_000)).toMatchObject({ cpu: 1, iops: 100, memoryUsedMiB: 1024 });
  });

  it('does not limit IOPS while one of its disks has no limit', () => {
    put(domain('web-01', { config: config(2), iotune: [{ disk: 0, iops: 100, mbps: null }] }));
    expect(setLoad('web-01', 'iops=500')).toBe('web-01 on host-a: cpu 0 cores, 500 IOPS, 0 Mbit/s\n');
    expect(rates('web-01', T0 + 10_000, T0 + 20_000).iops).toBe(500);
  });
});

// host-a: 4 cores, so its CPU soft limit is 4 × (1 − 0.03) × 0.8 = 3.1 cores.
const STACK = (cap: string) => stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 4, memory: '1GiB', load: { cpu: 1.2 }${cap} });
`);

/** Load adjustment rehearsed on the simulator: a misbehaving guest is capped and the host's overload goes away. */
describe('capping a misbehaving guest on the local simulator', () => {
  let p: TempProject;
  beforeEach(async () => {
    p = tempProject();
    p.writeStack(STACK(''));
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
  });
  afterEach(() => p.cleanup());

  const SLOT_MS = 5 * 60_000;
  /**
   * Both refreshes must land in one of hvkit's 5-minute sample slots, so the later sample replaces the
   * earlier. The simulator's clock runs at real speed from 1 s into the slot before the current one: its
   * samples are in the past (plans read samples up to hvkit's own clock), and the test has 299 s before
   * its clock leaves that slot, more than the test's timeout allows it to run.
   */
  const slotClock = () => {
    const now = Date.now();
    return { HVKIT_LOCAL_CLOCK_OFFSET_MS: String(Math.floor(now / SLOT_MS) * SLOT_MS - SLOT_MS + 1000 - now) };
  };
  const TIMEOUT_MS = 240_000;

  it('set-load high → refresh → overload warning → cpu.cap → apply → refresh → the warning is gone', async () => {
    const env = slotClock();
    const set = spawnSync(join(p.dir, 'providers/local/set-load'), ['host-a', 'web-01', 'cpu=3.5'], { cwd: p.dir, encoding: 'utf8', env: { ...process.env, ...env } });
    expect(set.stdout).toBe('web-01 on host-a: cpu 3.5 cores, 0 IOPS, 0 Mbit/s\n');
    expect((await p.run(['refresh', '--interval', '1'], { env })).code).toBe(0);
    const hot = await p.run(['plan']);
    expect(hot.out).toMatch(/host-a is overloaded: measured CPU 3\.5 cores \(p95 of 1 sample\) crosses its soft limit of 3\.1 cores; most from web-01/);

    p.writeStack(STACK(', cpu: { cap: 100 }'));
    const applied = await p.run(['apply', '--auto-approve'], { env });
    expect(applied.code, applied.err + applied.out).toBe(0);
    expect(applied.out).toContain('cpu cap none → 100% while running');
    expect((await p.run(['refresh', '--interval', '1'], { env })).code).toBe(0);

    const calm = await p.run(['plan', '--json']);
    const json = JSON.parse(calm.out).hvkit;
    expect(json.diagnostics.filter((d: { code: string }) => d.code === 'overload')).toEqual([]);
    expect(json.measured.guests.find((g: { guest: string }) => g.guest === 'web-01').measured.cpu).toBeCloseTo(1, 1);
  }, TIMEOUT_MS);
});

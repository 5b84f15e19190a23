import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseStats, type HostCounters } from '../../lib/load/counters';
import { domainType, startLibvirtd, URI, virsh } from '../helpers/libvirt';
import { ROOT, stackSource, tempProject, waitFor, type TempProject } from '../helpers/project';
import { describeWithTool } from '../helpers/tools';

const reason = startLibvirtd();
const prefix = `st${process.pid}`;
const running = `${prefix}-web-01`;
const stopped = `${prefix}-web-02`;
const host = `${prefix}-h1`;

const stack = stackSource(`
const h = new Host(fleet, '${host}', { provider: 'libvirt', address: '${URI}', tags: { 'libvirt.domain-type': '${domainType}' }, cpu: { cores: 2 }, memory: { slots: 2, maxDimm: '8GiB', dimms: ['4GiB'] }, disks: [{ name: 'sda', size: '10GiB' }] });
new Guest(h, '${running}', { role: 'web', vcpus: 1, memory: '64MiB', nics: [] });
new Guest(h, '${stopped}', { role: 'web', vcpus: 1, memory: '64MiB', nics: [], power: 'stopped' });
`);

function cleanup(): void {
  for (const g of [running, stopped]) {
    virsh('destroy', g);
    virsh('undefine', g);
  }
}

/** The provider's stats verb, run as hvkit runs it, for the test host. */
function stats(): HostCounters {
  const r = spawnSync(join(ROOT, 'providers/libvirt/stats'), ['--host', host], { input: JSON.stringify({ fleet: 'tokyo', host: { name: host, address: URI } }), encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return parseStats(host, JSON.parse(r.stdout.trim().split('\n').pop()!));
}

/** 64 MiB guests with no disk or OS: the firmware runs, and uses CPU time, all the same. */
describeWithTool('libvirt provider: stats from virsh domstats against a real libvirtd', 'libvirtd', !reason, reason ?? '', () => {
  let p: TempProject;
  beforeAll(async () => {
    cleanup();
    p = tempProject();
    p.writeStack(stack);
    const r = await p.run(['apply', '--auto-approve'], { env: { HVKIT_LIBVIRT_SHUTDOWN_GRACE_MS: '1000' } });
    expect(r.code, r.err + r.out).toBe(0);
  }, 120_000);
  afterAll(() => {
    cleanup();
    p?.cleanup();
  });

  it('reports the running guest (not the shut-off one) with CPU time that rises while it runs, and its memory', async () => {
    const first = stats();
    const ours = Object.keys(first.guests).filter((g) => g.startsWith(prefix));
    expect(ours).toEqual([running]);
    const g = first.guests[running];
    expect(g.cpuSeconds).toBeGreaterThan(0);
    // QEMU holds at most the guest's memory plus its own overhead.
    expect(g.memoryUsedMiB).toBeGreaterThan(0);
    expect(g.memoryUsedMiB).toBeLessThan(1024);
    let later = first;
    await waitFor(() => (later = stats()).guests[running].cpuSeconds > g.cpuSeconds, 30_000, `the CPU time of ${running} to rise`);
    expect(Date.parse(later.at)).toBeGreaterThan(Date.parse(first.at));
    expect(later.totals.cpuSeconds).toBeGreaterThanOrEqual(later.guests[running].cpuSeconds);
  });
});

import { afterEach, beforeEach, expect, it } from 'vitest';
import { domainType, startLibvirtd, URI, virsh } from '../helpers/libvirt';
import { readState, stackSource, tempProject, type TempProject } from '../helpers/project';
import { describeWithTool } from '../helpers/tools';

const reason = startLibvirtd();
const prefix = `cap${process.pid}`;
const guest = `${prefix}-web-01`;
const host = `${prefix}-h1`;
const STORAGE = '/var/lib/hvkit/images';
// A guest without an OS ignores the ACPI shutdown: the provider forces it off after this grace.
const ENV = { HVKIT_LIBVIRT_SHUTDOWN_GRACE_MS: '500' };

function stack(cpu: string, disk = '', power = 'running'): string {
  return stackSource(`
const h1 = new Host(fleet, '${host}', { provider: 'libvirt', address: '${URI}', storageDir: '${STORAGE}', tags: { 'libvirt.domain-type': '${domainType}' }, cpu: { cores: 2 }, memory: { slots: 2, maxDimm: '8GiB', dimms: ['4GiB'] }, disks: [{ name: 'sda', size: '10GiB' }] });
new Guest(h1, '${guest}', { role: 'web', vcpus: 2, memory: '64MiB', nics: [], power: '${power}', ${cpu} disks: [{ size: '64MiB', on: 'sda'${disk} }] });
`);
}

function cleanup(): void {
  virsh('destroy', guest);
  virsh('undefine', guest, '--remove-all-storage');
  virsh('vol-delete', '--pool', 'hvkit', `${guest}-sda-0.qcow2`);
}

/** `name : value` lines of virsh's answer as an object. */
const fieldsOf = (out: string): Record<string, string> => Object.fromEntries([...out.matchAll(/^\s*(\w+)\s*:\s*(\S+)\s*$/gm)].map((m) => [m[1], m[2]]));

/** `virsh schedinfo` as name → value; `--config` reads what the next boot gets. */
function schedinfo(...flags: string[]): Record<string, string> {
  const r = virsh('schedinfo', guest, ...flags);
  expect(r.ok, r.err).toBe(true);
  return fieldsOf(r.out);
}

function iotune(...flags: string[]): Record<string, string> {
  const r = virsh('blkdeviotune', guest, 'vda', ...flags);
  expect(r.ok, r.err).toBe(true);
  return fieldsOf(r.out);
}

describeWithTool('load adjustment against a real libvirtd: cap, weight and disk limits set live', 'libvirtd', !reason, reason ?? '', () => {
  let p: TempProject;
  beforeEach(() => {
    cleanup();
    p = tempProject();
  });
  afterEach(() => {
    cleanup();
    p?.cleanup();
  });

  async function apply(src: string): Promise<string> {
    p.writeStack(src);
    const r = await p.run(['apply', '--auto-approve'], { env: ENV });
    expect(r.code, r.err + r.out).toBe(0);
    return r.out;
  }

  it('creates a guest with a cap, plans a new cap as a live update, applies it, and virsh schedinfo shows it on the running domain', async () => {
    await apply(stack('cpu: { cap: 50 },'));
    // 50% of one CPU for the whole 2-vCPU domain: a global quota of half the period, the vCPUs themselves unlimited.
    expect(schedinfo('--live')).toMatchObject({ global_period: '100000', global_quota: '50000', vcpu_quota: '-1', cpu_shares: '1024' });
    const id = virsh('domid', guest).out.trim();

    p.writeStack(stack('cpu: { cap: 120, weight: 512 },'));
    const plan = await p.run(['plan'], { env: ENV });
    expect(plan.out).toContain(`1. update ${guest} on ${host}: cpu cap 50% → 120%, cpu weight default → 512 while running`);
    expect(plan.out).not.toMatch(/restart/);
    await apply(stack('cpu: { cap: 120, weight: 512 },'));

    expect(virsh('domid', guest).out.trim()).toBe(id);
    expect(schedinfo('--live')).toMatchObject({ global_quota: '120000', cpu_shares: '2048' });
    expect(schedinfo('--config')).toMatchObject({ global_quota: '120000', cpu_shares: '2048' });
    expect(readState(p.dir).guests[guest].spec).toMatchObject({ cpuCap: 120, cpuWeight: 512 });
    expect((await p.run(['plan', '--detailed-exitcode'], { env: ENV })).code).toBe(0);

    // Taking the cap off lifts the quota now, not at the next boot.
    await apply(stack(''));
    expect(virsh('domid', guest).out.trim()).toBe(id);
    expect(schedinfo('--live')).toMatchObject({ global_quota: '-1', cpu_shares: '1024' });
  });

  it('sets and lifts a disk I/O limit live, as virsh blkdeviotune shows', async () => {
    await apply(stack(''));
    const id = virsh('domid', guest).out.trim();
    await apply(stack('', ', iops: 400, mbps: 30'));
    expect(virsh('domid', guest).out.trim()).toBe(id);
    expect(iotune('--live')).toMatchObject({ total_iops_sec: '400', total_bytes_sec: '30000000' });
    expect(iotune('--config')).toMatchObject({ total_iops_sec: '400', total_bytes_sec: '30000000' });
    await apply(stack(''));
    expect(iotune('--live')).toMatchObject({ total_iops_sec: '0', total_bytes_sec: '0' });
  });

  it('changes the cap of a stopped guest in its persistent config only', async () => {
    await apply(stack('cpu: { cap: 50 },', '', 'stopped'));
    expect(virsh('domstate', guest).out.trim()).toBe('shut off');
    await apply(stack('cpu: { cap: 80 },', '', 'stopped'));
    expect(virsh('domstate', guest).out.trim()).toBe('shut off');
    expect(schedinfo('--config')).toMatchObject({ global_quota: '80000' });
  });
});

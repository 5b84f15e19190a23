import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { domainType, startLibvirtd, URI, virsh } from '../helpers/libvirt';
import { readState, stackSource, tempProject, type TempProject } from '../helpers/project';
import { describeWithTool } from '../helpers/tools';

const reason = startLibvirtd();
const prefix = `x15b-cf${process.pid}`;
const guest = `${prefix}-web-01`;
const host = `${prefix}-h1`;
const volume = `${guest}-sda-0.qcow2`;
const STORAGE = '/var/lib/hvkit/images';
/** A bridge this test makes, so the fixed stack has one to plug into; interface names are at most 15 characters. */
const BRIDGE = `x15bbr${process.pid % 100_000}`;
const MISSING = `${BRIDGE}x`;

const stack = (bridge: string) => stackSource(`
const h1 = new Host(fleet, '${host}', { provider: 'libvirt', address: '${URI}', storageDir: '${STORAGE}', tags: { 'libvirt.domain-type': '${domainType}' }, cpu: { cores: 2 }, memory: { slots: 2, maxDimm: '8GiB', dimms: ['4GiB'] }, disks: [{ name: 'sda', size: '10GiB' }] });
new Guest(h1, '${guest}', { role: 'web', vcpus: 1, memory: '64MiB', nics: [{ bridge: '${bridge}' }], disks: [{ size: '64MiB', on: 'sda' }] });
`);

const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
const domains = () => virsh('list', '--all', '--name').out.split('\n').map((s) => s.trim()).filter(Boolean);
const volumes = () => {
  virsh('pool-refresh', 'hvkit');
  return virsh('vol-list', 'hvkit').out;
};

function cleanup(): void {
  virsh('destroy', guest);
  virsh('undefine', guest, '--remove-all-storage');
  virsh('vol-delete', '--pool', 'hvkit', volume);
}

/** A create that fails after `virsh define` (start refuses a NIC on a bridge that does not exist) leaves nothing behind. */
describeWithTool('libvirt create that fails against a real libvirtd', 'libvirtd', !reason, reason ?? '', () => {
  let p: TempProject;
  beforeAll(() => {
    ip('link', 'del', BRIDGE);
    const made = ip('link', 'add', BRIDGE, 'type', 'bridge');
    expect(made.status, made.stderr).toBe(0);
    expect(ip('link', 'set', BRIDGE, 'up').status).toBe(0);
  });
  afterAll(() => {
    ip('link', 'del', BRIDGE);
  });
  beforeEach(() => {
    cleanup();
    p = tempProject();
  });
  afterEach(() => {
    cleanup();
    p?.cleanup();
  });

  it('undefines the domain and deletes the volume it created when start fails, records nothing, and applies once the bridge is fixed', async () => {
    p.writeStack(stack(MISSING));
    const failed = await p.run(['apply', '--auto-approve']);
    expect(failed.code).not.toBe(0);
    expect(failed.err + failed.out).toContain('create: virsh start failed');
    expect(failed.err + failed.out).toContain(`'${MISSING}': No such device`);
    expect(domains()).not.toContain(guest);
    expect(volumes()).not.toContain(volume);
    expect(readState(p.dir)?.guests?.[guest]).toBeUndefined();

    p.writeStack(stack(BRIDGE));
    const fixed = await p.run(['apply', '--auto-approve']);
    expect(fixed.code, fixed.err + fixed.out).toBe(0);
    expect(virsh('domstate', guest).out.trim()).toBe('running');
    expect(volumes()).toContain(volume);
    expect(readState(p.dir).guests[guest]).toBeDefined();
  });

  it('keeps a volume that was there before the create', async () => {
    virsh('vol-create-as', 'hvkit', volume, '64M', '--format', 'qcow2');
    expect(volumes()).toContain(volume);
    p.writeStack(stack(MISSING));
    expect((await p.run(['apply', '--auto-approve'])).code).not.toBe(0);
    expect(domains()).not.toContain(guest);
    expect(volumes()).toContain(volume);
  });
});

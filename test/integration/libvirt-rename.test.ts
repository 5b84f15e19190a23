import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { domainType, startLibvirtd, URI, virsh } from '../helpers/libvirt';
import { readState, stackSource, tempProject, type TempProject } from '../helpers/project';
import { commandWorks, describeWithTool } from '../helpers/tools';

const daemon = startLibvirtd();
// qcow2 volumes need qemu-img in libvirtd; the test reads and writes them with qemu-io (both in qemu-utils).
const reason = daemon ?? (commandWorks('qemu-io', ['--version']) ? undefined : 'qemu-io is not installed (Debian: qemu-utils)');
const prefix = `rn${process.pid}`;
const OLD = `${prefix}-web-02`;
const NEW = `${prefix}-web-03`;
const STORAGE = '/var/lib/hvkit/images';
const volume = (guest: string) => `${STORAGE}/${guest}-sda-0.qcow2`;
// A guest without an OS ignores the ACPI shutdown: the provider forces it off after this grace.
const ENV = { HVKIT_LIBVIRT_SHUTDOWN_GRACE_MS: '500' };

function stack(name: string, extra = ''): string {
  const host = `new Host(fleet, '${prefix}-h1', { provider: 'libvirt', address: '${URI}', storageDir: '${STORAGE}', tags: { 'libvirt.domain-type': '${domainType}' }, cpu: { cores: 2 }, memory: { slots: 2, maxDimm: '8GiB', dimms: ['4GiB'] }, disks: [{ name: 'sda', size: '10GiB' }] })`;
  return stackSource(`
const h1 = ${host};
new Guest(h1, '${name}', { role: 'web', vcpus: 1, memory: '64MiB', nics: [], disks: [{ size: '64MiB', on: 'sda' }]${extra} });
`);
}

function cleanup(): void {
  for (const n of [OLD, NEW]) {
    virsh('destroy', n);
    virsh('undefine', n, '--remove-all-storage');
    virsh('vol-delete', '--pool', 'hvkit', `${n}-sda-0.qcow2`);
  }
}

function qemuIo(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('qemu-io', args, { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0 && !/fail/i.test(r.stdout + r.stderr), out: r.stdout + r.stderr };
}

describeWithTool('rename (movedFrom) against a real libvirtd', 'libvirtd and qemu-io', !reason, reason ?? '', () => {
  let p: TempProject;
  beforeEach(() => {
    cleanup();
    p = tempProject();
  });
  afterEach(() => {
    cleanup();
    p?.cleanup();
  });

  it('renames the domain and its volume: same UUID, the bytes on its disk kept, running again, next plan "No changes"', async () => {
    p.writeStack(stack(OLD));
    const created = await p.run(['apply', '--auto-approve'], { env: ENV });
    expect(created.code, created.err + created.out).toBe(0);
    const uuid = virsh('domuuid', OLD).out.trim();
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    // Bytes written while the domain is off (QEMU locks an image it runs on), then it runs again.
    expect(virsh('destroy', OLD).ok).toBe(true);
    const wrote = qemuIo(['-f', 'qcow2', '-c', 'write -P 0x5a 0 64k', volume(OLD)]);
    expect(wrote.ok, wrote.out).toBe(true);
    expect(virsh('start', OLD).ok).toBe(true);

    p.writeStack(stack(NEW, `, movedFrom: '${OLD}'`));
    const plan = await p.run(['plan'], { env: ENV });
    expect(plan.out).toContain(`~ rename (restart) ${OLD} → ${NEW}`);
    expect(plan.out).toContain('shuts down and starts again');
    const r = await p.run(['apply', '--auto-approve'], { env: ENV });
    expect(r.code, r.err + r.out).toBe(0);

    expect(virsh('domstate', OLD).ok).toBe(false);
    expect(virsh('domstate', NEW).out.trim()).toBe('running');
    expect(virsh('domuuid', NEW).out.trim()).toBe(uuid);
    expect(virsh('vol-info', '--pool', 'hvkit', `${OLD}-sda-0.qcow2`).ok).toBe(false);
    const xml = virsh('dumpxml', '--inactive', NEW).out;
    expect(xml).toContain(`<source file='${volume(NEW)}'/>`);
    // Read through QEMU's own block layer, sharing the image the running domain holds.
    const read = qemuIo(['-U', '-r', '-f', 'qcow2', '-c', 'read -P 0x5a 0 64k', volume(NEW)]);
    expect(read.ok, read.out).toBe(true);
    expect(Object.keys(readState(p.dir).guests)).toEqual([NEW]);
    expect(readState(p.dir).guests[NEW].spec.uuid).toBe(uuid);

    const again = await p.run(['plan', '--detailed-exitcode'], { env: ENV });
    expect(again.code, again.out).toBe(0);
  });
});

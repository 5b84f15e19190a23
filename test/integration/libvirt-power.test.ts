import { afterEach, beforeEach, expect, it } from 'vitest';
import { domainType, startLibvirtd, URI, virsh } from '../helpers/libvirt';
import { readState, stackSource, tempProject, type TempProject } from '../helpers/project';
import { describeWithTool } from '../helpers/tools';

const reason = startLibvirtd();
const prefix = `pw${process.pid}`;
const guest = `${prefix}-web-01`;
const host = `${prefix}-h1`;

const stack = (power: 'running' | 'stopped') => stackSource(`
const h = new Host(fleet, '${host}', { provider: 'libvirt', address: '${URI}', tags: { 'libvirt.domain-type': '${domainType}' }, cpu: { cores: 2 }, memory: { slots: 2, maxDimm: '8GiB', dimms: ['4GiB'] }, disks: [{ name: 'sda', size: '10GiB' }] });
new Guest(h, '${guest}', { role: 'web', vcpus: 1, memory: '64MiB', nics: [], power: '${power}' });
`);

function cleanup(): void {
  virsh('destroy', guest);
  virsh('undefine', guest);
}

const domstate = () => virsh('domstate', guest).out.trim();

/** 64 MiB guests without disk or OS: no ACPI answer, so a clean shutdown is forced off after --timeout. */
describeWithTool('hvkit start | stop | reboot | console against a real libvirtd', 'libvirtd', !reason, reason ?? '', () => {
  let p: TempProject;
  beforeEach(() => {
    cleanup();
    p = tempProject();
  });
  afterEach(() => {
    cleanup();
    p?.cleanup();
  });

  it('stops a running guest (shut off, still defined), starts it, reboots it, and records each', async () => {
    p.writeStack(stack('running'));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(domstate()).toBe('running');

    const stop = await p.run(['stop', guest, '--timeout', '1s']);
    expect(stop.code, stop.err).toBe(0);
    expect(domstate()).toBe('shut off');
    expect(virsh('list', '--all', '--name').out).toContain(guest);
    expect(readState(p.dir).guests[guest].power).toMatchObject({ state: 'stopped', by: 'command' });

    const start = await p.run(['start', guest]);
    expect(start.code, start.err).toBe(0);
    expect(domstate()).toBe('running');
    expect(readState(p.dir).guests[guest].power).toMatchObject({ state: 'running' });

    const reboot = await p.run(['reboot', guest]);
    expect(reboot.code, reboot.err).toBe(0);
    expect(domstate()).toBe('running');
    const reset = await p.run(['reboot', guest, '--force']);
    expect(reset.code, reset.err).toBe(0);
    expect(domstate()).toBe('running');
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('powers a guest off at once with --force', async () => {
    p.writeStack(stack('running'));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect((await p.run(['stop', guest, '--force'])).code).toBe(0);
    expect(domstate()).toBe('shut off');
  });

  it("applies power: 'stopped' and sees a guest started by hand as drift planned as a stop", async () => {
    p.writeStack(stack('stopped'));
    const applied = await p.run(['apply', '--auto-approve'], { env: { HVKIT_LIBVIRT_SHUTDOWN_GRACE_MS: '1000' } });
    expect(applied.code, applied.err + applied.out).toBe(0);
    expect(domstate()).toBe('shut off');
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
    expect(virsh('start', guest).ok).toBe(true);
    expect((await p.run(['refresh', '--no-stats'])).out).toContain(`! ${guest} on ${host} runs; code says power: 'stopped'`);
    expect((await p.run(['plan'])).out).toContain(`1. stop ${guest} on ${host} (power 'stopped' in code)`);
  });

  it('prints the virsh console command as an argument vector', async () => {
    p.writeStack(stack('running'));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect((await p.run(['console', guest, '--print'])).out).toBe(`virsh --connect=qemu:///system console --domain ${guest}\n`);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, localHostDir, readState, stackSource, tempProject, type TempProject } from '../helpers/project';

const stack = (cpu: string, disk: string, power = 'running') => stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 2, memory: '1GiB', power: '${power}', ${cpu} disks: [{ size: '1GiB', on: 'sda'${disk} }] });
`);

describe('load adjustment on the local simulator: cap, weight and disk limits changed live', () => {
  let p: TempProject;
  const domain = () => JSON.parse(readFileSync(join(localHostDir(p.dir, 'host-a'), 'web-01.json'), 'utf8'));
  beforeEach(() => {
    p = tempProject();
  });
  afterEach(() => p.cleanup());

  it('creates the guest with its cap, then plans a new cap as an in-place update in text, markdown and JSON, and applies it live', async () => {
    p.writeStack(stack('cpu: { cap: 50 },', ''));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(domain()).toMatchObject({ running: true, cpuCap: 50 });
    const bootsBefore = domain().console;

    p.writeStack(stack('cpu: { cap: 150, weight: 512 },', ''));
    const text = await p.run(['plan']);
    expect(text.out).toContain('  ~ update in place web-01 on host-a  (tokyo/host-a/web-01)\n      cpu cap 50% → 150%, cpu weight default → 512 while running\n');
    expect(text.out).toContain('1. update web-01 on host-a: cpu cap 50% → 150%, cpu weight default → 512 while running');
    expect(text.out).not.toMatch(/restart/);
    const md = await p.run(['plan', '--markdown']);
    expect(md.out).toContain('cpu cap 50% → 150%, cpu weight default → 512 while running');
    const json = JSON.parse((await p.run(['plan', '--json'])).out);
    const rc = json.resource_changes.find((r: { address: string }) => r.address === 'null_resource.guest_web-01');
    expect(rc.change.actions).toEqual(['update']);
    expect(rc.hvkit.reason).toEqual({ code: 'live-update', detail: { changes: [{ field: 'cpuCap', from: 50, to: 150 }, { field: 'cpuWeight', from: null, to: 512 }] } });

    const applied = await p.run(['apply', '--auto-approve']);
    expect(applied.code, applied.err).toBe(0);
    expect(domain()).toMatchObject({ running: true, cpuCap: 150, cpuWeight: 512 });
    // Same boot: a live change does not restart the guest.
    expect(domain().console).toEqual(bootsBefore);
    expect(readState(p.dir).guests['web-01'].spec).toMatchObject({ cpuCap: 150, cpuWeight: 512 });
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);

    p.writeStack(stack('', ''));
    expect((await p.run(['plan'])).out).toContain('1. update web-01 on host-a: cpu cap 150% → none, cpu weight 512 → default while running');
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(domain().cpuCap).toBeUndefined();
    expect(domain().cpuWeight).toBeUndefined();
  });

  it('sets and lifts a disk I/O limit live', async () => {
    p.writeStack(stack('', ''));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    p.writeStack(stack('', ', iops: 300, mbps: 20'));
    expect((await p.run(['plan'])).out).toContain('1. update web-01 on host-a: disk 0 (sda) I/O limit none → 300 IOPS + 20 MB/s while running');
    // Through a saved plan: the plan file's schema knows the new live changes.
    expect((await p.run(['plan', '--out', 'limits.plan'])).code).toBe(0);
    const saved = await p.run(['apply', 'limits.plan']);
    expect(saved.code, saved.err).toBe(0);
    expect(domain()).toMatchObject({ running: true, iotune: [{ disk: 0, iops: 300, mbps: 20 }] });
    p.writeStack(stack('', ''));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(domain().iotune).toBeUndefined();
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('changes the cap of a stopped guest in its config without starting it', async () => {
    p.writeStack(stack('cpu: { cap: 50 },', '', 'stopped'));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    p.writeStack(stack('cpu: { cap: 80 },', '', 'stopped'));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(domain()).toMatchObject({ running: false, cpuCap: 80 });
    expect(JSON.parse(domain().config).cpuCap).toBe(80);
  });
});

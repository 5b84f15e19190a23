import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readState, ROOT, stackSource, tempProject, type TempProject } from '../helpers/project';

/** The xen provider's power verbs, against the recording ssh and xl stand-ins of test/xen/bin. */
describe('hvkit start | stop | reboot | console on the xen provider', () => {
  let p: TempProject;
  let record: string;
  const env = () => ({ PATH: `${join(ROOT, 'test/xen/bin')}:${process.env.PATH}`, HVKIT_XEN_RECORD: record, HVKIT_XEN_ROOT: join(p.dir, 'xen-root') });
  /** Each ssh call as `destination remote-command-line`. */
  const calls = () => readFileSync(record, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]).filter((c) => c[0] === 'ssh').map((c) => c.slice(c.indexOf('--') + 1).join(' '));
  const stack = (power: 'running' | 'stopped') => stackSource(`
const a = new Host(fleet, 'xen-a', { provider: 'xen', cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['4GiB', '4GiB'] }, disks: [{ name: 'sda', size: '100GiB' }] });
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB', power: '${power}' });
`);
  async function applied(power: 'running' | 'stopped'): Promise<void> {
    p.writeStack(stack(power));
    const r = await p.run(['apply', '--auto-approve'], { env: env() });
    expect(r.code, r.err + r.out).toBe(0);
    writeFileSync(record, '');
  }
  beforeEach(() => {
    p = tempProject();
    record = join(p.dir, 'record.jsonl');
    writeFileSync(record, '');
  });
  afterEach(() => p.cleanup());

  it('stops with xl shutdown -w, bounded by --timeout, and powers off with xl destroy under --force', async () => {
    await applied('running');
    expect((await p.run(['stop', 'web-01', '--timeout', '30s'], { env: env() })).code).toBe(0);
    // `xl list -l` first: a guest already shut off is not stopped again.
    expect(calls()).toEqual(['root@xen-a xl list -l', 'root@xen-a xl list web-01', 'root@xen-a timeout 30 xl shutdown -w web-01']);
    expect(readState(p.dir).guests['web-01'].power).toMatchObject({ state: 'stopped' });
    writeFileSync(record, '');
    expect((await p.run(['start', 'web-01'], { env: env() })).code).toBe(0);
    expect(calls()).toEqual(['root@xen-a xl list -l', 'root@xen-a xl create /etc/xen/web-01.cfg']);
    writeFileSync(record, '');
    expect((await p.run(['stop', 'web-01', '--force'], { env: env() })).code).toBe(0);
    expect(calls()).toEqual(['root@xen-a xl list -l', 'root@xen-a xl list web-01', 'root@xen-a xl destroy web-01']);
  });

  it('reboots with xl reboot, and a forced reboot is xl destroy then xl create', async () => {
    await applied('running');
    expect((await p.run(['reboot', 'web-01'], { env: env() })).code).toBe(0);
    expect((await p.run(['reboot', 'web-01', '--force'], { env: env() })).code).toBe(0);
    expect(calls()).toEqual(['root@xen-a xl reboot web-01', 'root@xen-a xl list web-01', 'root@xen-a xl destroy web-01', 'root@xen-a xl create /etc/xen/web-01.cfg']);
  });

  it("creates a guest with power 'stopped', shuts it down, and refresh does not take the domain xl forgot for a missing one", async () => {
    p.writeStack(stack('stopped'));
    const r = await p.run(['apply', '--auto-approve'], { env: env() });
    expect(r.code, r.err + r.out).toBe(0);
    expect(calls()).toContain('root@xen-a xl shutdown -w web-01');
    const refresh = await p.run(['refresh', '--no-stats'], { env: env() });
    expect(refresh.out).toContain('No drift');
    expect((await p.run(['plan', '--detailed-exitcode'], { env: env() })).code).toBe(0);
  });

  it('prints ssh -t with xl console for the console', async () => {
    await applied('running');
    expect((await p.run(['console', 'web-01'], { env: env() })).out).toBe("ssh -t -- root@xen-a 'xl console web-01'\n");
  });
});

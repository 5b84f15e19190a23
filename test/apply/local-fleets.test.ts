import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, localDomains, localHostDir, stateGuests, tempProject, type TempProject } from '../helpers/project';

/** One app, two fleets, each with its own db-host-01. */
const TWO_FLEETS = (osakaHasHost = true) => `import { App, Fleet, Host, Guest } from 'hvkit';
const app = new App();
const tokyo = new Fleet(app, 'tokyo', { provider: 'local' });
new Guest(new Host(tokyo, 'db-host-01', ${LOCAL_HOST}), 'db-01', { role: 'db', vcpus: 1, memory: '1GiB' });
const osaka = new Fleet(app, 'osaka', { provider: 'local' });
${osakaHasHost ? `new Guest(new Host(osaka, 'db-host-01', ${LOCAL_HOST}), 'db-02', { role: 'db', vcpus: 1, memory: '1GiB' });` : `new Host(osaka, 'spare-01', ${LOCAL_HOST});`}
app.synth();
`;

const installDimms = (p: TempProject, ...args: string[]) => spawnSync(join(p.dir, 'providers/local/install-dimms'), args, { cwd: p.dir, encoding: 'utf8' });

describe('the local simulator keeps fleets apart', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
  });
  afterEach(() => p.cleanup());

  it('gives each fleet its own db-host-01, so retiring one leaves the other', async () => {
    p.writeStack(TWO_FLEETS());
    expect((await p.run(['apply', '--auto-approve', '--fleet', 'tokyo'])).code).toBe(0);
    expect((await p.run(['apply', '--auto-approve', '--fleet', 'osaka'])).code).toBe(0);
    expect(localDomains(p.dir, 'tokyo')).toEqual(['db-01@db-host-01']);
    expect(localDomains(p.dir, 'osaka')).toEqual(['db-02@db-host-01']);
    p.writeStack(TWO_FLEETS(false));
    const r = await p.run(['apply', '--auto-approve', '--fleet', 'osaka']);
    expect(r.code, r.err).toBe(0);
    expect(stateGuests(p.dir, 'osaka')).toEqual([]);
    expect(localDomains(p.dir, 'tokyo')).toEqual(['db-01@db-host-01']);
    expect((await p.run(['refresh', '--fleet', 'tokyo'])).out).toContain('No drift');
  });

  it('install-dimms asks for the fleet when two fleets have the host, and takes --fleet', async () => {
    p.writeStack(TWO_FLEETS());
    await p.run(['apply', '--auto-approve', '--fleet', 'tokyo']);
    await p.run(['apply', '--auto-approve', '--fleet', 'osaka']);
    const unsure = installDimms(p, 'db-host-01', '2GiB', '2GiB', '2GiB', '2GiB');
    expect(unsure.status).toBe(2);
    expect(unsure.stderr).toBe('db-host-01 is a host of fleets osaka, tokyo: say which with --fleet NAME\n');
    expect(installDimms(p, '--fleet', 'osaka', 'db-host-01', '2GiB', '2GiB', '2GiB', '2GiB').status).toBe(0);
    const memory = (fleet: string) => JSON.parse(readFileSync(join(localHostDir(p.dir, 'db-host-01', fleet), 'host.json'), 'utf8')).memoryMiB;
    expect([memory('osaka'), memory('tokyo')]).toEqual([8192, 4096]);
  });

  it('keeps finding the guests of a state recorded with the old shared address, planning no change', async () => {
    // As an earlier hvkit recorded it: the host at .hvkit/local/<host>, its machine not marked with a fleet.
    const stack = (address: string) => `import { App, Fleet, Host, Guest } from 'hvkit';
const app = new App();
const fleet = new Fleet(app, 'tokyo', { provider: 'local' });
const a = new Host(fleet, 'host-a', { ...${LOCAL_HOST}${address} });
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
app.synth();
`;
    p.writeStack(stack(", address: '.hvkit/local/host-a'"));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    const legacy = join(p.dir, '.hvkit/local/host-a/host.json');
    const { fleet: _drop, ...machine } = JSON.parse(readFileSync(legacy, 'utf8'));
    writeFileSync(legacy, JSON.stringify(machine));

    p.writeStack(stack(''));
    const plan = await p.run(['plan', '--detailed-exitcode']);
    expect(plan.out).toContain('No changes. The fleet matches the code.');
    expect(plan.code).toBe(0);
    expect((await p.run(['refresh'])).out).toMatch(/^Refreshed 1 host: 1 answered, 1 domain\.\nMeasured load over \d+\.\d s: 0\.00 cores, 0 IOPS, 0\.0 Mbit\/s on 1 host \(1 guest\); `hvkit top` shows each\.\nNo drift: the hypervisors run what state records\.\n$/);
    expect(localDomains(p.dir)).toEqual(['web-01@host-a']);
    expect(existsSync(join(p.dir, '.hvkit/local/host-a'))).toBe(false);
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
  });
});

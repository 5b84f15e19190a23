import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, localDomains, localHostDir, readState, stackSource, stateGuests, tempProject, type TempProject } from '../helpers/project';

const HOST = LOCAL_HOST;
const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB', maxMemory: '2GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
`);

describe('refresh, drift and import on the local provider', () => {
  let p: TempProject;
  const domainFile = (g: string) => join(localHostDir(p.dir, 'host-a'), `${g}.json`);
  beforeEach(async () => {
    p = tempProject();
    p.writeStack(STACK);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
  });
  afterEach(() => p.cleanup());

  it('finds no drift when the hypervisor runs what state records', async () => {
    const r = await p.run(['refresh']);
    expect(r.out).toMatch(/^Refreshed 1 host: 1 answered, 2 domains\.\nMeasured load over \d+\.\d s: 0\.00 cores, 0 IOPS, 0\.0 Mbit\/s on 1 host \(2 guests\); `hvkit top` shows each\.\nNo drift: the hypervisors run what state records\.\n$/);
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('shows a guest deleted by hand and plans to create it again', async () => {
    rmSync(domainFile('web-02'));
    expect((await p.run(['refresh', '--no-stats'])).out).toContain('! web-02 is recorded on host-a but the hypervisor does not run it (deleted by hand?)');
    const plan = await p.run(['plan']);
    expect(plan.out).toContain('Drift (what the hypervisors run differs from state; the plan converges it)');
    expect(plan.out).toContain('  + create web-02 on host-a');
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(localDomains(p.dir)).toEqual(['web-01@host-a', 'web-02@host-a']);
    expect(readState(p.dir).observed).toBeUndefined();
  });

  it('shows memory changed by hand and plans to set it back in place', async () => {
    const d = JSON.parse(readFileSync(domainFile('web-01'), 'utf8'));
    writeFileSync(domainFile('web-01'), JSON.stringify({ ...d, memoryMiB: 1536 }));
    expect((await p.run(['refresh', '--no-stats'])).out).toContain('! web-01 on host-a runs with 1.5GiB and 1 vCPUs; state says 1GiB and 1 (changed by hand?)');
    const plan = await p.run(['plan']);
    expect(plan.out).toContain('update web-01 on host-a: memory 1.5GiB → 1GiB while running');
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(JSON.parse(readFileSync(domainFile('web-01'), 'utf8')).memoryMiB).toBe(1024);
  });

  it('shows a domain neither code nor state knows, without touching it', async () => {
    writeFileSync(domainFile('stray-01'), JSON.stringify({ name: 'stray-01', memoryMiB: 256, maxMemoryMiB: 256, vcpus: 1, maxVcpus: 1, running: true }));
    expect((await p.run(['refresh', '--no-stats'])).out).toContain('! host-a runs stray-01, which state does not know and code does not declare');
    const plan = await p.run(['plan', '--detailed-exitcode']);
    expect(plan.out).toContain('Warning: tokyo/host-a: host-a runs stray-01, which hvkit does not manage');
    expect(plan.code).toBe(0);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(localDomains(p.dir)).toContain('stray-01@host-a');
  });

  it('shows a host whose installed memory differs from code', async () => {
    const f = join(localHostDir(p.dir, 'host-a'), 'host.json');
    writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), memoryMiB: 3072 }));
    expect((await p.run(['refresh', '--no-stats'])).out).toContain('! host-a reports 3GiB installed, code says 4GiB');
    expect((await p.run(['plan'])).out).toContain('Warning: tokyo/host-a: host-a has 3GiB installed but code expects 4GiB: fit the missing DIMMs (or a DIMM failed)');
  });

  it('imports a domain that already runs instead of creating it again', async () => {
    p.writeStack(STACK.replace('app.synth();', "new Guest(fleet.node.findChild('host-a') as Host, 'db-01', { role: 'db', vcpus: 2, memory: '1GiB' });\napp.synth();"));
    writeFileSync(domainFile('db-01'), JSON.stringify({ name: 'db-01', memoryMiB: 512, maxMemoryMiB: 1024, vcpus: 2, maxVcpus: 2, running: true }));
    await p.run(['refresh', '--no-stats']);
    const blocked = await p.run(['plan']);
    expect(blocked.code).toBe(1);
    expect(blocked.out).toContain('Error: tokyo/host-a/db-01: a domain named db-01 already runs on host-a: adopt it with `hvkit import db-01` instead of creating it again');
    const imp = await p.run(['import', 'db-01']);
    expect(imp.out).toBe('Imported db-01 on host-a (512MiB of 1GiB, 2 of 2 vCPUs, running). Run `hvkit plan` to see what differs from code.\n');
    expect(stateGuests(p.dir)).toContain('db-01@host-a');
    const plan = await p.run(['plan']);
    expect(plan.code).toBe(0);
    expect(plan.out).toContain('update db-01 on host-a: memory 512MiB → 1GiB while running');
    expect(plan.out).not.toContain('create db-01');
  });

  it('refuses to import what code does not declare or the host does not run', async () => {
    expect((await p.run(['import', 'nope'])).err).toContain("guest 'nope' is not declared in code");
    p.writeStack(STACK.replace('app.synth();', "new Guest(fleet.node.findChild('host-a') as Host, 'db-01', { role: 'db', vcpus: 2, memory: '1GiB' });\napp.synth();"));
    expect((await p.run(['import', 'db-01'])).err).toContain('no domain named db-01 runs on host-a: nothing to import');
  });
});

describe('refresh finds guests where state does not put them', () => {
  let p: TempProject;
  const file = (h: string, g: string) => join(localHostDir(p.dir, h), `${g}.json`);
  beforeEach(async () => {
    p = tempProject();
    p.writeStack(stackSource(`
const a = new Host(fleet, 'host-a', ${HOST});
const b = new Host(fleet, 'host-b', ${HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(b, 'db-01', { role: 'db', vcpus: 1, memory: '1GiB' });
`));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
  });
  afterEach(() => p.cleanup());

  it('reports a guest on two hosts (a migration cut between its halves) as a duplicate, and plans nothing until it is resolved', async () => {
    writeFileSync(file('host-b', 'web-01'), readFileSync(file('host-a', 'web-01')));
    const r = await p.run(['refresh', '--no-stats']);
    expect(r.out).not.toContain('No drift');
    expect(r.out).toContain('! web-01 runs on host-a and host-b at once (a migration cut between its halves, or a copy made outside hvkit)');
    const plan = await p.run(['plan', '--json']);
    expect(JSON.parse(plan.out).hvkit.drift).toContainEqual(expect.objectContaining({ kind: 'guest-duplicate', guest: 'web-01' }));
    const text = await p.run(['plan']);
    expect(text.code).toBe(1);
    expect(text.out).toContain('Error: tokyo/host-a/web-01: web-01 runs on host-a and host-b; state records it on host-a. hvkit will not choose which copy to keep');
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(1);
    expect(localDomains(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a', 'web-01@host-b']);
  });

  it('reports a guest moved to another host outside hvkit, and plans to move it back where code places it', async () => {
    writeFileSync(file('host-b', 'web-01'), readFileSync(file('host-a', 'web-01')));
    rmSync(file('host-a', 'web-01'));
    const r = await p.run(['refresh', '--no-stats']);
    expect(r.out).toContain('! web-01 runs on host-b, not on host-a where state records it: moved outside hvkit');
    expect(r.out).not.toContain('deleted by hand');
    const plan = await p.run(['plan']);
    expect(plan.out).toContain('web-01 was moved to host-b outside hvkit; the plan migrates it back to host-a, where code places it');
    expect(plan.out).toContain('migrate web-01 host-b → host-a');
    expect(plan.out).not.toContain('create web-01');
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(localDomains(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a']);
  });

  it('records a guest moved by hand to the host code places it on, so later plans do not migrate it from where it was', async () => {
    p.writeStack(readFileSync(join(p.dir, 'stacks/main.ts'), 'utf8').replace("new Guest(a, 'web-01'", "new Guest(b, 'web-01'"));
    writeFileSync(file('host-b', 'web-01'), readFileSync(file('host-a', 'web-01')));
    rmSync(file('host-a', 'web-01'));
    expect((await p.run(['refresh', '--no-stats'])).out).toContain('! web-01 runs on host-b, not on host-a where state records it: moved outside hvkit');
    const plan = await p.run(['plan']);
    expect(plan.out).toContain('web-01 was moved to host-b outside hvkit, where code places it: the plan records it there and leaves it running');
    expect(plan.out).toContain('web-01 runs on host-b (moved outside hvkit), where code places it: recorded there');
    expect(plan.out).not.toContain('migrate web-01');
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('0 migrated');
    expect(stateGuests(p.dir)).toEqual(['db-01@host-b', 'web-01@host-b']);
    // The refresh is cleared now: later plans stand on state alone.
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    const again = await p.run(['plan', '--detailed-exitcode']);
    expect(again.out).toContain('No changes. The fleet matches the code.');
    expect(again.code).toBe(0);
    expect(localDomains(p.dir)).toEqual(['db-01@host-b', 'web-01@host-b']);
    expect((await p.run(['parent', 'web-01'])).out).toBe('web-01: host-b\n');
  });

  it('reports a guest that is shut off, shows it stopped, and plans to start it', async () => {
    writeFileSync(file('host-a', 'web-01'), JSON.stringify({ ...JSON.parse(readFileSync(file('host-a', 'web-01'), 'utf8')), running: false }));
    const r = await p.run(['refresh', '--no-stats']);
    expect(r.out).toContain('! web-01 on host-a is shut off; state records it running');
    expect((await p.run(['guests'])).out).toMatch(/│ web-01 +│ host-a +│ web +│ 1 +│ 1GiB +│ stopped +│/);
    const plan = await p.run(['plan', '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.out).toContain('web-01 is shut off on host-a: the plan starts it again');
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(JSON.parse(readFileSync(file('host-a', 'web-01'), 'utf8')).running).toBe(true);
    expect((await p.run(['guests'])).out).toMatch(/│ web-01 +│ host-a +│ web +│ 1 +│ 1GiB +│ deployed +│/);
  });

  it('sees memory changed by hand on a shut-off guest, so the plan sets it back before starting it', async () => {
    writeFileSync(file('host-a', 'web-01'), JSON.stringify({ ...JSON.parse(readFileSync(file('host-a', 'web-01'), 'utf8')), running: false, memoryMiB: 1536 }));
    const r = await p.run(['refresh', '--no-stats']);
    expect(r.out).toContain('! web-01 on host-a is shut off; state records it running');
    expect(r.out).toContain('! web-01 on host-a would boot with 1.5GiB and 1 vCPUs; state says 1GiB and 1 (changed by hand?)');
    const plan = await p.run(['plan']);
    expect(plan.out).toMatch(/web-01 on host-a: memory 1\.5GiB → 1GiB/);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    const after = JSON.parse(readFileSync(file('host-a', 'web-01'), 'utf8'));
    expect([after.memoryMiB, after.running]).toEqual([1024, true]);
  });

  it('plans to destroy a shut-off guest that code no longer has, instead of forgetting it', async () => {
    writeFileSync(file('host-a', 'web-01'), JSON.stringify({ ...JSON.parse(readFileSync(file('host-a', 'web-01'), 'utf8')), running: false }));
    expect((await p.run(['refresh', '--no-stats'])).code).toBe(0);
    p.writeStack(readFileSync(join(p.dir, 'stacks/main.ts'), 'utf8').replace(/new Guest\(a, 'web-01'[^\n]*\n/, ''));
    const plan = await p.run(['plan', '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.out).toContain('web-01 is shut off on host-a and code no longer has it: the plan destroys it');
    expect(plan.out).toContain('destroy web-01');
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(localDomains(p.dir)).not.toContain('web-01@host-a');
    expect(stateGuests(p.dir)).not.toContain('web-01@host-a');
  });

  it('plans to migrate a shut-off guest that code moved, so no copy is left behind', async () => {
    writeFileSync(file('host-a', 'web-01'), JSON.stringify({ ...JSON.parse(readFileSync(file('host-a', 'web-01'), 'utf8')), running: false }));
    expect((await p.run(['refresh', '--no-stats'])).code).toBe(0);
    p.writeStack(readFileSync(join(p.dir, 'stacks/main.ts'), 'utf8').replace("new Guest(a, 'web-01'", "new Guest(b, 'web-01'"));
    const plan = await p.run(['plan']);
    expect(plan.out).toContain('web-01 is shut off on host-a; code places it on host-b: the plan migrates it there');
    expect(plan.out).toContain('migrate web-01 host-a → host-b');
    expect(plan.out).not.toContain('create web-01');
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(localDomains(p.dir).filter((d) => d.startsWith('web-01@'))).toEqual(['web-01@host-b']);
  });

  it('does not plan from memory an earlier refresh saw on a host whose memory step reads it again', async () => {
    p.writeStack(readFileSync(join(p.dir, 'stacks/main.ts'), 'utf8').replace(`const a = new Host(fleet, 'host-a', ${HOST});`, `const a = new Host(fleet, 'host-a', ${HOST.replace("dimms: ['2GiB', '2GiB']", "dimms: ['2GiB', '2GiB', '2GiB', '2GiB']")});`));
    await p.run(['refresh', '--no-stats']);
    const dimms = spawnSync(join(p.dir, 'providers/local/install-dimms'), ['host-a', '2GiB', '2GiB', '2GiB', '2GiB'], { cwd: p.dir, encoding: 'utf8' });
    expect(dimms.status, dimms.stderr).toBe(0);
    const plan = await p.run(['plan']);
    expect(plan.out).not.toContain('host-a has 4GiB installed');
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain('4GiB installed');
    expect(readState(p.dir).hosts['host-a'].installedMiB).toBe(8192);
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, localHostDir, readState, stackSource, tempProject, type TempProject } from '../helpers/project';

const stack = (power: 'running' | 'stopped') => stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'db-01', { role: 'db', vcpus: 1, memory: '1GiB', power: '${power}' });
`);

describe("power: 'stopped' planned and applied on the local provider", () => {
  let p: TempProject;
  const file = (g: string) => join(localHostDir(p.dir, 'host-a'), `${g}.json`);
  const running = (g: string) => JSON.parse(readFileSync(file(g), 'utf8')).running as boolean;
  beforeEach(() => {
    p = tempProject();
  });
  afterEach(() => p.cleanup());

  it('creates a guest with power stopped, then stops it; the next plan has no changes', async () => {
    p.writeStack(stack('stopped'));
    const plan = await p.run(['plan', '--out', 'create.plan']);
    expect(plan.out).toContain("create db-01 on host-a, then stop it (power 'stopped' in code)");
    expect(plan.out).toContain('web, 1 vCPU, 1GiB memory, no disks\n');
    expect(plan.out).toContain('db, 1 vCPU, 1GiB memory, no disks, power stopped\n');
    // A saved plan with a create-then-stop step is checked against its schema and applied as reviewed.
    const applied = await p.run(['apply', 'create.plan']);
    expect(applied.code, applied.err).toBe(0);
    expect(running('db-01')).toBe(false);
    expect(running('web-01')).toBe(true);
    expect(readState(p.dir).guests['db-01'].power).toMatchObject({ state: 'stopped', by: 'apply' });
    expect(readState(p.dir).guests['web-01'].power).toBeUndefined();
    const again = await p.run(['plan', '--detailed-exitcode']);
    expect(again.out).toContain('No changes.');
    expect(again.code).toBe(0);
    // The stopped guest keeps its memory reservation on its host: 512 MiB reserve + 2 × 1 GiB.
    expect((await p.run(['hosts'])).out).toMatch(/host-a +│ local +│ 2\.5GiB \/ 4GiB/);
  });

  it('plans a start when code changes back to running, and a stop when it says stopped again', async () => {
    p.writeStack(stack('stopped'));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    p.writeStack(stack('running'));
    const start = await p.run(['plan', '--detailed-exitcode']);
    expect(start.code).toBe(2);
    expect(start.out).toContain('power stopped → running: start');
    expect(start.out).toContain("1. start db-01 on host-a (power 'running' in code)");
    expect((await p.run(['plan', '--out', 'start.plan'])).code).toBe(0);
    const applied = await p.run(['apply', 'start.plan']);
    expect(applied.code, applied.err).toBe(0);
    expect(running('db-01')).toBe(true);
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
    p.writeStack(stack('stopped'));
    expect((await p.run(['plan'])).out).toContain("1. stop db-01 on host-a (power 'stopped' in code)");
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(running('db-01')).toBe(false);
  });

  it('plans a start of a guest code wants running after `hvkit stop`', async () => {
    p.writeStack(stack('running'));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    await p.run(['stop', 'web-01']);
    const plan = await p.run(['plan']);
    expect(plan.out).toContain("1. start web-01 on host-a (power 'running' in code)");
  });

  it('imports a shut-off domain as stopped, so the next plan starts it', async () => {
    p.writeStack(stack('running'));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect((await p.run(['stop', 'web-01'])).code).toBe(0);
    expect((await p.run(['state', 'rm', 'web-01'])).code).toBe(0);
    const imp = await p.run(['import', 'web-01']);
    expect(imp.code, imp.err).toBe(0);
    expect(readState(p.dir).guests['web-01'].power).toMatchObject({ state: 'stopped', by: 'refresh' });
    const plan = await p.run(['plan']);
    expect(plan.out).toContain("1. start web-01 on host-a (power 'running' in code)");
  });
});

describe('refresh and power', () => {
  let p: TempProject;
  const file = (g: string) => join(localHostDir(p.dir, 'host-a'), `${g}.json`);
  const setRunning = (g: string, running: boolean) => writeFileSync(file(g), JSON.stringify({ ...JSON.parse(readFileSync(file(g), 'utf8')), running }));
  beforeEach(() => {
    p = tempProject();
  });
  afterEach(() => p.cleanup());

  it('shows a guest stopped by hand as drift and plans a start step, not a re-create', async () => {
    p.writeStack(stack('running'));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    setRunning('web-01', false);
    expect((await p.run(['refresh', '--no-stats'])).out).toContain('! web-01 on host-a is shut off; state records it running (stopped outside hvkit, or it crashed)');
    const plan = await p.run(['plan']);
    expect(plan.out).toContain("1. start web-01 on host-a (power 'running' in code)");
    expect(plan.out).not.toContain('create web-01');
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(JSON.parse(readFileSync(file('web-01'), 'utf8')).running).toBe(true);
  });

  it('finds no drift in a stopped guest whose code says stopped, and keeps it recorded stopped after another apply', async () => {
    p.writeStack(stack('running'));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    setRunning('db-01', false);
    p.writeStack(stack('stopped'));
    const r = await p.run(['refresh', '--no-stats']);
    expect(r.out).toContain('No drift');
    const plan = await p.run(['plan', '--detailed-exitcode']);
    // Only the record of the prop: the guest already is as code says.
    expect(plan.out).toContain('power (state only, no hypervisor change)');
    expect(plan.out).not.toMatch(/\d\. (start|stop) db-01/);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(readState(p.dir).guests['db-01'].power).toMatchObject({ state: 'stopped' });
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('shows a running guest whose code says stopped as drift, planned as a stop', async () => {
    p.writeStack(stack('stopped'));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    setRunning('db-01', true);
    const r = await p.run(['refresh', '--no-stats']);
    expect(r.out).toContain("! db-01 on host-a runs; code says power: 'stopped' (started outside hvkit?)");
    const plan = await p.run(['plan']);
    expect(plan.out).toContain("db-01 runs on host-a, but code says power: 'stopped': the plan shuts it down");
    expect(plan.out).toContain("1. stop db-01 on host-a (power 'stopped' in code)");
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(JSON.parse(readFileSync(file('db-01'), 'utf8')).running).toBe(false);
  });
});

import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../lib/state/file-store';
import { LOCAL_HOST, localDomains, readState, stackSource, stateGuests, tempProject, waitFor, type TempProject } from '../helpers/project';

const HOST = LOCAL_HOST;
const SMALL = stackSource(`
const a = new Host(fleet, 'host-a', ${HOST});
const b = new Host(fleet, 'host-b', ${HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB', maxMemory: '2GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(b, 'db-01', { role: 'db', vcpus: 2, memory: '2GiB' });
`);

describe('apply on the local provider', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
  });
  afterEach(() => p.cleanup());

  it('applies the example fleet end to end; a second plan shows no changes', async () => {
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^start   add-host:db-host-01: add host db-host-01$/m);
    expect(r.out).toMatch(/^\[ ?\d+\/10\] done    create:web-01 \(\d+\.\ds\)$/m);
    expect(r.out).toMatch(/Apply complete: 6 created, 0 updated, 0 migrated, 0 destroyed, 4 host steps in \d+\.\ds/);
    expect(localDomains(p.dir)).toEqual(['db-01@db-host-01', 'memcached-01@web-host-01', 'memcached-02@web-host-02', 'web-01@web-host-01', 'web-02@web-host-02', 'web-03@db-host-01']);
    expect(stateGuests(p.dir)).toEqual(localDomains(p.dir));
    const again = await p.run(['plan', '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.out).toContain('No changes. The fleet matches the code.');
    // Every step's output went to a log file of the run.
    const logs = readdirLogs(p.dir);
    expect(logs).toContain('create_web-01.log');
  });

  it('tells the DIMM story: the upgrade stops until the memory is really there', async () => {
    expect((await p.run(['apply', '--auto-approve'], { env: { HVKIT_EXAMPLE: 'before-upgrade' } })).code).toBe(0);
    const stopped = await p.run(['apply', '--auto-approve']);
    expect(stopped.code).toBe(1);
    expect(stopped.err).toContain('web-host-01 reports 4GiB installed, the code needs 8GiB: fit the new DIMMs (2GiB, 2GiB, 2GiB, 2GiB), boot the host, then run `hvkit apply` again');
    expect(stopped.err).toContain('not started because a step they depend on failed: ');
    for (const h of ['web-host-01', 'web-host-02']) {
      const r = await import('node:child_process').then((cp) => cp.spawnSync(join(p.dir, 'providers/local/install-dimms'), [h, '2GiB', '2GiB', '2GiB', '2GiB'], { cwd: p.dir }));
      expect(r.status).toBe(0);
    }
    const done = await p.run(['apply', '--auto-approve']);
    expect(done.code, done.err).toBe(0);
    expect(done.out).toContain('Apply complete: 2 created, 2 updated, 0 migrated, 0 destroyed, 2 host steps');
    expect(readState(p.dir).guests['web-01'].spec.memoryMiB).toBe(5632);
  });

  it.each([['the spawn helper', {}], ["Node's spawn", { HVKIT_SPAWN: 'node' }]])('records exactly the finished steps when a step fails, and re-plans exactly the rest (%s)', async (_how, spawnEnv) => {
    p.writeStack(SMALL);
    const faults = JSON.stringify([{ verb: 'create', guest: 'web-02', fail: 7, message: 'disk image is corrupt' }]);
    const r = await p.run(['apply', '--auto-approve'], { env: { HVKIT_LOCAL_FAULTS: faults, ...spawnEnv } });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/create:web-02 failed \(exit 7\): create exited with 7:\n {4}create: disk image is corrupt\n {4}log: .*create_web-02\.log/);
    expect(stateGuests(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a']);
    expect(readState(p.dir).inflight).toEqual({});
    expect(readState(p.dir).lastApply.failed[0]).toMatchObject({ step: 'create:web-02', exitCode: 7 });
    const plan = await p.run(['plan', '--json']);
    const steps = JSON.parse(plan.out).hvkit.steps.map((s: { id: string }) => s.id);
    expect(steps).toEqual(['create:web-02']);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(stateGuests(p.dir)).toEqual(localDomains(p.dir));
  });

  it.each([['the spawn helper', {}], ["Node's spawn", { HVKIT_SPAWN: 'node' }]])('kills a hung step at its timeout, with its whole process group (%s)', async (_how, spawnEnv) => {
    p.writeStack(SMALL);
    const faults = JSON.stringify([{ verb: 'create', guest: 'db-01', hang: true, withChild: true }]);
    // The timeout applies to every step: 10 s leaves the steps that do finish ample time on a loaded machine.
    // Apply returns at the timeout, not when the hung script's 600 s child would end: this test's own timeout
    // (240 s) fails it otherwise, and the child found gone below was killed, as it had not run its 600 s.
    const r = await p.run(['apply', '--auto-approve', '--timeout', '10'], { env: { HVKIT_LOCAL_FAULTS: faults, ...spawnEnv } });
    expect(r.code).toBe(1);
    expect(r.err).toContain('create:db-01 failed: create timed out after 10s and was killed');
    expect(stateGuests(p.dir)).toEqual(['web-01@host-a', 'web-02@host-a']);
    const logFile = /log: (\S+create_db-01\.log)/.exec(r.err)![1];
    const pid = Number(/child pid (\d+)/.exec(readFileSync(logFile, 'utf8'))![1]);
    await waitFor(() => !alive(pid), 30_000, 'the hung script\'s child to be killed');
  }, 240_000);

  it('refuses a stale plan', async () => {
    p.writeStack(SMALL);
    expect((await p.run(['plan', '--out', 'plan.bin'])).code).toBe(0);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    const r = await p.run(['apply', 'plan.bin']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('the saved plan is stale: the state\'s lineage is');
    expect(r.err).toContain('make a new plan with `hvkit plan --out FILE`');
  });

  it('refuses a saved plan once the code changed', async () => {
    p.writeStack(SMALL);
    expect((await p.run(['plan', '--out', 'plan.bin'])).code).toBe(0);
    p.writeStack(SMALL.replace("memory: '2GiB' });", "memory: '3GiB' });"));
    const r = await p.run(['apply', 'plan.bin']);
    expect(r.err).toContain('the code changed since the plan was made (manifest digest differs)');
    expect(localDomains(p.dir)).toEqual([]);
  });

  it('applies exactly a saved plan', async () => {
    p.writeStack(SMALL);
    expect((await p.run(['plan', '--out', 'plan.bin'])).code).toBe(0);
    const r = await p.run(['apply', 'plan.bin']);
    expect(r.code, r.err).toBe(0);
    expect(localDomains(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a', 'web-02@host-a']);
  });

  it('never applies a plan with fit errors', async () => {
    p.writeStack(SMALL.replace("memory: '2GiB' });", "memory: '8GiB', maxMemory: '8GiB' });"));
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('the plan has errors');
    expect(localDomains(p.dir)).toEqual([]);
  });

  it('asks before applying on a terminal and needs --auto-approve without one', async () => {
    p.writeStack(SMALL);
    const noTty = await p.run(['apply']);
    expect(noTty.code).toBe(1);
    expect(noTty.err).toContain('pass --auto-approve');
    const no = await p.run(['apply', '--no-color'], { tty: true, answer: 'no' });
    expect(no.out).toContain('Apply cancelled; nothing was changed.');
    expect(localDomains(p.dir)).toEqual([]);
    const yes = await p.run(['apply', '--no-color'], { tty: true, answer: 'yes' });
    expect(yes.code, yes.err).toBe(0);
    expect(localDomains(p.dir)).toHaveLength(3);
  });

  it('names a missing or non-executable provider script before anything runs', async () => {
    p.writeStack(SMALL);
    chmodSync(join(p.dir, 'providers/local/create'), 0o644);
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`provider scripts are not ready, nothing was run:\n  ${join(p.dir, 'providers/local/create')}: not executable (chmod +x it)`);
    expect(existsSync(join(p.dir, '.hvkit', 'state', 'tokyo.json'))).toBe(false);
  });

  it('fails a second concurrent apply at once, naming the lock holder', async () => {
    p.writeStack(SMALL);
    // The first apply is this test process holding the lock: it runs for as long as the test needs.
    const first = new FileStateStore(join(p.dir, '.hvkit/state/tokyo.json'));
    const held = await first.lock('apply');
    try {
      const second = await p.run(['apply', '--auto-approve']);
      expect(second.code).toBe(1);
      expect(second.err).toMatch(/state .*tokyo\.json is locked by \S+ \(pid \d+\) since \S+ for 'apply' \(lock ID [0-9a-f-]{36}\)\.\nWait for it to finish \(or pass --lock-timeout 2m to wait for it\); if that process is gone, run: hvkit state unlock [0-9a-f-]{36}/);
      expect(second.err).toContain(`(pid ${process.pid})`);
    } finally {
      await first.unlock(held.id);
    }
  });

});

function readdirLogs(dir: string): string[] {
  const root = join(dir, '.hvkit', 'logs');
  return readdirSync(root).flatMap((run) => readdirSync(join(root, run)).map((f) => join(run, f))).map((f) => f.split('/').pop()!);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('migration on the local provider', () => {
  it('moves a guest and its disk to another host, never as destroy + create', async () => {
    const p = tempProject();
    try {
      p.writeStack(SMALL);
      expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
      p.writeStack(SMALL.replace("new Guest(a, 'web-02'", "new Guest(b, 'web-02'"));
      const plan = await p.run(['plan']);
      expect(plan.out).toContain('  → migrate web-02 host-a → host-b');
      expect(plan.out.trimEnd().split('\n').pop()).toBe('Plan: 0 to create, 0 to update in place, 1 to migrate, 0 to destroy.');
      const r = await p.run(['apply', '--auto-approve']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('Apply complete: 0 created, 0 updated, 1 migrated, 0 destroyed');
      expect(localDomains(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a', 'web-02@host-b']);
      expect((await p.run(['parent', 'web-02'])).out).toBe('web-02: host-b\n');
    } finally {
      p.cleanup();
    }
  });
});

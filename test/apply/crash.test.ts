import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, localDomains, readState, spawnCli, stackSource, stateGuests, tempProject, waitFor, type TempProject } from '../helpers/project';

const HOST = LOCAL_HOST;
const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${HOST});
const b = new Host(fleet, 'host-b', ${HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(b, 'db-01', { role: 'db', vcpus: 2, memory: '2GiB' });
`);

/**
 * kill -9 of apply at several points, then plan + apply: the fleet converges,
 * with no orphan (a domain state does not know) and no phantom (a recorded
 * guest with no domain).
 */
describe('crash safety: kill -9 of apply', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
  });
  afterEach(() => p.cleanup());

  /** Apply, killed by its own HVKIT_TEST_CRASH_AT hook. */
  async function crashedApply(env: NodeJS.ProcessEnv) {
    const r = await spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1'], env).done;
    expect(r.signal).toBe('SIGKILL');
  }

  /** Apply, killed by the test once `killWhen` holds; `afterKill` runs before its output pipes close. */
  async function killedApply(env: NodeJS.ProcessEnv, killWhen: () => boolean, afterKill: () => void) {
    const run = spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1'], env);
    await waitFor(killWhen, 30_000, 'the kill point');
    run.child.kill('SIGKILL');
    // Apply's output pipes close only once every script it started has let go of them.
    afterKill();
    const r = await run.done;
    expect(r.signal).toBe('SIGKILL');
  }

  const lockInfo = () => join(p.dir, '.hvkit/state/tokyo.json.lockinfo');

  /** The dead apply still holds the lock; the operator releases it by its ID, as the error says. */
  async function unlockDeadHolder(): Promise<void> {
    expect(existsSync(lockInfo()), 'a killed apply leaves its lock behind').toBe(true);
    const id = JSON.parse(readFileSync(lockInfo(), 'utf8')).id;
    const u = await p.run(['state', 'unlock', id, '--fleet', 'tokyo']);
    expect(u.code, u.err).toBe(0);
    expect(existsSync(lockInfo())).toBe(false);
  }

  async function convergeAndCheck(): Promise<string> {
    await unlockDeadHolder();
    const plan = await p.run(['plan']);
    expect(plan.code, plan.err).toBe(0);
    const apply = await p.run(['apply', '--auto-approve']);
    expect(apply.code, apply.err + apply.out).toBe(0);
    const domains = localDomains(p.dir);
    expect(domains).toEqual(['db-01@host-b', 'web-01@host-a', 'web-02@host-a']);
    expect(stateGuests(p.dir)).toEqual(domains);
    expect(readState(p.dir).inflight).toEqual({});
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
    return plan.out;
  }

  it('after the intent is recorded, before the script starts', async () => {
    await crashedApply({ HVKIT_TEST_CRASH_AT: 'after-intent:create:web-01' });
    expect(Object.keys(readState(p.dir).inflight)).toEqual(['create:web-01']);
    expect(localDomains(p.dir)).not.toContain('web-01@host-a');
    const plan = await convergeAndCheck();
    expect(plan).toContain('create:web-01 was in flight when apply');
    expect(plan).toContain('web-01 was never created; the plan creates it');
  });

  it('in the middle of the script', async () => {
    // The script stops at a gate until the test has killed apply: the kill lands mid-script however slow the machine.
    const gate = join(p.dir, 'create-web-01.gate');
    const faults = JSON.stringify([{ verb: 'create', guest: 'web-01', gate }]);
    let before: string[] = [];
    await killedApply({ HVKIT_LOCAL_FAULTS: faults }, () => existsSync(`${gate}.reached`), () => {
      before = localDomains(p.dir);
      writeFileSync(`${gate}.release`, '');
    });
    expect(before).not.toContain('web-01@host-a');
    // The orphaned script finishes on its own: the domain appears although state never heard of it.
    await waitFor(() => localDomains(p.dir).includes('web-01@host-a'), 30_000, 'the orphaned script to finish');
    expect(stateGuests(p.dir)).not.toContain('web-01@host-a');
    const plan = await convergeAndCheck();
    expect(plan).toContain('web-01 runs on host-a as planned; recorded');
  });

  it('after the script, before its result is recorded', async () => {
    await crashedApply({ HVKIT_TEST_CRASH_AT: 'after-script:create:db-01' });
    expect(localDomains(p.dir)).toContain('db-01@host-b');
    expect(stateGuests(p.dir)).not.toContain('db-01@host-b');
    const plan = await convergeAndCheck();
    expect(plan).toContain('db-01 runs on host-b as planned; recorded');
  });

  it.each([2, 3, 5, 8])('during state write %i', async (n) => {
    await crashedApply({ HVKIT_TEST_CRASH_AT: `during-write:${n}` });
    // Atomic writes: the state is the old version (serial n - 1) or the new one (serial n), never torn.
    expect([n - 1, n]).toContain(readState(p.dir).serial);
    await convergeAndCheck();
  });

  it('a destroy in flight is settled from what the hypervisor says', async () => {
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    p.writeStack(STACK.replace(/new Guest\(a, 'web-02'.*\n/, ''));
    await crashedApply({ HVKIT_TEST_CRASH_AT: 'after-script:destroy:web-02' });
    expect(localDomains(p.dir)).not.toContain('web-02@host-a');
    expect(stateGuests(p.dir)).toContain('web-02@host-a');
    await unlockDeadHolder();
    const plan = await p.run(['plan', '--detailed-exitcode']);
    expect(plan.out).toContain('web-02 is gone from host-a; recorded');
    expect(plan.code).toBe(0);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(stateGuests(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a']);
  });

  it('the next apply takes over a dead holder’s lock once it goes stale', async () => {
    const env = { HVKIT_LOCK_STALE_MS: '60000' };
    await crashedApply({ HVKIT_TEST_CRASH_AT: 'after-intent:create:web-02', ...env });
    const early = await p.run(['apply', '--auto-approve'], { env });
    expect(early.code).toBe(1);
    expect(early.err).toContain('is locked by');
    // Nobody refreshes the dead holder's lock: make it two minutes old rather than wait for it to age.
    const lockDir = join(p.dir, '.hvkit/state/tokyo.json.lock');
    const old = new Date(Date.now() - 120_000);
    utimesSync(lockDir, old, old);
    const later = await p.run(['apply', '--auto-approve'], { env });
    expect(later.code, later.err).toBe(0);
    expect(stateGuests(p.dir)).toEqual(localDomains(p.dir));
  });
});

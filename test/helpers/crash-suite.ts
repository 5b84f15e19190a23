import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_REACHES_MS, LOCAL_HOST, localDomains, spawnCli, stackSource, tempProject, waitFor, type TempProject } from './project';
import type { StateBackend } from './state-backends';

export const CRASH_STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
const b = new Host(fleet, 'host-b', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(b, 'db-01', { role: 'db', vcpus: 2, memory: '2GiB' });
`);

/** The kill points (script and result) or the torn writes (during state write N, and the backend's own tests). */
export type CrashPart = 'kill-points' | 'writes';

/** A project for one crash test, and the backend its state lives on. */
export interface CrashFixture {
  p: TempProject;
  state: StateBackend;
}

/**
 * kill -9 of apply at several points, then plan + apply: the fleet converges,
 * with no orphan (a domain state does not know) and no phantom (a recorded
 * guest with no domain). Every backend keeps these guarantees; `backend` makes
 * each test's own (a pg backend: its own schema). `extra` adds the backend's own
 * tests, run with the same fixture.
 */
export function crashSuite(title: string, backend: (dir: string) => StateBackend, extra?: (f: () => CrashFixture) => void, part?: CrashPart): void {
  /** Whether this suite runs the tests of `p`: a slow backend runs the two parts in two files, which run in parallel. */
  const runs = (p: CrashPart) => part === undefined || part === p;
  describe(title, () => {
    let p: TempProject;
    let state: StateBackend;
    beforeEach(() => {
      p = tempProject();
      p.writeStack(CRASH_STACK);
      state = backend(p.dir);
    });
    afterEach(async () => {
      await state.dispose();
      p.cleanup();
    });

    const run = (args: string[], env: NodeJS.ProcessEnv = {}) => p.run(args, { env: { ...state.env, ...env } });

    /** Apply, killed by its own HVKIT_TEST_CRASH_AT hook. */
    async function crashedApply(env: NodeJS.ProcessEnv) {
      const r = await spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1'], { ...state.env, ...env }).done;
      expect(r.signal, r.err).toBe('SIGKILL');
    }

    /** Apply, killed by the test once `killWhen` holds; `afterKill` runs before its output pipes close. */
    async function killedApply(env: NodeJS.ProcessEnv, killWhen: () => boolean, afterKill: () => void) {
      const cli = spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1'], { ...state.env, ...env });
      await waitFor(killWhen, CLI_REACHES_MS, 'the kill point');
      cli.child.kill('SIGKILL');
      // Apply's output pipes close only once every script it started has let go of them.
      afterKill();
      const r = await cli.done;
      expect(r.signal).toBe('SIGKILL');
    }

    async function convergeAndCheck(): Promise<string> {
      await state.releaseDeadHolder(p);
      const plan = await run(['plan']);
      expect(plan.code, plan.err).toBe(0);
      const apply = await run(['apply', '--auto-approve']);
      expect(apply.code, apply.err + apply.out).toBe(0);
      const domains = localDomains(p.dir);
      expect(domains).toEqual(['db-01@host-b', 'web-01@host-a', 'web-02@host-a']);
      expect(await state.guests()).toEqual(domains);
      expect((await state.read())?.inflight).toEqual({});
      expect((await run(['plan', '--detailed-exitcode'])).code).toBe(0);
      // The backend under test kept the state: a pg run writes no state file beside the project.
      expect(existsSync(join(p.dir, '.hvkit', 'state', 'tokyo.json'))).toBe(state.name === 'file');
      return plan.out;
    }

    if (runs('kill-points')) {
      it('after the intent is recorded, before the script starts', async () => {
        await crashedApply({ HVKIT_TEST_CRASH_AT: 'after-intent:create:web-01' });
        expect(Object.keys((await state.read())!.inflight)).toEqual(['create:web-01']);
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
        expect(await state.guests()).not.toContain('web-01@host-a');
        expect(Object.keys((await state.read())!.inflight)).toEqual(['create:web-01']);
        const plan = await convergeAndCheck();
        expect(plan).toContain('web-01 runs on host-a as planned; recorded');
      });

      it('after the script, before its result is recorded', async () => {
        await crashedApply({ HVKIT_TEST_CRASH_AT: 'after-script:create:db-01' });
        expect(localDomains(p.dir)).toContain('db-01@host-b');
        expect(await state.guests()).not.toContain('db-01@host-b');
        const plan = await convergeAndCheck();
        expect(plan).toContain('db-01 runs on host-b as planned; recorded');
      });

      it('a destroy in flight is settled from what the hypervisor says', async () => {
        expect((await run(['apply', '--auto-approve'])).code).toBe(0);
        p.writeStack(CRASH_STACK.replace(/new Guest\(a, 'web-02'.*\n/, ''));
        await crashedApply({ HVKIT_TEST_CRASH_AT: 'after-script:destroy:web-02' });
        expect(localDomains(p.dir)).not.toContain('web-02@host-a');
        expect(await state.guests()).toContain('web-02@host-a');
        await state.releaseDeadHolder(p);
        const plan = await run(['plan', '--detailed-exitcode']);
        expect(plan.out).toContain('web-02 is gone from host-a; recorded');
        expect(plan.code).toBe(0);
        expect((await run(['apply', '--auto-approve'])).code).toBe(0);
        expect(await state.guests()).toEqual(['db-01@host-b', 'web-01@host-a']);
        expect(localDomains(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a']);
      });

      it('a step that fails: apply exits 1 naming it, records the failure with nothing in flight, and the next apply converges', async () => {
        const faults = JSON.stringify([{ verb: 'create', guest: 'web-02', fail: 7 }]);
        const r = await spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1'], { ...state.env, HVKIT_LOCAL_FAULTS: faults }).done;
        expect(r.code, r.out + r.err).toBe(1);
        expect(r.err).toContain('create:web-02 failed (exit 7)');
        const after = (await state.read())!;
        expect(after.inflight).toEqual({});
        expect(after.lastApply?.failed.map((f) => f.step)).toEqual(['create:web-02']);
        expect(await state.guests()).toEqual(localDomains(p.dir));
        const again = await run(['apply', '--auto-approve']);
        expect(again.code, again.err).toBe(0);
        expect(await state.guests()).toEqual(['db-01@host-b', 'web-01@host-a', 'web-02@host-a']);
      });
    }

    if (runs('writes')) {
      it.each([2, 3, 5, 8])('during state write %i', async (n) => {
        await crashedApply({ HVKIT_TEST_CRASH_AT: `during-write:${n}` });
        // Atomic writes: the state is the old version (serial n - 1) or the new one (serial n), never torn.
        expect([n - 1, n]).toContain((await state.read())!.serial);
        await convergeAndCheck();
      });

      extra?.(() => ({ p, state }));
    }
  });
}

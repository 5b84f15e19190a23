import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { PrivateCluster } from '../helpers/postgres';
import { CLI_REACHES_MS, LOCAL_HOST, localDomains, spawnCli, stackSource, tempProject, waitFor, type TempProject } from '../helpers/project';
import { pgBackend, type StateBackend } from '../helpers/state-backends';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '512MiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '512MiB' });
new Guest(a, 'web-03', { role: 'web', vcpus: 1, memory: '512MiB' });
new Guest(a, 'web-04', { role: 'web', vcpus: 1, memory: '512MiB' });
`);
const ALL = ['web-01@host-a', 'web-02@host-a', 'web-03@host-a', 'web-04@host-a'];

/**
 * The state database restarted under a running apply (a private cluster: the
 * shared server is never restarted). The step running when it went away holds
 * at a gate until the server is back, so the restart lands mid-step on any machine.
 */
PrivateCluster.describe('apply when the state database goes away', (cluster) => {
  let p: TempProject;
  let state: StateBackend;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
    state = pgBackend(cluster.conn);
  });
  afterEach(async () => {
    await state.dispose();
    p.cleanup();
  });

  /** Starts an apply whose create of `guest` waits at a gate; resolves once the script is there. */
  async function applyHeldAt(guest: string) {
    const gate = join(p.dir, `create-${guest}.gate`);
    const faults = JSON.stringify([{ verb: 'create', guest, gate }]);
    const cli = spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1'], { ...state.env, HVKIT_LOCAL_FAULTS: faults });
    await waitFor(() => existsSync(`${gate}.reached`) || cli.child.exitCode !== null, CLI_REACHES_MS, `the create of ${guest} to reach its gate`);
    expect(existsSync(`${gate}.reached`), 'apply reached the gated step').toBe(true);
    return { cli, release: () => writeFileSync(`${gate}.release`, '') };
  }

  async function convergeAndCheck(): Promise<void> {
    const plan = await p.run(['plan'], { env: state.env });
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toContain('create:web-02 was in flight when apply');
    const apply = await p.run(['apply', '--auto-approve'], { env: state.env });
    expect(apply.code, apply.err + apply.out).toBe(0);
    expect(localDomains(p.dir)).toEqual(ALL);
    expect(await state.guests()).toEqual(ALL);
    expect((await state.read())!.inflight).toEqual({});
    const again = await p.run(['plan', '--detailed-exitcode'], { env: state.env });
    expect(again.code, again.out + again.err).toBe(0);
  }

  it('restarted mid-step: apply stops with one line naming the database, the step stays in flight, and plan + apply converge', async () => {
    const { cli, release } = await applyHeldAt('web-02');
    const recordedBefore = await state.guests();
    cluster.restart();
    release();
    const r = await cli.done;

    expect(r.code, r.out + r.err).toBe(1);
    expect(r.err).not.toMatch(/^\s+at /m);
    expect(r.err).not.toContain('internal error');
    const named = r.err.split('\n').filter((l) => l.includes(`127.0.0.1:${cluster.port}`));
    expect(named, r.err).toHaveLength(1);
    expect(named[0]).toMatch(/connection to the database was lost/);
    expect(named[0]).toContain('hvkit plan');
    // No step started after the database went away; the one running is in flight, its domain made by the script.
    expect(localDomains(p.dir)).toEqual([...recordedBefore, 'web-02@host-a'].sort());
    const after = (await state.read())!;
    expect(Object.keys(after.inflight)).toEqual(['create:web-02']);
    expect(await state.guests()).toEqual(recordedBefore);

    await convergeAndCheck();
  });

  it('down when the step ends: apply stops with the same line, and once the server is back plan + apply converge', async () => {
    const { cli, release } = await applyHeldAt('web-02');
    cluster.stop();
    try {
      release();
      const r = await cli.done;
      expect(r.code, r.out + r.err).toBe(1);
      expect(r.err).not.toMatch(/^\s+at /m);
      const named = r.err.split('\n').filter((l) => l.includes(`127.0.0.1:${cluster.port}`));
      expect(named, r.err).toHaveLength(1);
      expect(named[0]).toContain('hvkit plan');
    } finally {
      cluster.startAgain();
    }
    expect(Object.keys((await state.read())!.inflight)).toEqual(['create:web-02']);
    await convergeAndCheck();
  });
});

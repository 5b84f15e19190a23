import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { PrivateCluster } from '../helpers/postgres';
import { CLI_REACHES_MS, LOCAL_HOST, localDomains, spawnCli, stackSource, tempProject, waitFor, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
`);

PrivateCluster.describe('a second apply when the database restarts under a running one', (cluster) => {
  let p: TempProject;
  let gate: string;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
    gate = join(p.dir, 'gate');
  });
  afterEach(() => {
    writeFileSync(`${gate}.release`, '');
    p.cleanup();
  });

  it('the restart frees the lock of a running apply, but the second apply refuses to settle the step the first still runs; the first then says what it could not record, and a third converges', async () => {
    const env = { HVKIT_PG_CONN: cluster.conn, HVKIT_STATE_BACKEND: 'pg', HVKIT_PG_SCHEMA: '' };
    const a = spawnCli(p.dir, ['apply', '--auto-approve'], { ...env, HVKIT_LOCAL_FAULTS: JSON.stringify([{ verb: 'create', guest: 'web-01', gate }]) });
    await waitFor(() => existsSync(`${gate}.reached`), CLI_REACHES_MS, "apply A's create of web-01 to reach its gate");
    // The restart ends A's session, and its advisory lock with it. (B starts once the server is back: a lock wait
    // across the restart itself is the pg store's concern, not this test's.)
    cluster.restart();
    const b = spawnCli(p.dir, ['apply', '--auto-approve', '--lock-timeout', '5m'], env);
    const rb = await b.done;
    expect(rb.code, rb.out + rb.err).toBe(1);
    expect(rb.out + rb.err).toContain(`create:web-01 is being run by apply pid ${a.child.pid} on this machine`);
    expect(localDomains(p.dir)).toEqual([]);

    writeFileSync(`${gate}.release`, '');
    const ra = await a.done;
    expect(ra.code, ra.out + ra.err).toBe(1);
    // B took the lock after the restart and let it go (its row gone too): that is still the connection lost, not a forced unlock.
    expect(ra.err).toContain('stopped: the state database went away; 1 step finished on the hypervisor but could not be recorded (create:web-01): the next plan settles it; recorded: 0 created');
    expect(ra.err).not.toContain('unlock --force');
    expect(localDomains(p.dir)).toEqual(['web-01@host-a']);

    const c = await p.run(['apply', '--auto-approve'], { env });
    expect(c.code, c.out + c.err).toBe(0);
    expect(localDomains(p.dir)).toEqual(['web-01@host-a']);
    // The step A ran was settled as done, not created again: nothing is left to do.
    const plan = await p.run(['plan', '--detailed-exitcode'], { env });
    expect(plan.code, plan.out + plan.err).toBe(0);
  });
});

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_REACHES_MS, LOCAL_HOST, localDomains, readState, spawnCli, stackSource, tempProject, waitFor, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'web-03', { role: 'web', vcpus: 1, memory: '1GiB' });
`);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('apply stopped by a signal', () => {
  let p: TempProject;
  let gate: string;
  let scriptPid: number | undefined;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
    gate = join(p.dir, 'gate');
  });
  afterEach(() => {
    // A held script is released (or gone) whatever the test did.
    writeFileSync(`${gate}.release`, '');
    if (scriptPid && alive(scriptPid)) process.kill(scriptPid, 'SIGKILL');
    p.cleanup();
  });

  const held = { HVKIT_LOCAL_FAULTS: '' };
  beforeEach(() => {
    held.HVKIT_LOCAL_FAULTS = JSON.stringify([{ verb: 'create', guest: 'web-01', gate }]);
  });

  /**
   * The pid of the held create script, once it waits at its gate. The script creates `.reached` and then
   * writes its pid into it: wait for the pid, not the file, or a read between the two gives pid 0, which
   * `alive()` takes for this test's own process group.
   */
  async function gateReached(): Promise<number> {
    const pid = () => (existsSync(`${gate}.reached`) ? /^(\d+)\n$/.exec(readFileSync(`${gate}.reached`, 'utf8'))?.[1] : undefined);
    await waitFor(() => pid() !== undefined, CLI_REACHES_MS, 'create web-01 to reach its gate');
    return Number(pid());
  }

  /** Apply, one step at a time, held inside the provider's create of web-01 until the test releases it. */
  async function heldApply() {
    const run = spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1'], held);
    let err = '';
    run.child.stderr.on('data', (d) => (err += d));
    scriptPid = await gateReached();
    return { ...run, err: () => err };
  }

  it('on SIGTERM starts no further step, lets the running one finish and records it, then exits 143 naming what is left', async () => {
    const run = await heldApply();
    run.child.kill('SIGTERM');
    await waitFor(() => run.err().includes('SIGTERM received'), 10_000, 'apply to acknowledge SIGTERM');
    expect(run.child.exitCode).toBe(null);
    // The script is in a process group of its own: the signal did not reach it.
    expect(alive(scriptPid!)).toBe(true);
    writeFileSync(`${gate}.release`, '');
    const r = await run.done;
    expect(r.code, r.err).toBe(143);
    expect(r.err).toContain('SIGTERM received: no further step starts; waiting for the running step to finish and be recorded: create:web-01 (send SIGTERM again to exit at once)\n');
    expect(r.err).toMatch(/\nApply stopped: interrupted by SIGTERM, after the running steps finished; recorded: 1 created, 0 updated, 0 migrated, 0 destroyed, 1 host step in \d+\.\ds; not started: create:web-02, create:web-03; run `hvkit plan` to see what is left\n$/);
    expect(localDomains(p.dir)).toEqual(['web-01@host-a']);
    const state = readState(p.dir);
    expect(Object.keys(state.guests)).toEqual(['web-01']);
    expect(state.inflight).toEqual({});

    const plan = await p.run(['plan', '--json']);
    expect(plan.code, plan.err).toBe(0);
    expect(JSON.parse(plan.out).hvkit.steps.map((s: { id: string }) => s.id)).toEqual(['create:web-02', 'create:web-03']);
  });

  it('on a second SIGTERM exits at once, stopping the running script and leaving its step in flight for the next plan to settle', async () => {
    const run = await heldApply();
    run.child.kill('SIGTERM');
    await waitFor(() => run.err().includes('SIGTERM received'), 10_000, 'apply to acknowledge SIGTERM');
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code, r.err).toBe(143);
    expect(r.err).toContain('SIGTERM again: exiting now; left in flight (their scripts were sent SIGTERM; the next plan settles them with the provider): create:web-01\n');
    await waitFor(() => !alive(scriptPid!), 10_000, 'the held script to be stopped');
    expect(Object.keys(readState(p.dir).inflight)).toEqual(['create:web-01']);
    expect(localDomains(p.dir)).toEqual([]);

    const plan = await p.run(['plan']);
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toMatch(/create:web-01 was in flight when apply \S+ stopped: web-01 was never created; the plan creates it/);
  });

  it('on a Ctrl-C at a terminal (SIGINT to its whole process group) the running script still finishes and is recorded; exit 130', async () => {
    // A process group of its own, as a shell gives a foreground job: the test signals the group as the terminal would.
    const child = spawn(process.execPath, [join(p.dir, 'bin', 'hvkit.mjs'), 'apply', '--auto-approve', '--parallelism', '1'], {
      cwd: p.dir, env: { ...process.env, NO_COLOR: '1', ...held }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.resume();
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    scriptPid = await gateReached();
    process.kill(-child.pid!, 'SIGINT');
    await waitFor(() => err.includes('SIGINT received'), 10_000, 'apply to acknowledge SIGINT');
    writeFileSync(`${gate}.release`, '');
    expect(await done, err).toBe(130);
    expect(err).toContain('not started: create:web-02, create:web-03');
    expect(localDomains(p.dir)).toEqual(['web-01@host-a']);
    expect(Object.keys(readState(p.dir).guests)).toEqual(['web-01']);
  });
});

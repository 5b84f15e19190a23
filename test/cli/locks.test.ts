import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../lib/state/file-store';
import { CLI_REACHES_MS, LOCAL_HOST, localDomains, readState, spawnCli, stateGuests, stackSource, tempProject, waitFor, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
`);

/** A pid that certainly ran on this machine and has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

describe('state locks from the command line', () => {
  let p: TempProject;
  let stateFile: string;
  let holders: { store: FileStateStore; id: string }[];
  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
    stateFile = join(p.dir, '.hvkit/state/tokyo.json');
    holders = [];
  });
  afterEach(async () => {
    // Stop the locks' refresh timers before their files go away.
    for (const h of holders) await h.store.unlock(h.id).catch(() => undefined);
    p.cleanup();
  });

  /** This test process takes the lock, as a running apply would: its holder is alive. */
  async function holdLock() {
    const store = new FileStateStore(stateFile);
    const held = await store.lock('apply');
    holders.push({ store, id: held.id });
    return held;
  }

  describe('state unlock', () => {
    it('refuses to release a lock whose holder still runs on this machine, and says how to force it', async () => {
      const held = await holdLock();
      const r = await p.run(['state', 'unlock', held.id, '--fleet', 'tokyo']);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`is held by ${held.who} (pid ${process.pid})`);
      expect(r.err).toContain('that process is still running: let it finish');
      expect(r.err).toContain(`hvkit state unlock ${held.id} --force`);
      expect(await new FileStateStore(stateFile).lockInfo()).toEqual(held);
    });

    it('releases a live holder’s lock with --force', async () => {
      const held = await holdLock();
      const r = await p.run(['state', 'unlock', held.id, '--fleet', 'tokyo', '--force']);
      expect(r.code, r.err).toBe(0);
      expect(await new FileStateStore(stateFile).lockInfo()).toBeUndefined();
    });

    it('releases the lock of a process that has exited, without --force', async () => {
      const held = await holdLock();
      const info = `${stateFile}.lockinfo`;
      writeFileSync(info, JSON.stringify({ ...held, pid: deadPid() }));
      const r = await p.run(['state', 'unlock', held.id, '--fleet', 'tokyo']);
      expect(r.code, r.err).toBe(0);
      expect(existsSync(`${stateFile}.lock`)).toBe(false);
    });

    it('refuses a lock held on another machine unless --force: hvkit cannot tell whether it runs', async () => {
      const held = await holdLock();
      writeFileSync(`${stateFile}.lockinfo`, JSON.stringify({ ...held, who: 'ops@build-07' }));
      const r = await p.run(['state', 'unlock', held.id, '--fleet', 'tokyo']);
      expect(r.code).toBe(1);
      expect(r.err).toContain('on another machine: hvkit cannot tell whether it still runs');
      expect((await p.run(['state', 'unlock', held.id, '--fleet', 'tokyo', '--force'])).code).toBe(0);
    });
  });

  describe('an apply whose lock is force-unlocked under it', () => {
    it('starts no further step, writes no more state, says why in one line, and the next plan and apply converge', async () => {
      const gate = join(p.dir, 'create-gate');
      const run = spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1'], { HVKIT_LOCAL_FAULTS: JSON.stringify([{ verb: 'create', gate }]) });
      await waitFor(() => existsSync(`${gate}.reached`), CLI_REACHES_MS, 'the first create to reach its gate');
      const id = JSON.parse(readFileSync(`${stateFile}.lockinfo`, 'utf8')).id;
      const unlock = await p.run(['state', 'unlock', id, '--fleet', 'tokyo', '--force']);
      expect(unlock.code, unlock.err).toBe(0);
      const serial = readState(p.dir).serial;
      writeFileSync(`${gate}.release`, '');
      const r = await run.done;

      expect(r.code).toBe(1);
      expect(r.err).toContain(
        `\n  the state lock on ${stateFile} was released by someone else (\`hvkit state unlock --force\`) while this apply held it: no further step was started; ` +
          'the steps that were running are recorded as in flight, and the next `hvkit plan` settles them with the provider\n',
      );
      expect(r.err).toContain('  not started: create:web-02');
      expect(r.err).not.toMatch(/Warning|\(node:/);
      expect(localDomains(p.dir)).toEqual(['web-01@host-a']);
      // Nothing was written after the lock was gone; the gated step stays in flight.
      expect(readState(p.dir).serial).toBe(serial);
      expect(Object.keys(readState(p.dir).inflight)).toEqual(['create:web-01']);
      expect(existsSync(`${stateFile}.lock`)).toBe(false);

      const plan = await p.run(['plan']);
      expect(plan.code, plan.err).toBe(0);
      expect(plan.out).toContain('create:web-01 was in flight when apply');
      const again = await p.run(['apply', '--auto-approve']);
      expect(again.code, again.err).toBe(0);
      expect(localDomains(p.dir).sort()).toEqual(['web-01@host-a', 'web-02@host-a']);
      expect(stateGuests(p.dir)).toEqual(['web-01@host-a', 'web-02@host-a']);
      expect((await p.run(['plan'])).out).toContain('No changes');
    });
  });

  describe('plan while an apply holds the lock', () => {
    /** A state with create:web-01 in flight, as an apply leaves it between intent and result. */
    async function stateWithInflight(): Promise<void> {
      const r = await spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1'], { HVKIT_TEST_CRASH_AT: 'after-intent:create:web-01' }).done;
      expect(r.signal).toBe('SIGKILL');
      const id = JSON.parse(readFileSync(`${stateFile}.lockinfo`, 'utf8')).id;
      expect((await p.run(['state', 'unlock', id, '--fleet', 'tokyo'])).code).toBe(0);
    }

    it('settles nothing of a live apply and says an apply is running, as of which serial', async () => {
      await stateWithInflight();
      const serial = JSON.parse(readFileSync(stateFile, 'utf8')).serial;
      const held = await holdLock();
      const plan = await p.run(['plan']);
      expect(plan.out).not.toContain('was in flight when apply');
      expect(plan.out).toContain(`an apply (pid ${process.pid}, ${held.who}, since ${held.created}) is running; this plan shows the state as of serial ${serial}, with 1 step of it in flight`);
      // The reader wrote nothing: the intent is still there for the apply (or its recovery).
      expect(Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).inflight)).toEqual(['create:web-01']);
    });

    it('settles a dead apply’s in-flight steps once nobody holds the lock', async () => {
      await stateWithInflight();
      const plan = await p.run(['plan']);
      expect(plan.out).toContain('create:web-01 was in flight when apply');
      expect(plan.out).not.toContain('is running; this plan shows');
    });
  });

  describe('--lock-timeout', () => {
    it.each([
      [['--lock-timeout', '200ms']],
      [['--lock-timeout=200ms']],
      [['-lock-timeout=200ms']],
    ])('waits, then fails naming the holder (%j)', async (flag) => {
      const held = await holdLock();
      const r = await p.run(['apply', '--auto-approve', ...flag]);
      expect(r.code).toBe(1);
      expect(r.err).toContain('Waiting up to 200ms for the state lock held by');
      expect(r.err).toContain(`is locked by ${held.who} (pid ${process.pid}) since ${held.created} for 'apply' (lock ID ${held.id}) (gave up after waiting 200ms)`);
    });

    it('fails at once without it, and says the option exists', async () => {
      await holdLock();
      const r = await p.run(['refresh', '--no-stats']);
      expect(r.code).toBe(1);
      expect(r.err).toContain('(or pass --lock-timeout 2m to wait for it)');
      expect(r.err).not.toContain('Waiting');
    });

    it('takes the lock as soon as the holder lets go', async () => {
      const store = new FileStateStore(stateFile);
      const held = await store.lock('apply');
      holders.push({ store, id: held.id });
      const run = spawnCli(p.dir, ['refresh', '--lock-timeout', '2m']);
      let err = '';
      run.child.stderr.on('data', (d) => (err += d));
      await waitFor(() => err.includes('Waiting up to 2m for the state lock'), CLI_REACHES_MS, 'refresh to wait for the lock');
      await store.unlock(held.id);
      const r = await run.done;
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('Refreshed 1 host');
    });

    it('refuses a duration it cannot read', async () => {
      const r = await p.run(['import', 'web-01', '--lock-timeout', 'soon']);
      expect(r.code).toBe(1);
      expect(r.err).toBe("Error: --lock-timeout must be a duration such as 500ms, 30s or 2m, got 'soon'\n");
    });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, localDomains, readState, stackSource, stateGuests, tempProject, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
const b = new Host(fleet, 'host-b', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB', disks: [{ size: '10GiB', on: 'sda' }] });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(b, 'db-01', { role: 'db', vcpus: 2, memory: '2GiB' });
`);
const STATE = join('.hvkit', 'state', 'tokyo.json');

describe('hvkit state list | rm | mv', () => {
  let p: TempProject;
  beforeEach(async () => {
    p = tempProject();
    p.writeStack(STACK);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
  });
  afterEach(() => p.cleanup());

  it('list prints one construct path a line, each host followed by its guests', async () => {
    const r = await p.run(['state', 'list']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('tokyo/host-a\ntokyo/host-a/web-01\ntokyo/host-a/web-02\ntokyo/host-b\ntokyo/host-b/db-01\n');
  });

  it('rm takes what list prints, forgets the guest without touching the hypervisor, and keeps a backup', async () => {
    const previous = readFileSync(join(p.dir, STATE), 'utf8');
    const r = await p.run(['state', 'rm', 'tokyo/host-a/web-02']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Removed tokyo/host-a/web-02\n');
    expect(r.out).toContain('nothing on the hypervisors was touched');
    expect(stateGuests(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a']);
    expect(localDomains(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a', 'web-02@host-a']);
    expect(readFileSync(join(p.dir, `${STATE}.backup`), 'utf8')).toBe(previous);
  });

  it('rm then import restores the record as it was', async () => {
    const before = readState(p.dir).guests['web-02'];
    expect((await p.run(['state', 'rm', 'web-02'])).code).toBe(0);
    const plan = await p.run(['plan']);
    expect(plan.out).toMatch(/\+ create web-02/);
    const r = await p.run(['import', 'web-02']);
    expect(r.code, r.err).toBe(0);
    expect(readState(p.dir).guests['web-02']).toEqual(before);
    const again = await p.run(['plan', '--detailed-exitcode']);
    expect(again.code, again.out).toBe(0);
  });

  it('rm of an unknown address is one line naming the closest record, and changes nothing', async () => {
    const serial = readState(p.dir).serial;
    const r = await p.run(['state', 'rm', 'web-1']);
    expect(r.code).toBe(1);
    expect(r.err).toBe("Error: state rm web-1: no guest or host of that name or construct path in state; did you mean 'web-01'?\n");
    expect(readState(p.dir).serial).toBe(serial);
  });

  it('rm waits for a held lock as long as --lock-timeout says, then names its holder', async () => {
    const { FileStateStore } = await import('../../lib/state/file-store');
    const other = new FileStateStore(join(p.dir, STATE));
    const held = await other.lock('apply');
    try {
      const r = await p.run(['state', 'rm', 'web-02', '--lock-timeout', '200ms']);
      expect(r.code).toBe(1);
      expect(r.err).toContain("for 'apply'");
      expect(r.err).toContain('gave up after waiting');
    } finally {
      await other.unlock(held.id);
    }
  });

  it('mv renames a guest record on its host, and list shows its new path', async () => {
    const r = await p.run(['state', 'mv', 'web-02', 'web-12']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Moved tokyo/host-a/web-02 to tokyo/host-a/web-12');
    expect((await p.run(['state', 'list'])).out).toContain('tokyo/host-a/web-12\n');
    expect(stateGuests(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a', 'web-12@host-a']);
  });

  it('mv refuses a NEW on another host, and one that exists', async () => {
    const to = await p.run(['state', 'mv', 'web-02', 'tokyo/host-b/web-02']);
    expect(to.code).toBe(1);
    expect(to.err).toContain('state mv keeps a guest on its host (host-a)');
    const taken = await p.run(['state', 'mv', 'web-02', 'web-01']);
    expect(taken.code).toBe(1);
    expect(taken.err).toContain('state already records a guest web-01');
  });

  it('mv refuses an OLD and NEW that name the same guest, in one line that does not advise removing it', async () => {
    const serial = readState(p.dir).serial;
    for (const [from, to] of [['web-02', 'web-02'], ['tokyo/host-a/web-02', 'web-02']]) {
      const r = await p.run(['state', 'mv', from, to]);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`Error: state mv ${from} ${to}: OLD and NEW are the same guest (tokyo/host-a/web-02): nothing to move. Nothing was changed\n`);
    }
    expect(readState(p.dir).serial).toBe(serial);
    expect(stateGuests(p.dir)).toContain('web-02@host-a');
  });

  it('list of no state prints nothing, notes it on stderr and exits 0, as terraform state list does', async () => {
    const r = await p.run(['state', 'list', '--state', 'nowhere.json']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toContain('Note: there is no state at');
  });

  it('rm and mv say there is no state when there is none', async () => {
    for (const args of [['state', 'rm', 'web-01'], ['state', 'mv', 'web-01', 'web-11']]) {
      const r = await p.run([...args, '--state', 'nowhere.json']);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toContain('there is no state at');
    }
  });
});

import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, localDomains, localHostDir, readState, spawnCli, stackSource, stateGuests, tempProject, type TempProject } from '../helpers/project';

const stack = (web: string) => stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, ${web});
new Guest(a, 'db-01', { role: 'db', vcpus: 1, memory: '512MiB' });
`);
const BEFORE = stack(`'web-02', { role: 'web', vcpus: 1, memory: '512MiB', disks: [{ size: '1GiB', on: 'sda' }] }`);
const RENAMED = stack(`'web-03', { role: 'web', vcpus: 1, memory: '512MiB', disks: [{ size: '1GiB', on: 'sda' }], movedFrom: 'web-02' }`);
const RENAMED_GROWN = stack(`'web-03', { role: 'web', vcpus: 2, maxVcpus: 2, memory: '512MiB', disks: [{ size: '1GiB', on: 'sda' }], movedFrom: 'web-02' }`);

/**
 * `movedFrom` end to end on the local simulator: the domain keeps its UUID
 * and its disk image (bytes and all) under the new name, and state moves its
 * record in one write.
 */
describe('rename a guest with movedFrom (local provider)', () => {
  let p: TempProject;
  const image = (guest: string) => join(`${localHostDir(p.dir, 'host-a')}.disks`, `${guest}-sda-0.img`);
  const domain = (guest: string) => JSON.parse(readFileSync(join(localHostDir(p.dir, 'host-a'), `${guest}.json`), 'utf8'));

  beforeEach(async () => {
    p = tempProject();
    p.writeStack(BEFORE);
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err).toBe(0);
    writeFileSync(image('web-02'), 'the data of web-02\n');
  });
  afterEach(() => p.cleanup());

  it('renames the domain and its disk, keeping its UUID and bytes, and the next plan is "No changes"', async () => {
    const uuid = domain('web-02').uuid;
    p.writeStack(RENAMED);
    const plan = await p.run(['plan']);
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toContain('~ rename web-02 → web-03 on host-a');
    expect(plan.out).toContain('1 to rename');
    expect(plan.out).not.toContain('destroy web-02');
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
    expect(localDomains(p.dir)).toEqual(['db-01@host-a', 'web-03@host-a']);
    expect(domain('web-03')).toMatchObject({ uuid, running: true });
    expect(readFileSync(image('web-03'), 'utf8')).toBe('the data of web-02\n');
    expect(existsSync(image('web-02'))).toBe(false);
    expect(stateGuests(p.dir)).toEqual(['db-01@host-a', 'web-03@host-a']);
    expect(readState(p.dir).guests['web-03'].spec.uuid).toBe(uuid);
    const again = await p.run(['plan', '--detailed-exitcode']);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('No changes');
  });

  it('renames first, then applies a change on top as its own step', async () => {
    p.writeStack(RENAMED_GROWN);
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
    expect(domain('web-03')).toMatchObject({ vcpus: 2 });
    expect(readFileSync(image('web-03'), 'utf8')).toBe('the data of web-02\n');
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('renames with --target naming the new name (the old record goes along)', async () => {
    p.writeStack(RENAMED);
    const r = await p.run(['apply', '--auto-approve', '--target', 'web-03']);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toContain('rename:web-03');
    expect(r.out).not.toContain('destroy:web-02');
    expect(localDomains(p.dir)).toEqual(['db-01@host-a', 'web-03@host-a']);
    expect(readFileSync(image('web-03'), 'utf8')).toBe('the data of web-02\n');
  });

  it('converges after kill -9 at the rename step, before or after its script', async () => {
    for (const point of ['after-intent:rename:web-03', 'after-script:rename:web-03']) {
      p.writeStack(point.startsWith('after-intent') ? RENAMED : BEFORE);
      if (point.startsWith('after-script')) {
        // Back to web-02 for the second crash point: undo the rename the first round applied.
        const back = await p.run(['apply', '--auto-approve']);
        expect(back.code, back.err + back.out).toBe(0);
        writeFileSync(image('web-02'), 'the data of web-02\n');
        p.writeStack(RENAMED);
      }
      const crashed = await spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1'], { HVKIT_TEST_CRASH_AT: point }).done;
      expect(crashed.signal, point).toBe('SIGKILL');
      expect(Object.keys(readState(p.dir).inflight)).toEqual(['rename:web-03']);
      const id = JSON.parse(readFileSync(join(p.dir, '.hvkit/state/tokyo.json.lockinfo'), 'utf8')).id;
      expect((await p.run(['state', 'unlock', id, '--fleet', 'tokyo'])).code).toBe(0);
      const plan = await p.run(['plan']);
      expect(plan.out).toContain('rename:web-03 was in flight when apply');
      const r = await p.run(['apply', '--auto-approve']);
      expect(r.code, r.err + r.out).toBe(0);
      // No orphan (a domain state does not know), no phantom (a record without a domain).
      expect(localDomains(p.dir)).toEqual(['db-01@host-a', 'web-03@host-a']);
      expect(stateGuests(p.dir)).toEqual(['db-01@host-a', 'web-03@host-a']);
      expect(readState(p.dir).inflight).toEqual({});
      expect(readFileSync(image('web-03'), 'utf8'), point).toBe('the data of web-02\n');
      expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
    }
  });
});

describe('rename with a provider that cannot rename', () => {
  let p: TempProject;
  beforeEach(async () => {
    p = tempProject();
    // A user's own providers folder: the local scripts without `rename`.
    cpSync(join(p.dir, 'providers'), join(p.dir, 'my-providers'), { recursive: true });
    rmSync(join(p.dir, 'my-providers', 'local', 'rename'));
    p.writeStack(BEFORE);
    expect((await p.run(['apply', '--auto-approve'], { env: { HVKIT_PROVIDERS_DIR: 'my-providers' } })).code).toBe(0);
  });
  afterEach(() => p.cleanup());

  it('says so and plans a destroy and a create, which a saved plan re-derives the same way', async () => {
    const env = { HVKIT_PROVIDERS_DIR: 'my-providers' };
    p.writeStack(RENAMED);
    const plan = await p.run(['plan', '--out', 'plan.json'], { env });
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toContain('provider local cannot rename: web-02 will be destroyed and created as web-03 (its data is lost)');
    expect(plan.out).toContain('destroy web-02 on host-a');
    expect(plan.out).toContain('create web-03 on host-a');
    const r = await p.run(['apply', 'plan.json'], { env });
    expect(r.code, r.err + r.out).toBe(0);
    expect(localDomains(p.dir)).toEqual(['db-01@host-a', 'web-03@host-a']);
    // With the rename script back, the saved plan is no longer the plan code and state give: apply refuses it.
    p.writeStack(BEFORE);
    expect((await p.run(['apply', '--auto-approve'], { env })).code).toBe(0);
    p.writeStack(RENAMED);
    expect((await p.run(['plan', '--out', 'plan2.json'], { env })).code).toBe(0);
    const other = await p.run(['apply', 'plan2.json']);
    expect(other.code).not.toBe(0);
    expect(other.err).toContain('the saved plan is not the plan its code and state give');
  });
});

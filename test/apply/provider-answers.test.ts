import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, localDomains, localHostDir, readState, stackSource, stateGuests, tempProject, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
`);

/** A copy of the local provider in `broken/` whose `verb` script is replaced by `script`. */
function breakVerb(p: TempProject, verb: string, script: string): NodeJS.ProcessEnv {
  cpSync(join(p.dir, 'providers'), join(p.dir, 'broken'), { recursive: true });
  writeFileSync(join(p.dir, 'broken', 'local', verb), script);
  chmodSync(join(p.dir, 'broken', 'local', verb), 0o755);
  return { HVKIT_PROVIDERS_DIR: 'broken' };
}

describe('apply checks what providers answer', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
  });
  afterEach(() => p.cleanup());

  it.each([
    ['prints nothing', '#!/bin/sh\ncat > /dev/null\n'],
    ['prints garbage', '#!/bin/sh\ncat > /dev/null\necho "created, probably"\n'],
    ['names another domain', '#!/bin/sh\ncat > /dev/null\necho \'{"ok":true,"domain":"other"}\'\n'],
  ])('does not record a guest whose create exits 0 but %s', async (_how, script) => {
    const r = await p.run(['apply', '--auto-approve'], { env: breakVerb(p, 'create', script) });
    expect(r.code).toBe(1);
    expect(r.err).toContain('create:web-01 failed: create exited 0 but');
    expect(r.err).toContain('{"ok":true,"domain":"web-01"}');
    expect(stateGuests(p.dir)).toEqual([]);
    expect((await p.run(['plan', '--json'])).out).toContain('"create:web-01"');
  });

  it('takes a guest out of state again when create claims it but `list` does not show it', async () => {
    const r = await p.run(['apply', '--auto-approve'], { env: breakVerb(p, 'create', '#!/bin/sh\ncat > /dev/null\necho "{\\"ok\\":true,\\"domain\\":\\"$4\\"}"\n') });
    expect(r.code).toBe(1);
    expect(r.err).toContain('create:web-01 failed: the provider answered that it was done, but `list` on host-a does not show web-01: not recorded');
    expect(stateGuests(p.dir)).toEqual([]);
    expect(readState(p.dir).lastApply.failed.map((f: { step: string }) => f.step)).toEqual(['create:web-01', 'create:web-02']);
    // The real provider then creates them: confirmed, recorded.
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(stateGuests(p.dir)).toEqual(localDomains(p.dir));
  });

  it('keeps a guest recorded on its source host when migrate claims success but did not move it', async () => {
    const two = (on: string) => stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
const b = new Host(fleet, 'host-b', ${LOCAL_HOST});
new Guest(${on}, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
`);
    p.writeStack(two('a'));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    p.writeStack(two('b'));
    const r = await p.run(['apply', '--auto-approve'], { env: breakVerb(p, 'migrate', '#!/bin/sh\ncat > /dev/null\necho \'{"ok":true}\'\n') });
    expect(r.code).toBe(1);
    expect(r.err).toContain('migrate:web-01 failed: the provider answered that it was done, but `list` on host-b does not show web-01: not recorded (still recorded on host-a)');
    expect(stateGuests(p.dir)).toEqual(['web-01@host-a']);
    expect(localDomains(p.dir)).toEqual(['web-01@host-a']);
  });

  it('confirms with one `list` per host, not one per step', async () => {
    const env = breakVerb(p, 'list', `#!/bin/sh\necho x >> "${p.dir}/list-calls"\nexec "$(dirname "$0")/../../providers/local/list" "$@"\n`);
    expect((await p.run(['apply', '--auto-approve'], { env })).code).toBe(0);
    expect(readFileSync(join(p.dir, 'list-calls'), 'utf8')).toBe('x\n');
  });
});

describe('host steps check the host against the code', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
  });
  afterEach(() => p.cleanup());

  /** The machine exists before hvkit first asks: built smaller than the code says. */
  function rack(host: string, machine: Record<string, unknown>) {
    mkdirSync(localHostDir(p.dir, host), { recursive: true });
    writeFileSync(join(localHostDir(p.dir, host), 'host.json'), JSON.stringify({ name: host, fleet: 'tokyo', ...machine }));
  }

  it('stops at add-host, before any guest is created, on a host smaller than the code', async () => {
    p.writeStack(STACK);
    rack('host-a', { memoryMiB: 2048, cpus: 4, threads: 4, disks: [{ name: 'sda', sizeMiB: 51200 }] });
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('add-host:host-a failed: host-a is smaller than the code says: 2GiB of memory installed, the code says 4GiB; 4 hardware threads, the code says 8; disk sda of 50GiB, the code says 100GiB. Nothing was created on it');
    expect(r.err).toContain('not started because a step they depend on failed: create:web-01, create:web-02');
    expect(localDomains(p.dir)).toEqual([]);
  });

  it('names a disk the host does not have', async () => {
    p.writeStack(STACK);
    rack('host-a', { memoryMiB: 4096, cpus: 8, threads: 8, disks: [{ name: 'sdb', sizeMiB: 102400 }] });
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.err).toContain('host-a is smaller than the code says: no disk sda (the code has 100GiB)');
  });

  it('accepts a host with more than the code says', async () => {
    p.writeStack(STACK);
    rack('host-a', { memoryMiB: 8192, cpus: 16, threads: 16, disks: [{ name: 'sda', sizeMiB: 204800 }] });
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
  });

  it('reports the threads and disks of a host it racks from code', async () => {
    p.writeStack(STACK);
    await p.run(['apply', '--auto-approve']);
    expect(JSON.parse(readFileSync(join(localHostDir(p.dir, 'host-a'), 'host.json'), 'utf8'))).toEqual({
      name: 'host-a', fleet: 'tokyo', memoryMiB: 4096, cpus: 8, threads: 8, disks: [{ name: 'sda', sizeMiB: 102400 }],
    });
  });
});

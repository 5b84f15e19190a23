import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, localDomains, readState, stackSource, stateGuests, tempProject, type TempProject } from '../helpers/project';

// A host and a guest share the name `cache`, so a bare `cache` is ambiguous everywhere.
const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
const c = new Host(fleet, 'cache', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(c, 'cache', { role: 'cache', vcpus: 1, memory: '1GiB' });
`);

/** Each command that takes a guest address, as the command line gives it one. */
const COMMANDS: Record<string, (address: string) => string[]> = {
  'state rm': (a) => ['state', 'rm', a],
  'state mv': (a) => ['state', 'mv', a, 'web-11'],
  '--target': (a) => ['plan', '--target', a],
  stop: (a) => ['stop', a],
};

describe('guest addresses on the command line', () => {
  let p: TempProject;
  beforeEach(async () => {
    p = tempProject();
    p.writeStack(STACK);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
  });
  afterEach(() => p.cleanup());

  it('state rm, state mv, --target and stop take a name, a construct path and a Terraform resource address alike', async () => {
    const rm = await p.run(['state', 'rm', 'null_resource.guest_web-02']);
    expect(rm.err).toBe('');
    expect(rm.out).toContain('Removed tokyo/host-a/web-02\n');
    expect(stateGuests(p.dir)).toEqual(['cache@cache', 'web-01@host-a']);

    const mv = await p.run(['state', 'mv', 'tokyo/host-a/web-01', 'null_resource.guest_web-11']);
    expect(mv.err).toBe('');
    expect(mv.out).toContain('Moved tokyo/host-a/web-01 to tokyo/host-a/web-11');
    expect((await p.run(['state', 'mv', 'null_resource.guest_web-11', 'web-01'])).code).toBe(0);

    for (const target of ['web-01', 'tokyo/host-a/web-01', 'null_resource.guest_web-01', 'terraform_data.guest_web-01']) {
      const plan = await p.run(['plan', '--target', target]);
      expect(plan.err, target).toBe('');
      expect(plan.out, target).toContain('Resource targeting is in effect');
    }

    for (const guest of ['tokyo/host-a/web-01', 'null_resource.guest_web-01']) {
      const stop = await p.run(['stop', guest, '--force']);
      expect(stop.err, guest).toBe('');
      expect(stop.out, guest).toBe('Stopped web-01 on host-a; state records it stopped.\n');
      expect((await p.run(['start', 'web-01'])).code).toBe(0);
    }
    expect(readState(p.dir).guests['web-01'].power).toMatchObject({ state: 'running' });
    expect(localDomains(p.dir)).toEqual(['cache@cache', 'web-01@host-a', 'web-02@host-a']);
  });

  it('every command words an unknown address the same, naming the closest guest', async () => {
    for (const [cmd, args] of Object.entries(COMMANDS)) {
      const r = await p.run(args('web-1'));
      expect(r.code, cmd).toBe(1);
      expect(r.err, cmd).toMatch(new RegExp(`^Error: ${cmd} web-1: no guest or host of that name or construct path in (code or )?state; did you mean 'web-01'\\?\\n$`));
    }
  });

  it('every command suggests nothing for an address far from every name', async () => {
    for (const [cmd, args] of Object.entries(COMMANDS)) {
      const r = await p.run(args('zzz'));
      expect(r.err, cmd).toMatch(new RegExp(`^Error: ${cmd} zzz: no guest or host of that name or construct path in (code or )?state; \`hvkit state list\` shows what state records\\n$`));
    }
  });

  it('every command asks for the construct path when a host and a guest share the name', async () => {
    const serial = readState(p.dir).serial;
    for (const [cmd, args] of Object.entries(COMMANDS)) {
      const r = await p.run(args('cache'));
      expect(r.err, cmd).toBe(`Error: ${cmd} cache: names both a host and a guest; give the construct path of the one you mean (tokyo/cache or tokyo/cache/cache)\n`);
    }
    expect(readState(p.dir).serial).toBe(serial);
  });
});

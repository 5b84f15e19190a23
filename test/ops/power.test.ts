import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, localHostDir, readState, stackSource, tempProject, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'db-01', { role: 'db', vcpus: 1, memory: '1GiB' });
`);

describe('hvkit start | stop | reboot on the local provider', () => {
  let p: TempProject;
  const domain = (g: string) => JSON.parse(readFileSync(join(localHostDir(p.dir, 'host-a'), `${g}.json`), 'utf8'));
  const consoleLog = (g: string) => (domain(g).console as string[]).map((l) => `${l}\n`).join('');
  const recorded = (g: string) => readState(p.dir).guests[g].power;
  beforeEach(async () => {
    p = tempProject();
    p.writeStack(STACK);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
  });
  afterEach(() => p.cleanup());

  it('stops a guest on its recorded host, shuts the simulated domain off and records it stopped', async () => {
    const r = await p.run(['stop', 'web-01']);
    expect(r.err).toBe('');
    expect(r.out).toBe('Stopped web-01 on host-a; state records it stopped.\n');
    expect(r.code).toBe(0);
    expect(domain('web-01').running).toBe(false);
    expect(domain('db-01').running).toBe(true);
    expect(recorded('web-01')).toMatchObject({ state: 'stopped', by: 'command' });
    expect(Date.parse(recorded('web-01').at)).not.toBeNaN();
    expect((await p.run(['guests'])).out).toMatch(/│ web-01 +│ host-a +│ web +│ 1 +│ 1GiB +│ stopped +│/);
  });

  it('starts a stopped guest again and records it running', async () => {
    await p.run(['stop', 'web-01']);
    const r = await p.run(['start', 'web-01']);
    expect(r.out).toBe('Started web-01 on host-a; state records it running.\n');
    expect(domain('web-01').running).toBe(true);
    expect(recorded('web-01')).toMatchObject({ state: 'running', by: 'command' });
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('reboots a running guest: it still runs, and its console log shows the reboot', async () => {
    const r = await p.run(['reboot', 'web-01']);
    expect(r.code, r.err).toBe(0);
    expect(domain('web-01')).toMatchObject({ running: true, boots: 2 });
    expect(consoleLog('web-01')).toBe('[web-01] booted\n[web-01] rebooted\n');
    expect(recorded('web-01')).toMatchObject({ state: 'running' });
  });

  it('refuses to reboot a stopped guest in one line, and records nothing', async () => {
    await p.run(['stop', 'web-01']);
    const serial = readState(p.dir).serial;
    const r = await p.run(['reboot', 'web-01']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error: reboot web-01 on host-a failed (exit 6: web-01 is not running on host-a: start it instead)\n');
    expect(readState(p.dir).serial).toBe(serial);
  });

  it('names the closest guest for an unknown one', async () => {
    const r = await p.run(['stop', 'web-1']);
    expect(r.code).toBe(1);
    expect(r.err).toBe("Error: stop web-1: no guest or host of that name or construct path in code or state; did you mean 'web-01'?\n");
  });

  it('powers a guest off with --force: nothing is removed', async () => {
    expect((await p.run(['stop', 'web-01', '--force'])).code).toBe(0);
    expect(domain('web-01').running).toBe(false);
    expect(consoleLog('web-01')).toContain('powered off (forced)');
  });

  it('waits for the state lock with --lock-timeout and names its holder when it is not released', async () => {
    const { FileStateStore } = await import('../../lib/state/file-store');
    const store = new FileStateStore(join(p.dir, '.hvkit/state/tokyo.json'));
    const lock = await store.lock('apply');
    try {
      const r = await p.run(['stop', 'web-01', '--lock-timeout', '300ms']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/Waiting up to 300ms for the state lock/);
      expect(r.err).toContain("'apply'");
      expect(domain('web-01').running).toBe(true);
    } finally {
      await store.unlock(lock.id);
    }
  });

  it('asks the host given with --host about a guest state does not record, and records nothing', async () => {
    p.writeStack(STACK.replace("new Guest(a, 'db-01'", "new Guest(a, 'cache-01', { role: 'memcached', vcpus: 1, memory: '256MiB' });\nnew Guest(a, 'db-01'"));
    const notDeployed = await p.run(['start', 'cache-01']);
    expect(notDeployed.err).toBe('Error: cache-01 is not deployed (code places it on host-a): `hvkit apply` creates it; pass --host HOST if it runs there outside hvkit\n');
    const r = await p.run(['start', 'cache-01', '--host', 'host-a']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error: start cache-01 on host-a failed (exit 2: no domain cache-01 on host-a)\n');
  });
});

describe('hvkit console on the local provider', () => {
  let p: TempProject;
  beforeEach(async () => {
    p = tempProject();
    p.writeStack(STACK);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
  });
  afterEach(() => p.cleanup());

  it('prints the console command shell-quoted when there is no terminal, or with --print', async () => {
    const want = `${p.dir}/providers/local/console-log .hvkit/local/tokyo/host-a/web-01.json\n`;
    expect((await p.run(['console', 'web-01'])).out).toBe(want);
    expect((await p.run(['console', 'web-01', '--print'], { tty: true })).out).toBe(want);
  });

  it('runs it on a terminal: the simulated console shows what the guest did', async () => {
    await p.run(['reboot', 'web-01']);
    // `script` gives hvkit a pseudo-terminal, as an operator's shell would.
    const r = spawnSync('script', ['-qec', `${process.execPath} bin/hvkit.mjs console web-01`, '/dev/null'], { cwd: p.dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout.replace(/\r/g, '')).toBe('[web-01] booted\n[web-01] rebooted\n');
  });
});

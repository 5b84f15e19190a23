import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, localDomains, localHostDir, readState, stateGuests, tempProject, type TempProject } from '../helpers/project';

const host = (tags: string) => LOCAL_HOST.replace(/ }$/, `, tags: ${tags} }`);

/** Two racks; web-09 may run on either (declared in the Fleet), api-01 only on rack b (a HostGroup). */
const STACK = [
  "import { App, Fleet, Guest, Host, HostGroup } from 'hvkit';",
  'const app = new App();',
  "const fleet = new Fleet(app, 'tokyo', { provider: 'local' });",
  `new Host(fleet, 'host-a', ${host("{ rack: 'a' }")});`,
  `new Host(fleet, 'host-b', ${host("{ rack: 'b' }")});`,
  "new Guest(fleet, 'web-09', { role: 'web', vcpus: 1, memory: '1GiB', disks: [{ size: '10GiB' }] });",
  "const rackB = new HostGroup(fleet, 'rack-b', { selector: { rack: 'b' } });",
  "new Guest(rackB, 'api-01', { role: 'api', vcpus: 1, memory: '512MiB' });",
  'app.synth();',
  '',
].join('\n');

describe('hvkit import of a guest hvkit places (declared without a host)', () => {
  let p: TempProject;
  const domainFile = (h: string, g: string) => join(localHostDir(p.dir, h), `${g}.json`);
  const hostOf = (g: string) => stateGuests(p.dir).find((x) => x.startsWith(`${g}@`))!.split('@')[1];
  beforeEach(async () => {
    p = tempProject();
    p.writeStack(STACK);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
  });
  afterEach(() => p.cleanup());

  it('state rm then import restores the record on the host that runs it, and the next plan says No changes', async () => {
    const where = hostOf('web-09');
    const before = readState(p.dir).guests['web-09'];
    expect((await p.run(['state', 'rm', 'web-09'])).code).toBe(0);
    expect((await p.run(['plan'])).out).toMatch(/\+ create web-09/);
    const r = await p.run(['import', 'web-09']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`Imported web-09 on ${where} (1GiB of 1GiB, 1 of 1 vCPUs, running). Run \`hvkit plan\` to see what differs from code.\n`);
    expect(r.err).toBe('');
    expect(readState(p.dir).guests['web-09']).toEqual(before);
    const plan = await p.run(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.out).toBe(0);
    expect(plan.out).toContain('No changes.');
    expect(hostOf('web-09')).toBe(where);
    expect(localDomains(p.dir)).toEqual(['api-01@host-b', `web-09@${where}`]);
  });

  it('refresh says code declares a placed guest state has forgotten, and the plan says to import it', async () => {
    const where = hostOf('web-09');
    expect((await p.run(['state', 'rm', 'web-09'])).code).toBe(0);
    const r = await p.run(['refresh', '--no-stats']);
    expect(r.out).toContain(`! ${where} runs web-09, which state does not know but code declares (without a host: hvkit places it)\n`);
    const plan = await p.run(['plan']);
    expect(plan.out).toContain('Error: tokyo/web-09: a domain named web-09 already runs on');
    expect(plan.out).toContain('adopt it with `hvkit import web-09`');
    expect((await p.run(['import', 'web-09'])).code).toBe(0);
    expect((await p.run(['refresh', '--no-stats'])).out).toContain('No drift');
  });

  it('refuses in one line a --host that does not carry the guest\'s selector', async () => {
    expect((await p.run(['state', 'rm', 'api-01'])).code).toBe(0);
    const serial = readState(p.dir).serial;
    const r = await p.run(['import', 'api-01', '--host', 'host-a']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error: --host host-a cannot run api-01: tokyo/rack-b/api-01 may run only on hosts of provider local with tags rack=b, and host-a is of provider local with tags rack=a\n');
    expect(readState(p.dir).serial).toBe(serial);
  });

  it('imports from the --host named when it runs the guest', async () => {
    expect((await p.run(['state', 'rm', 'api-01'])).code).toBe(0);
    const r = await p.run(['import', 'api-01', '--host', 'host-b']);
    expect(r.code, r.err).toBe(0);
    expect(stateGuests(p.dir)).toContain('api-01@host-b');
  });

  it('names every host that runs the guest and asks for --host, then imports the copy named', async () => {
    const where = hostOf('web-09');
    const other = where === 'host-a' ? 'host-b' : 'host-a';
    expect((await p.run(['state', 'rm', 'web-09'])).code).toBe(0);
    copyFileSync(domainFile(where, 'web-09'), domainFile(other, 'web-09'));
    const r = await p.run(['import', 'web-09']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error: web-09 runs on host-a and host-b: import one with --host HOST (the copy with the current data), and destroy the other by hand\n');
    expect(stateGuests(p.dir)).not.toContain(`web-09@${where}`);
    rmSync(domainFile(other, 'web-09'));
    const named = await p.run(['import', 'web-09', '--host', where]);
    expect(named.code, named.err).toBe(0);
    expect(hostOf('web-09')).toBe(where);
  });

  it('says so when no host the guest may run on runs it', async () => {
    expect((await p.run(['state', 'rm', 'web-09'])).code).toBe(0);
    for (const h of ['host-a', 'host-b']) rmSync(domainFile(h, 'web-09'), { force: true });
    const r = await p.run(['import', 'web-09']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error: no domain named web-09 runs on the hosts it may run on (asked host-a, host-b): nothing to import; `hvkit apply` creates it\n');
  });

  it('records the guest where it runs even when its host cannot keep it beside what code puts there, and warns', async () => {
    expect((await p.run(['state', 'rm', 'api-01'])).code).toBe(0);
    p.writeStack(STACK.replace('app.synth();', "new Guest(fleet.node.findChild('host-b') as Host, 'db-01', { role: 'db', vcpus: 1, memory: '3.5GiB' });\napp.synth();"));
    const r = await p.run(['import', 'api-01']);
    expect(r.code, r.err).toBe(0);
    expect(stateGuests(p.dir)).toContain('api-01@host-b');
    expect(r.err).toMatch(/^Warning: api-01 is recorded on host-b, where it runs, but host-b cannot keep it: api-01 fits no host: needs .*\n$/);
  });

  it('keeps --host for placed guests: a guest code puts in a Host is looked for there', async () => {
    p.writeStack(STACK.replace('app.synth();', "new Guest(fleet.node.findChild('host-a') as Host, 'db-01', { role: 'db', vcpus: 1, memory: '512MiB' });\napp.synth();"));
    const r = await p.run(['import', 'db-01', '--host', 'host-b']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error: db-01 is declared on host-a in code (tokyo/host-a/db-01), so import looks for it there: --host is for guests hvkit places; leave it out, or move the guest in code\n');
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, stackSource, tempProject, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
const b = new Host(fleet, 'host-b', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB', disks: [{ size: '10GiB', on: 'sda' }] });
new Guest(b, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
`);
const TYPO = STACK.replace("new Guest(b, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });", "new Guest(b, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB', maxMemroy: '2GiB' });");
/** host-a has 4 GiB: three 2 GiB guests are valid code that does not fit. */
const OVER = STACK.replace("memory: '1GiB', disks", "memory: '2GiB', disks").replace("new Guest(b, 'web-02'", "new Guest(a, 'web-03', { role: 'web', vcpus: 1, memory: '2GiB' });\nnew Guest(b, 'web-02'");

describe('hvkit validate', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
  });
  afterEach(() => p.cleanup());

  it('says in one line that the fleet is valid, and exits 0', async () => {
    const r = await p.run(['validate']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('The fleet is valid: 2 hosts, 2 guests.\n');
    expect(r.err).toBe('');
  });

  it('never reads state: a state file that cannot be read does not stop it (plan refuses it)', async () => {
    mkdirSync(join(p.dir, '.hvkit', 'state'), { recursive: true });
    writeFileSync(join(p.dir, '.hvkit', 'state', 'tokyo.json'), '{ not json');
    const r = await p.run(['validate']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('The fleet is valid: 2 hosts, 2 guests.\n');
    const plan = await p.run(['plan']);
    expect(plan.code).toBe(1);
    expect(plan.err).toContain('tokyo.json');
  });

  it('exits 1 on a mistyped prop, naming the construct path and the prop it meant', async () => {
    p.writeStack(TYPO);
    const r = await p.run(['validate']);
    expect(r.code).toBe(1);
    expect(r.err).toBe("Error: tokyo/host-b/web-02: unknown prop 'maxMemroy': did you mean 'maxMemory'?\n");
    expect(r.out).toBe('The fleet is not valid: 1 error.\n');
  });

  it('lists every problem at once, one line each', async () => {
    p.writeStack(TYPO.replace("disks: [{ size: '10GiB', on: 'sda' }]", "disks: [{ size: '10GiB', on: 'sdb' }]"));
    const r = await p.run(['validate']);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toEqual([
      "Error: tokyo/host-a/web-01: disks[0] is on 'sdb', which host host-a does not have: use one of sda",
      "Error: tokyo/host-b/web-02: unknown prop 'maxMemroy': did you mean 'maxMemory'?",
    ]);
  });

  it('--json writes the shape of terraform validate -json', async () => {
    p.writeStack(TYPO);
    const r = await p.run(['validate', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual({
      format_version: '1.0', valid: false, error_count: 1, warning_count: 0,
      diagnostics: [{ severity: 'error', summary: "unknown prop 'maxMemroy': did you mean 'maxMemory'?", address: 'tokyo/host-b/web-02' }],
      hvkit: { fleets: [], fit: false },
    });
    p.writeStack(STACK);
    const ok = await p.run(['validate', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ valid: true, error_count: 0, warning_count: 0, diagnostics: [], hvkit: { fleets: [{ fleet: 'tokyo', hosts: 2, guests: 2 }] } });
  });

  it('reports an app that crashes as one error line naming the line that threw, in JSON too', async () => {
    p.writeStack("throw new Error('no fleet today');\n");
    const r = await p.run(['validate']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error: the app stacks/main.ts failed at stacks/main.ts:1:7: no fleet today\n');
    const j = await p.run(['validate', '--json']);
    expect(JSON.parse(j.out).diagnostics).toEqual([{ severity: 'error', summary: 'the app stacks/main.ts failed at stacks/main.ts:1:7: no fleet today' }]);
  });

  it('leaves fit to plan unless asked: an over-full host is valid code, and an error with --fit', async () => {
    p.writeStack(OVER);
    expect((await p.run(['validate'])).code).toBe(0);
    const r = await p.run(['validate', '--fit']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: tokyo\/host-a: memory .*exceeds 4GiB installed/);
    expect(r.out).toBe('The fleet is not valid: 1 error.\n');
  });

  it('checks every fleet of the app, or the one --fleet names', async () => {
    p.writeStack(`import { App, Fleet, Host, Guest } from 'hvkit';
const app = new App();
for (const name of ['tokyo', 'osaka']) {
  const h = new Host(new Fleet(app, name, { provider: 'local' }), 'host-a', ${LOCAL_HOST});
  new Guest(h, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
}
app.synth();
`);
    const all = await p.run(['validate']);
    expect(all.code, all.err).toBe(0);
    expect(all.out).toBe('The fleets are valid: osaka (1 host, 1 guest), tokyo (1 host, 1 guest).\n');
    expect((await p.run(['validate', '--fleet', 'osaka'])).out).toBe('The fleet is valid: 1 host, 1 guest.\n');
    const none = await p.run(['validate', '--fleet', 'kyoto']);
    expect(none.code).toBe(1);
    expect(none.err).toBe('Error: no fleet \'kyoto\' in the app: it has osaka, tokyo\n');
  });

  it('--fit says so when every host fits', async () => {
    const r = await p.run(['validate', '--fit']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('The fleet is valid: 2 hosts, 2 guests, and every host fits its guests.\n');
  });

  it('--fit places the guests hvkit places as a plan without state does, and names each that fits no host', async () => {
    // Each host has 4 GiB: two 1.5 GiB guests fit one host each beside web-0N, the third fits none.
    p.writeStack(STACK.replace('app.synth();', ['a', 'b', 'c'].map((n) => `new Guest(fleet, 'api-${n}', { role: 'api', vcpus: 1, memory: '2.5GiB' });`).join('\n') + '\napp.synth();'));
    expect((await p.run(['validate'])).code).toBe(0);
    const r = await p.run(['validate', '--fit']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: tokyo\/api-c: api-c fits no host: needs 2\.5GiB memory, best host host-\w has [\d.]+\w+ free[^\n]*\n$/);
    expect(r.out).toBe('The fleet is not valid: 1 error.\n');
  });

  it('refuses a hostSelector no host of code matches, with or without --fit, as plan does', async () => {
    p.writeStack(STACK.replace('app.synth();', "new Guest(fleet, 'web-05', { role: 'web', vcpus: 1, memory: '1GiB', hostSelector: { rack: 'z' } });\napp.synth();"));
    const line = "Error: tokyo/web-05: web-05 fits no host: no host of provider local carries tags rack=z (no host has a tag 'rack'); add one, or change the guest's hostSelector\n";
    for (const args of [['validate'], ['validate', '--fit']]) {
      const r = await p.run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toBe(line);
    }
  });

  it('refuses a movedFrom naming a guest still in code, as plan does', async () => {
    p.writeStack(STACK.replace("new Guest(b, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });", "new Guest(b, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });\nnew Guest(b, 'web-03', { role: 'web', vcpus: 1, memory: '1GiB', movedFrom: 'web-02' });"));
    const r = await p.run(['validate']);
    expect(r.code).toBe(1);
    expect(r.err).toBe("Error: tokyo/host-b/web-03: movedFrom 'web-02': web-02 is still in code (tokyo/host-b/web-02): remove that guest, or remove movedFrom from web-03\n");
  });
});

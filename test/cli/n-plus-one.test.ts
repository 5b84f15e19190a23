import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project';

const HOST = `{ cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['2GiB', '2GiB', '2GiB', '2GiB'] }, disks: [{ name: 'sda', size: '500GiB' }] }`;

/*
 * The fleet of test/capacity/n-plus-one.test.ts: 7.5GiB for guests per host.
 * a: g1 4GiB + g2 2GiB (1.5 free); b: g3 4GiB (3.5 free); c: g4 3GiB (4.5 free): N+1.
 * A new 1GiB guest keeps it N+1 only on a (on b, losing c strands g4; on c, losing a strands g1);
 * a new 2GiB guest keeps it nowhere.
 */
function stack(policy: string, extra: string): string {
  return [
    "import { App } from 'cdktf';",
    "import { Fleet, Guest, Host } from 'hvkit';",
    'const app = new App();',
    `const fleet = new Fleet(app, 'tokyo', { provider: 'local'${policy ? `, nPlusOne: '${policy}'` : ''} });`,
    `const a = new Host(fleet, 'a', ${HOST});`,
    `const b = new Host(fleet, 'b', ${HOST});`,
    `const c = new Host(fleet, 'c', ${HOST});`,
    "new Guest(a, 'g1', { role: 'app', vcpus: 1, memory: '4GiB' });",
    "new Guest(a, 'g2', { role: 'app', vcpus: 1, memory: '2GiB' });",
    "new Guest(b, 'g3', { role: 'app', vcpus: 1, memory: '4GiB' });",
    "new Guest(c, 'g4', { role: 'app', vcpus: 1, memory: '3GiB' });",
    extra,
    'app.synth();',
    '',
  ].join('\n');
}

describe("nPlusOne: 'require' through hvkit plan", () => {
  let p: TempProject;
  beforeAll(() => {
    p = tempProject();
  });
  afterAll(() => p.cleanup());

  it('places a new guest only where the fleet stays N+1', async () => {
    p.writeStack(stack('require', "new Guest(fleet, 'g6', { role: 'app', vcpus: 1, memory: '1GiB' });"));
    const json = JSON.parse((await p.run(['plan', '--json'])).out);
    expect(json.hvkit.placements).toEqual([expect.objectContaining({ guest: 'g6', host: 'a' })]);
    expect(json.hvkit.diagnostics.filter((d: { code: string }) => d.code === 'n-plus-one')).toEqual([]);
    expect(json.errored).toBe(false);
  });

  it('is a plan error, in one line, when no host keeps the fleet N+1', async () => {
    p.writeStack(stack('require', "new Guest(fleet, 'g5', { role: 'app', vcpus: 1, memory: '2GiB' });"));
    const r = await p.run(['plan']);
    expect(r.code).toBe(1);
    expect(r.out).toContain("Error: tokyo/g5: g5 fits no host the fleet's policy accepts: 2 hosts could take it, but none keeps the fleet N+1");
  });

  it("only warns under the default 'warn', placing the guest where placement weighs best", async () => {
    p.writeStack(stack('', "new Guest(fleet, 'g5', { role: 'app', vcpus: 1, memory: '2GiB' });"));
    const r = await p.run(['plan']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Warning: tokyo\/[abc]: losing [abc] would leave .* without a host \(not N\+1\)/);
  });

  it('refuses a policy it does not know in one line', async () => {
    p.writeStack(stack('always', ''));
    const r = await p.run(['plan']);
    expect(r.code).toBe(1);
    expect(r.err).toContain("tokyo: nPlusOne 'always' must be 'warn' or 'require'");
  });
});

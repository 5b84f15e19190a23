import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDomains, stateGuests, tempProject, type TempProject } from '../helpers/project';

const SERVER = (extra = '') => `{ cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['2GiB', '2GiB', '2GiB', '2GiB'] }, disks: [{ name: 'sda', size: '500GiB', kind: 'ssd' }]${extra} }`;

interface Opts {
  /** Memory of the DB host's database guest. */
  dbMemory?: string;
  /** Code for guests hvkit places, `fleet` in scope. */
  floating?: string;
  /** More hosts, `fleet` in scope. */
  more?: string;
}

/**
 * The chapter's fleet, run with a plain cdktf App as users do: a DB host whose
 * memory is busy and CPU/IO idle, a web host fuller in memory whose CPU has no
 * room for another web guest, and a web guest declared without a host.
 */
function stack(o: Opts = {}): string {
  return [
    "import { App } from 'cdktf';",
    "import { Fleet, Guest, Host, HostGroup } from 'hvkit';",
    'const app = new App();',
    "const fleet = new Fleet(app, 'tokyo', { provider: 'local' });",
    `const dbHost = new Host(fleet, 'db-host-01', ${SERVER(", tags: { rack: 'a' }")});`,
    `new Guest(dbHost, 'db-01', { role: 'db', vcpus: 2, memory: '${o.dbMemory ?? '5GiB'}', disks: [{ size: '100GiB', on: 'sda' }], load: { cpu: 0.3, iops: 200 } });`,
    `const webHost = new Host(fleet, 'web-host-02', ${SERVER(", tags: { rack: 'b' }")});`,
    "new Guest(webHost, 'web-01', { role: 'web', vcpus: 2, memory: '5.75GiB', disks: [{ size: '20GiB', on: 'sda' }], load: { cpu: 2.4, iops: 3000, netMbps: 200 } });",
    o.more ?? '',
    o.floating ?? "new Guest(fleet, 'web-09', { role: 'web', vcpus: 2, memory: '1.5GiB', disks: [{ size: '20GiB' }], load: { cpu: 1, iops: 400, netMbps: 100 } });",
    'app.synth();',
    '',
  ].join('\n');
}

const TWO = "new Guest(fleet, 'web-09', { role: 'web', vcpus: 2, memory: '1.5GiB', disks: [{ size: '20GiB' }], load: { cpu: 1, iops: 400, netMbps: 100 } });\nnew Guest(fleet, 'api-01', { role: 'api', vcpus: 1, memory: '512MiB' });";

// Every test writes the code it plans: tests run in random order.
describe('placement of guests declared without a host, before anything is applied (cdktf App → synth → plan)', () => {
  let p: TempProject;
  beforeAll(() => {
    p = tempProject();
  });
  afterAll(() => p.cleanup());

  it('plans the web guest onto the DB host with idle CPU and I/O, and says where and why', async () => {
    p.writeStack(stack());
    const r = await p.run(['plan']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\+ create web-09 .*\(tokyo\/web-09\)\n/);
    expect(r.out).toContain('      placed on db-host-01: uses idle CPU, I/O and network; memory after 88%; best of 2 hosts that fit it');
    const json = JSON.parse((await p.run(['plan', '--json'])).out);
    expect(json.hvkit.placements).toEqual([expect.objectContaining({ guest: 'web-09', code: 'placed', host: 'db-host-01', path: 'tokyo/web-09' })]);
    expect((await p.run(['plan', '--markdown'])).out).toContain('placed on db-host-01: uses idle CPU, I/O and network; memory after 88%; best of 2 hosts that fit it');
  });

  it('synthesizes a Terraform resource for the guest without a host, depending on no host', async () => {
    p.writeStack(stack());
    expect((await p.run(['synth'])).code).toBe(0);
    const tf = JSON.parse(readFileSync(join(p.dir, 'cdktf.out', 'stacks', 'tokyo', 'cdk.tf.json'), 'utf8'));
    expect(tf.resource.null_resource['guest_web-09']).toBeDefined();
    expect(tf.resource.null_resource['guest_web-09'].depends_on).toBeUndefined();
    expect(tf.resource.null_resource['guest_db-01'].depends_on).toEqual(['null_resource.host_db-host-01']);
    // Terraform's local-exec asks hvkit for the provider's input: the guest goes where placement puts it on the code alone.
    const input = await p.run(['provider-input', '--manifest', join(p.dir, 'cdktf.out', 'stacks', 'tokyo', 'hvkit.manifest.json'), '--guest', 'web-09', '--verb', 'create']);
    expect(input.code, input.err).toBe(0);
    const doc = JSON.parse(input.out);
    expect([doc.host.name, doc.guest.host, doc.guest.disks]).toEqual(['db-host-01', 'db-host-01', [{ on: 'sda', sizeMiB: 20480 }]]);
  });

  it('gives byte-identical plans for the same code and state, also with the guests declared in another order', async () => {
    p.writeStack(stack({ floating: TWO }));
    const a = await p.run(['plan']);
    const b = await p.run(['plan']);
    p.writeStack(stack({ floating: TWO.split('\n').reverse().join('\n') }));
    const c = await p.run(['plan']);
    expect(a.out).toContain('+ create api-01');
    expect(b.out).toBe(a.out);
    expect(c.out).toBe(a.out);
  });

  it('saves byte-identical plan files for the same code and state (no measured load: no clock in the file)', async () => {
    p.writeStack(stack({ floating: TWO }));
    expect((await p.run(['plan', '--out', 'a.plan'])).code).toBe(0);
    expect((await p.run(['plan', '--out', 'b.plan'])).code).toBe(0);
    expect(readFileSync(join(p.dir, 'b.plan'), 'utf8')).toBe(readFileSync(join(p.dir, 'a.plan'), 'utf8'));
  });

  it('is a plan error naming the guest, its path, the closest host and what is short when it fits nowhere', async () => {
    p.writeStack(stack({ floating: "new Guest(fleet, 'web-09', { role: 'web', vcpus: 2, memory: '6GiB' });" }));
    const r = await p.run(['plan']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Error: tokyo/web-09: web-09 fits no host: needs 6GiB memory, best host db-host-01 has 2.5GiB free\n');
    expect(r.out).toContain('This plan has errors and cannot be applied.');
    p.writeStack(stack({ floating: "const rackC = new HostGroup(fleet, 'rack-c', { selector: { rack: 'c' } });\nnew Guest(rackC, 'web-09', { role: 'web', vcpus: 2, memory: '1GiB' });" }));
    expect((await p.run(['plan'])).out).toContain("Error: tokyo/rack-c/web-09: web-09 fits no host: no host of provider local carries tags rack=c; add one, or change the guest's HostGroup selector or hostSelector\n");
  });

  it('respects a HostGroup selector and a guest’s hostSelector', async () => {
    p.writeStack(stack({ floating: "const rackB = new HostGroup(fleet, 'rack-b', { selector: { rack: 'b' } });\nnew Guest(rackB, 'web-09', { role: 'web', vcpus: 2, memory: '1GiB' });\nnew Guest(fleet, 'api-01', { role: 'api', vcpus: 1, memory: '512MiB', hostSelector: { rack: 'a' } });" }));
    const json = JSON.parse((await p.run(['plan', '--json'])).out);
    expect(json.hvkit.placements.map((d: { guest: string; host: string }) => `${d.guest}@${d.host}`)).toEqual(['api-01@db-host-01', 'web-09@web-host-02']);
  });

  it('counts placed guests in validate and synth, and plans one by --target', async () => {
    p.writeStack(stack({ floating: TWO }));
    expect((await p.run(['validate'])).out).toBe('The fleet is valid: 2 hosts, 4 guests.\n');
    expect((await p.run(['synth'])).out).toMatch(/^tokyo: 2 hosts, 4 guests → /);
    const r = await p.run(['plan', '--target', 'tokyo/api-01']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/\+ create api-01 on db-host-01 /);
    expect(r.out).not.toContain('create web-09');
  });

  it('respects anti-affinity: two replicas of a group go to different hosts', async () => {
    p.writeStack(stack({ floating: "new Guest(fleet, 'cache-a', { role: 'memcached', vcpus: 1, memory: '512MiB', antiAffinity: 'cache' });\nnew Guest(fleet, 'cache-b', { role: 'memcached', vcpus: 1, memory: '512MiB', antiAffinity: 'cache' });" }));
    const json = JSON.parse((await p.run(['plan', '--json'])).out);
    expect(new Set(json.hvkit.placements.map((d: { host: string }) => d.host))).toEqual(new Set(['db-host-01', 'web-host-02']));
  });
});

describe('placement of guests declared without a host, once applied (plan --out → apply → plan)', () => {
  let p: TempProject;
  let saved: string;
  beforeAll(async () => {
    p = tempProject();
    p.writeStack(stack());
    saved = join(p.dir, 'place.plan.json');
    expect((await p.run(['plan', '--out', saved])).code).toBe(0);
    expect((await p.run(['apply', saved])).code).toBe(0);
  });
  afterAll(() => p.cleanup());

  it('keeps the placements in the saved plan: `show` renders them from the file', async () => {
    p.writeStack(stack());
    expect((await p.run(['show', saved])).out).toContain('      placed on db-host-01: uses idle CPU, I/O and network; memory after 88%; best of 2 hosts that fit it');
  });

  it('creates the guest on the chosen host with the local provider, and `parent` answers it', async () => {
    p.writeStack(stack());
    expect(localDomains(p.dir)).toEqual(['db-01@db-host-01', 'web-01@web-host-02', 'web-09@db-host-01']);
    expect(stateGuests(p.dir)).toContain('web-09@db-host-01');
    expect((await p.run(['parent', 'web-09'])).out).toBe('web-09: db-host-01\n');
    // Where the next plan would move it, as for any guest code moves.
    p.writeStack(stack({ dbMemory: '7GiB' }));
    expect((await p.run(['parent', 'web-09'])).out).toBe('web-09: db-host-01 (moving to web-host-02 in code)\n');
  });

  it('re-plans empty: the guest stays where state records it (sticky)', async () => {
    p.writeStack(stack());
    const again = await p.run(['plan', '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.out).toContain('No changes. The fleet matches the code.');
    expect(again.out).not.toContain('placed on');
  });

  it('keeps the guest where it is when a better host is added later', async () => {
    p.writeStack(stack({ more: `new Host(fleet, 'big-host-03', { cpu: { cores: 16, threads: 32 }, memory: { slots: 4, maxDimm: '16GiB', dimms: ['16GiB', '16GiB'] }, disks: [{ name: 'sda', size: '2TiB', kind: 'nvme' }] });` }));
    const json = JSON.parse((await p.run(['plan', '--json'])).out);
    expect(json.resource_changes.filter((c: { change: { actions: string[] } }) => c.change.actions.join() !== 'no-op').map((c: { address: string }) => c.address)).toEqual(['null_resource.host_big-host-03']);
    expect(json.hvkit.placements).toEqual([expect.objectContaining({ guest: 'web-09', code: 'kept', host: 'db-host-01' })]);
  });

  it('rebuilds a host with its placed guests: the saved rebuild applies', async () => {
    p.writeStack(stack());
    const r = await p.run(['rebuild', 'db-host-01', '--out', 'rebuild.plan']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Rebuild of db-host-01: 2 guests\n  db-01: config byte-identical to the one last applied\n  web-09: config byte-identical to the one last applied\n');
    // Bound to the code as written (web-09 unplaced), so apply takes it.
    const a = await p.run(['apply', '--rebuild', 'db-host-01', 'rebuild.plan']);
    expect(a.code, a.err).toBe(0);
    expect(localDomains(p.dir)).toContain('web-09@db-host-01');
  });

  it('plans the destroy of a placed guest where it runs', async () => {
    p.writeStack(stack());
    const r = await p.run(['plan', '--destroy', '--target', 'tokyo/web-09']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/- destroy web-09 on db-host-01 /);
  });

  it('re-places the guest when its recorded host can no longer take it, saying why', async () => {
    p.writeStack(stack({ dbMemory: '7GiB' }));
    const r = await p.run(['plan']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/→ migrate web-09 .*db-host-01 → web-host-02/);
    expect(r.out).toContain('re-placed on web-host-02: db-host-01 can no longer take it (needs ');
  });
});

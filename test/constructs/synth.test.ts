import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, Fleet, Guest, Host, HostGroup, Testing } from '../../lib/index';
import { loadManifest, parseManifest } from '../../lib/manifest/load';
import { WEB_HOST_8G, web } from '../helpers/fleet';
import { tempProject, type TempProject } from '../helpers/project';

describe('Fleet synthesis with cdktf Testing', () => {
  const app = Testing.app();
  const fleet = new Fleet(app, 'tokyo', { provider: 'local' });
  const host = new Host(fleet, 'web-host-01', WEB_HOST_8G);
  new Guest(host, 'web-01', web('5.5GiB'));
  const json = Testing.synth(fleet);
  const tf = JSON.parse(json);

  it('has one null_resource per host and per guest', () => {
    expect(Object.keys(tf.resource.null_resource).sort()).toEqual(['guest_web-01', 'host_web-host-01']);
    expect(Testing.toHaveResource(json, 'null_resource')).toBe(true);
  });

  it('makes each guest depend on its host and carry a digest of its spec', () => {
    const g = tf.resource.null_resource['guest_web-01'];
    expect(g.depends_on).toEqual(['null_resource.host_web-host-01']);
    expect(g.triggers).toMatchObject({ guest: 'web-01', host: 'web-host-01', digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('calls the provider scripts with an argument vector, create and destroy-time', () => {
    const [create, destroy] = tf.resource.null_resource['guest_web-01'].provisioner.map((p: { 'local-exec': unknown }) => p['local-exec']);
    expect(create).toEqual({ interpreter: ['${path.module}/../../../providers/local/create', '--manifest', 'hvkit.manifest.json', '--guest'], command: 'web-01' });
    expect(destroy).toEqual({ interpreter: ['${path.module}/../../../providers/local/destroy', '--manifest', 'hvkit.manifest.json', '--guest'], command: 'web-01', when: 'destroy' });
  });

  it('changes the digest when the guest spec changes', () => {
    const app2 = Testing.app();
    const f2 = new Fleet(app2, 'tokyo', { provider: 'local' });
    new Guest(new Host(f2, 'web-host-01', WEB_HOST_8G), 'web-01', web('5GiB'));
    const g2 = JSON.parse(Testing.synth(f2)).resource.null_resource['guest_web-01'];
    expect(g2.triggers.digest).not.toBe(tf.resource.null_resource['guest_web-01'].triggers.digest);
  });

  it('keeps the digest when only the lifecycle changes, and gives a protected guest Terraform’s prevent_destroy', () => {
    const app2 = Testing.app();
    const f2 = new Fleet(app2, 'tokyo', { provider: 'local', lifecycle: { preventDestroy: true, ignoreChanges: ['memory'] } });
    new Guest(new Host(f2, 'web-host-01', WEB_HOST_8G), 'web-01', web('5.5GiB'));
    const g2 = JSON.parse(Testing.synth(f2)).resource.null_resource['guest_web-01'];
    expect(g2.triggers).toEqual(tf.resource.null_resource['guest_web-01'].triggers);
    expect(g2.lifecycle).toEqual({ prevent_destroy: true });
    expect(tf.resource.null_resource['guest_web-01'].lifecycle).toBeUndefined();
  });

  it('uses the built-in terraform_data resource when asked', () => {
    const app3 = Testing.app();
    const f3 = new Fleet(app3, 'tokyo', { resourceType: 'terraform_data' });
    new Guest(new Host(f3, 'h1', WEB_HOST_8G), 'g1', web('1GiB'));
    const t3 = JSON.parse(Testing.synth(f3));
    expect(Object.keys(t3.resource.terraform_data).sort()).toEqual(['guest_g1', 'host_h1']);
    expect(t3.resource.terraform_data.guest_g1.triggers_replace.guest).toBe('g1');
    expect(t3.provider).toBeUndefined();
  });

  it('throws every validation problem at once when the app synthesizes', () => {
    const bad = new App({ outdir: Testing.app().outdir });
    const f = new Fleet(bad, 'tokyo');
    const h = new Host(f, 'h1', WEB_HOST_8G);
    new Guest(h, 'a', web('9GiB', { maxMemory: '1GiB' }));
    new Host(new HostGroup(f, 'rack-b'), 'stray', WEB_HOST_8G);
    expect(() => bad.synth()).toThrow(/2 problems in the fleet:\n  tokyo\/rack-b\/stray: a Host must be created inside a Fleet, not inside a HostGroup: a HostGroup selects hosts by their tags; give the host the tags its selector names\n  tokyo\/h1\/a: memory 9GiB exceeds maxMemory 1GiB/);
  });
});

describe('hvkit synth of the example fleet', () => {
  let p: TempProject;
  let first: { tf: string; manifest: string };
  beforeAll(async () => {
    p = tempProject();
    const r = await p.run(['synth']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const dir = join(p.dir, 'cdktf.out', 'stacks', 'tokyo');
    first = { tf: readFileSync(join(dir, 'cdk.tf.json'), 'utf8'), manifest: readFileSync(join(dir, 'hvkit.manifest.json'), 'utf8') };
  });
  afterAll(() => p.cleanup());

  it('writes Terraform JSON with a resource per host and guest', () => {
    const tf = JSON.parse(first.tf);
    const names = Object.keys(tf.resource.null_resource);
    expect(names).toContain('host_db-host-01');
    expect(names).toContain('guest_memcached-02');
    expect(names).toHaveLength(4 + 6);
    expect(tf.terraform.backend.local.path).toBe('terraform.tfstate');
  });

  it('writes a manifest that validates against the schema', () => {
    const m = loadManifest(join(p.dir, 'cdktf.out', 'stacks', 'tokyo', 'hvkit.manifest.json'));
    expect(m.fleet).toBe('tokyo');
    expect(m.guests.map((g) => `${g.name}@${g.host}`)).toEqual([
      'db-01@db-host-01', 'memcached-01@web-host-01', 'memcached-02@web-host-02', 'web-01@web-host-01', 'web-02@web-host-02', 'web-03@db-host-01',
    ]);
    expect(m.guests.find((g) => g.name === 'web-01')?.path).toBe('tokyo/web-host-01/web-01');
  });

  it('is deterministic: a second synth writes identical bytes', async () => {
    await p.run(['synth']);
    const dir = join(p.dir, 'cdktf.out', 'stacks', 'tokyo');
    expect(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')).toBe(first.tf);
    expect(readFileSync(join(dir, 'hvkit.manifest.json'), 'utf8')).toBe(first.manifest);
  });

  it('refuses a hand-edited manifest with the JSON pointer of the bad field', () => {
    const edited = JSON.parse(first.manifest);
    edited.guests[3].memoryMiB = '5.5GiB';
    expect(() => parseManifest('hvkit.manifest.json', JSON.stringify(edited))).toThrow(
      'hvkit.manifest.json: at /guests/3/memoryMiB: must be integer; this manifest was edited by hand or cut short: run `hvkit synth` again to regenerate it',
    );
  });

  it('refuses a truncated manifest', () => {
    expect(() => parseManifest('m.json', first.manifest.slice(0, 200))).toThrow(/^m\.json: is not valid JSON/);
  });

  it('refuses a manifest whose guest names a host that is not there', () => {
    const edited = JSON.parse(first.manifest);
    edited.guests[0].host = 'nowhere';
    expect(() => parseManifest('m.json', JSON.stringify(edited))).toThrow("m.json: at /guests/0/host: host 'nowhere' is not in /hosts");
  });

  it('prints every validation problem of a broken app, one per line, without a stack trace', async () => {
    p.writeStack(`import { App, Fleet, Host, Guest } from 'hvkit';
const app = new App();
const f = new Fleet(app, 'tokyo');
const h = new Host(f, 'h1', { cpu: { cores: 2 }, memory: { slots: 1, maxDimm: '4GiB', dimms: ['8GiB'] }, disks: [] });
new Guest(h, 'g1', { role: 'web', vcpus: 1, memory: '8 gigs' });
app.synth();
`, 'stacks/bad.ts');
    const r = await p.run(['synth', '--app', 'npx tsx stacks/bad.ts']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'Error: 2 problems in the fleet:\n' +
      '  tokyo/h1: memory.dimms[0] 8GiB exceeds maxDimm 4GiB: use DIMMs the mainboard takes\n' +
      "  tokyo/h1/g1: memory: size '8 gigs' is not a size like '512MiB' or '5.5GiB'\n",
    );
  });

  it('refuses an --app with shell syntax instead of running it through a shell', async () => {
    const r = await p.run(['synth', '--app', 'npx tsx stacks/main.ts; touch pwned']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/must be a plain command/);
  });
});

describe('building the fleet for plan', () => {
  it('gives the same plan in hvkit’s own process as in a separate app process', async () => {
    const p = tempProject();
    try {
      // A fixed plan time: the JSON carries Terraform's `timestamp`.
      const inProcess = await p.run(['plan', '--json'], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
      const separate = await p.run(['plan', '--json'], { env: { HVKIT_APP_PROCESS: 'separate', SOURCE_DATE_EPOCH: '1700000000' } });
      expect(inProcess.code).toBe(0);
      expect(separate.out).toBe(inProcess.out);
      expect(JSON.parse(inProcess.out).resource_changes).toHaveLength(10);
    } finally {
      p.cleanup();
    }
  });

  it('reports a compile error in the app with its file position', async () => {
    const p = tempProject();
    try {
      p.writeStack("import { App } from 'hvkit';\nconst app = new App(;\n");
      const r = await p.run(['plan']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Error: .*stacks\/main\.ts:2:\d+: /);
    } finally {
      p.cleanup();
    }
  });
});

describe('an app that uses cdktf itself', () => {
  it('still plans: hvkit loads the real cdktf for it', async () => {
    const p = tempProject();
    try {
      p.writeStack(`import { TerraformOutput } from 'cdktf';
import { App, Fleet, Host, Guest } from 'hvkit';
const app = new App();
const fleet = new Fleet(app, 'tokyo');
const h = new Host(fleet, 'h1', { cpu: { cores: 2 }, memory: { slots: 2, maxDimm: '4GiB', dimms: ['4GiB'] }, disks: [] });
new Guest(h, 'g1', { role: 'web', vcpus: 1, memory: '1GiB' });
new TerraformOutput(fleet, 'hosts', { value: 1 });
app.synth();
`);
      const r = await p.run(['plan']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('  + create g1 on h1');
      expect((await p.run(['synth'])).code).toBe(0);
    } finally {
      p.cleanup();
    }
  });
});

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appIdentity } from '../../lib/synth/app-command';
import { pruneStaleFleets } from '../../lib/synth/prune-output';
import { LOCAL_HOST, tempProject, type TempProject } from '../helpers/project';

const fleetApp = (names: string[], extra = '') => `import { App, TerraformStack, TerraformOutput } from 'cdktf';
import { Fleet, Host, Guest } from 'hvkit';
const app = new App();
for (const name of ${JSON.stringify(names)}) {
  const h = new Host(new Fleet(app, name, { provider: 'local' }), 'h1', ${LOCAL_HOST});
  new Guest(h, 'g1', { role: 'web', vcpus: 1, memory: '1GiB' });
}
${extra}
app.synth();
`;

describe('hvkit synth output', () => {
  let p: TempProject;
  const stacks = () => readdirSync(join(p.dir, 'cdktf.out', 'stacks')).sort();
  beforeEach(() => {
    p = tempProject();
  });
  afterEach(() => p.cleanup());

  it('prints only the fleets this run made, with singular and plural counts', async () => {
    p.writeStack(fleetApp(['tokyo', 'osaka']));
    expect((await p.run(['synth'])).code).toBe(0);
    p.writeStack(fleetApp(['tokyo']));
    const r = await p.run(['synth']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(
      'tokyo: 1 host, 1 guest → cdktf.out/stacks/tokyo/{cdk.tf.json,hvkit.manifest.json}\n' +
      'osaka: no longer in the app, its output removed from cdktf.out/stacks/osaka\n',
    );
    expect(stacks()).toEqual(['tokyo']);
  });

  it('keeps a removed fleet’s Terraform JSON and state when Terraform worked there, says what to do, and never touches a non-hvkit stack', async () => {
    const dns = "new TerraformOutput(new TerraformStack(app, 'dns'), 'zone', { value: 'example.org' });";
    p.writeStack(fleetApp(['tokyo', 'osaka'], dns));
    expect((await p.run(['synth'])).code).toBe(0);
    const osaka = join(p.dir, 'cdktf.out', 'stacks', 'osaka');
    writeFileSync(join(osaka, 'terraform.tfstate'), '{}');
    mkdirSync(join(osaka, '.terraform'));
    p.writeStack(fleetApp(['tokyo'], dns));
    expect((await p.run(['synth'])).out).toContain(
      'osaka: no longer in the app; Terraform has worked in cdktf.out/stacks/osaka (.terraform, terraform.tfstate), so its Terraform JSON is kept: ' +
      'if it was applied with Terraform run `cd cdktf.out/stacks/osaka && terraform destroy`, then delete the folder; otherwise just delete the folder\n',
    );
    expect(stacks()).toEqual(['dns', 'osaka', 'tokyo']);
    expect(readdirSync(osaka).sort()).toEqual(['.terraform', 'cdk.tf.json', 'terraform.tfstate']);
    expect(readdirSync(join(p.dir, 'cdktf.out', 'stacks', 'dns'))).toEqual(['cdk.tf.json']);
    // Said once: without its manifest the folder is no longer hvkit's output.
    expect((await p.run(['synth'])).out).not.toContain('osaka');
  });

  it('two apps in one project keep each other’s fleet output', async () => {
    p.writeStack(fleetApp(['tokyo']));
    p.writeStack(fleetApp(['osaka']), 'stacks/user.ts');
    expect((await p.run(['synth'])).code).toBe(0);
    const r = await p.run(['synth', '--app', 'npx tsx stacks/user.ts']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('osaka: 1 host, 1 guest → cdktf.out/stacks/osaka/{cdk.tf.json,hvkit.manifest.json}\n');
    const back = await p.run(['synth']);
    expect(back.out).toBe('tokyo: 1 host, 1 guest → cdktf.out/stacks/tokyo/{cdk.tf.json,hvkit.manifest.json}\n');
    expect(stacks()).toEqual(['osaka', 'tokyo']);
    for (const f of ['osaka', 'tokyo']) expect(readdirSync(join(p.dir, 'cdktf.out', 'stacks', f))).toContain('cdk.tf.json');
    expect(readFileSync(join(p.dir, 'cdktf.out', 'stacks', 'osaka', 'hvkit.app'), 'utf8')).toBe('tsx stacks/user.ts\n');
  });

  it('the same app, however spelled, still prunes a fleet it dropped', async () => {
    p.writeStack(fleetApp(['tokyo', 'osaka']), 'stacks/user.ts');
    expect((await p.run(['synth', '--app', 'npx tsx ./stacks/user.ts'])).code).toBe(0);
    p.writeStack(fleetApp(['tokyo']), 'stacks/user.ts');
    const r = await p.run(['synth', '--app', 'tsx stacks/user.ts']);
    expect(r.out).toContain('osaka: no longer in the app, its output removed from cdktf.out/stacks/osaka\n');
    expect(stacks()).toEqual(['tokyo']);
  });

  it('leaves output of an older hvkit (no record of its app) alone and says so once', async () => {
    p.writeStack(fleetApp(['tokyo', 'osaka', 'kyoto']));
    expect((await p.run(['synth'])).code).toBe(0);
    for (const f of ['osaka', 'kyoto']) rmSync(join(p.dir, 'cdktf.out', 'stacks', f, 'hvkit.app'));
    p.writeStack(fleetApp(['tokyo']));
    const r = await p.run(['synth']);
    expect(r.out.split('\n').filter((l) => l.includes('older hvkit'))).toEqual([
      'left kyoto, osaka alone: written by an older hvkit that did not record which app made it (it may be another app\'s); delete its folder if no app has it any more, or synth its app once to record it',
    ]);
    expect(stacks()).toEqual(['kyoto', 'osaka', 'tokyo']);
  });

  it('writes byte-identical output, app record included, on every run', async () => {
    p.writeStack(fleetApp(['tokyo']));
    const dir = join(p.dir, 'cdktf.out', 'stacks', 'tokyo');
    const snapshot = () => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    expect((await p.run(['synth'])).code).toBe(0);
    const first = snapshot();
    expect((await p.run(['synth'])).code).toBe(0);
    expect(snapshot()).toEqual(first);
    expect(first['hvkit.app']).toBe('tsx stacks/main.ts\n');
    expect(first['hvkit.app']).not.toContain(p.dir);
  });
});

describe('pruneStaleFleets', () => {
  it('drops only the stale manifest of a stack this run wrote as a non-hvkit stack', () => {
    const out = mkdtempSync(join(tmpdir(), 'hvkit-prune-'));
    mkdirSync(join(out, 'stacks', 'shared'), { recursive: true });
    writeFileSync(join(out, 'stacks', 'shared', 'cdk.tf.json'), '{}');
    writeFileSync(join(out, 'stacks', 'shared', 'hvkit.manifest.json'), '{}');
    writeFileSync(join(out, 'manifest.json'), JSON.stringify({ stacks: { shared: {} } }));
    expect(pruneStaleFleets(out, new Set(), 'tsx stacks/main.ts')).toEqual([{ kind: 'removed', fleet: 'shared', kept: [] }]);
    expect(readdirSync(join(out, 'stacks', 'shared'))).toEqual(['cdk.tf.json']);
    rmSync(out, { recursive: true });
  });

  it('does nothing without an output folder', () => {
    expect(pruneStaleFleets('/nonexistent/hvkit-out', new Set(), 'tsx stacks/main.ts')).toEqual([]);
    expect(existsSync('/nonexistent/hvkit-out')).toBe(false);
  });
});

describe('appIdentity', () => {
  it('gives two spellings of the same app one identity and different apps different ones', () => {
    expect(appIdentity(['npx', 'tsx', './stacks/main.ts'])).toBe('tsx stacks/main.ts');
    expect(appIdentity(['npx', '--no-install', 'tsx', 'stacks//main.ts'])).toBe('tsx stacks/main.ts');
    expect(appIdentity(['tsx', 'stacks/user.ts'])).not.toBe(appIdentity(['tsx', 'stacks/main.ts']));
  });
});

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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

  it('keeps a removed fleet’s terraform.tfstate, and never touches the output of a non-hvkit stack', async () => {
    p.writeStack(fleetApp(['tokyo', 'osaka'], "new TerraformOutput(new TerraformStack(app, 'dns'), 'zone', { value: 'example.org' });"));
    expect((await p.run(['synth'])).code).toBe(0);
    writeFileSync(join(p.dir, 'cdktf.out', 'stacks', 'osaka', 'terraform.tfstate'), '{}');
    p.writeStack(fleetApp(['tokyo'], "new TerraformOutput(new TerraformStack(app, 'dns'), 'zone', { value: 'example.org' });"));
    expect((await p.run(['synth'])).out).toContain('osaka: no longer in the app, its output removed from cdktf.out/stacks/osaka (kept terraform.tfstate)\n');
    expect(stacks()).toEqual(['dns', 'osaka', 'tokyo']);
    expect(readdirSync(join(p.dir, 'cdktf.out', 'stacks', 'osaka'))).toEqual(['terraform.tfstate']);
    expect(readdirSync(join(p.dir, 'cdktf.out', 'stacks', 'dns'))).toEqual(['cdk.tf.json']);
  });
});

describe('pruneStaleFleets', () => {
  it('drops only the stale manifest of a stack this run wrote as a non-hvkit stack', () => {
    const out = mkdtempSync(join(tmpdir(), 'hvkit-prune-'));
    mkdirSync(join(out, 'stacks', 'shared'), { recursive: true });
    writeFileSync(join(out, 'stacks', 'shared', 'cdk.tf.json'), '{}');
    writeFileSync(join(out, 'stacks', 'shared', 'hvkit.manifest.json'), '{}');
    writeFileSync(join(out, 'manifest.json'), JSON.stringify({ stacks: { shared: {} } }));
    expect(pruneStaleFleets(out, new Set())).toEqual([{ fleet: 'shared', kept: [] }]);
    expect(readdirSync(join(out, 'stacks', 'shared'))).toEqual(['cdk.tf.json']);
    rmSync(out, { recursive: true });
  });

  it('does nothing without an output folder', () => {
    expect(pruneStaleFleets('/nonexistent/hvkit-out', new Set())).toEqual([]);
    expect(existsSync('/nonexistent/hvkit-out')).toBe(false);
  });
});

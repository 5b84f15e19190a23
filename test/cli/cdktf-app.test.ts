import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadManifest } from '../../lib/manifest/load';
import { ManifestAssert, PlanAssert } from '../helpers/assertions';
import { commandWorks, describeWithTool } from '../helpers/tools';
import { LOCAL_HOST, localDomains, stateGuests, tempProject, type TempProject } from '../helpers/project';

/** A fleet app as a cdktf user writes it: the App comes from cdktf, the rest from hvkit. */
function cdktfApp(makeApp: string, extra = '', fleetProps = "{ provider: 'local' }"): string {
  const names = ['App', 'Testing', 'TerraformStack', 'TerraformOutput'].filter((n) => `${makeApp}\n${extra}`.includes(n));
  return `import { ${names.join(', ')} } from 'cdktf';
import { Fleet, Host, Guest } from 'hvkit';
const app = ${makeApp};
const fleet = new Fleet(app, 'tokyo', ${fleetProps});
const h1 = new Host(fleet, 'h1', ${LOCAL_HOST});
new Guest(h1, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(h1, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
${extra}
app.synth();
`;
}

/** A stack of the same App that has nothing to do with hvkit. */
const OTHER_STACK = `const other = new TerraformStack(app, 'dns');
new TerraformOutput(other, 'zone', { value: 'example.org' });`;

/** Each test has its own project and applies the fleet first when it needs one running: any order passes. */
describe('a fleet whose app imports App from cdktf', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(cdktfApp('new App()'));
  });
  afterEach(() => p.cleanup());

  async function applied(): Promise<void> {
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err).toBe(0);
  }

  it('synth writes Terraform JSON and the manifest side by side', async () => {
    const r = await p.run(['synth']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe('tokyo: 1 host, 2 guests → cdktf.out/stacks/tokyo/{cdk.tf.json,hvkit.manifest.json}\n');
    const dir = join(p.dir, 'cdktf.out', 'stacks', 'tokyo');
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')).resource.null_resource).sort()).toEqual(['guest_web-01', 'guest_web-02', 'host_h1']);
    expect(ManifestAssert.fromSynth(p.dir).placements()).toEqual(['web-01@h1', 'web-02@h1']);
  });

  it('plan shows the fleet, in hvkit’s process and in a separate one alike', async () => {
    const r = await p.run(['plan', '--detailed-exitcode']);
    expect(r.code, r.err).toBe(2);
    expect(r.out).toContain('  + create web-01 on h1');
    const separate = await p.run(['plan', '--detailed-exitcode'], { env: { HVKIT_APP_PROCESS: 'separate' } });
    expect(separate.out).toBe(r.out);
  });

  it('apply creates the guests, and a re-plan shows no changes', async () => {
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err).toBe(0);
    expect(localDomains(p.dir)).toEqual(['web-01@h1', 'web-02@h1']);
    expect(stateGuests(p.dir)).toEqual(['web-01@h1', 'web-02@h1']);
    const again = await p.run(['plan', '--detailed-exitcode']);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('No changes.');
  });

  it('parent, hosts and guests answer from the fleet', async () => {
    await applied();
    expect(await p.run(['parent', 'web-02'])).toMatchObject({ code: 0, out: 'web-02: h1\n' });
    expect(JSON.parse((await p.run(['hosts', '--json'])).out)).toMatchObject([{ host: 'h1', guests: 2 }]);
    expect(JSON.parse((await p.run(['guests', '--json'])).out).map((g: { guest: string; state: string }) => `${g.guest} ${g.state}`)).toEqual(['web-01 deployed', 'web-02 deployed']);
  });

  it('report --html writes the capacity report', async () => {
    await applied();
    const r = await p.run(['report', '--html', 'report.html']);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(join(p.dir, 'report.html'), 'utf8')).toContain('web-02');
  });

  it('refresh, rebuild and import read the fleet too', async () => {
    await applied();
    const refresh = await p.run(['refresh', '--no-stats']);
    expect(refresh.code, refresh.err).toBe(0);
    expect(refresh.out).toContain('No drift');
    const rebuild = await p.run(['rebuild', 'h1', '--out', 'rebuild.plan']);
    expect(rebuild.code, rebuild.err).toBe(0);
    expect(rebuild.out).toContain('web-01: config byte-identical to the one last applied');
    // Reading the fleet worked: the refusal is about state, not about the app.
    expect((await p.run(['import', 'web-01'])).err).toBe('Error: web-01 is already in state (on h1); nothing to import\n');
  });
});

describe("a fleet in cdktf's Testing.app()", () => {
  let p: TempProject;
  beforeAll(() => {
    p = tempProject();
    p.writeStack(cdktfApp('Testing.app()'));
  });
  afterAll(() => p.cleanup());

  it('plans, applies, re-plans with no changes, answers look-ups, reports and refreshes', async () => {
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(2);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(stateGuests(p.dir)).toEqual(['web-01@h1', 'web-02@h1']);
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
    expect((await p.run(['parent', 'web-01'])).out).toBe('web-01: h1\n');
    expect(JSON.parse((await p.run(['hosts', '--json'])).out)).toMatchObject([{ host: 'h1', guests: 2 }]);
    expect(JSON.parse((await p.run(['guests', '--json'])).out)).toHaveLength(2);
    expect((await p.run(['report', '--html', 'report.html'])).code).toBe(0);
    expect((await p.run(['refresh', '--no-stats'])).out).toContain('No drift');
  });

  it('synth says where Testing.app() put the output, with the manifest beside cdk.tf.json', async () => {
    const r = await p.run(['synth']);
    expect(r.code, r.err).toBe(0);
    const out = /→ (\/\S+)\/\{cdk\.tf\.json,hvkit\.manifest\.json\}/.exec(r.out)?.[1];
    expect(out).toMatch(/cdktf\.outdir\..*\/stacks\/tokyo$/);
    expect(existsSync(join(out!, 'cdk.tf.json'))).toBe(true);
    expect(ManifestAssert.fromManifest(loadManifest(join(out!, 'hvkit.manifest.json'))).placements()).toEqual(['web-01@h1', 'web-02@h1']);
  });
});

describe('a fleet beside a non-hvkit TerraformStack in one App', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(cdktfApp('new App()', OTHER_STACK));
  });
  afterEach(() => p.cleanup());

  it('synth writes both stacks and reports only the fleet', async () => {
    const r = await p.run(['synth']);
    expect(r).toMatchObject({ code: 0, err: '', out: 'tokyo: 1 host, 2 guests → cdktf.out/stacks/tokyo/{cdk.tf.json,hvkit.manifest.json}\n' });
    const dns = JSON.parse(readFileSync(join(p.dir, 'cdktf.out', 'stacks', 'dns', 'cdk.tf.json'), 'utf8'));
    expect(dns.output.zone.value).toBe('example.org');
    expect(existsSync(join(p.dir, 'cdktf.out', 'stacks', 'dns', 'hvkit.manifest.json'))).toBe(false);
    expect(Object.keys(JSON.parse(readFileSync(join(p.dir, 'cdktf.out', 'manifest.json'), 'utf8')).stacks).sort()).toEqual(['dns', 'tokyo']);
  });

  it('plan and apply work on the fleet and ignore the other stack', async () => {
    const plan = await p.run(['plan']);
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).not.toContain('dns');
    const json = await p.run(['plan', '--json']);
    const planned = PlanAssert.fromJson(json.out);
    planned.changeCount('create', 2);
    planned.hasChange('h1', { kind: 'host', action: 'add', tfAddress: 'null_resource.host_h1' });
    planned.hasNoChange('zone');
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(stateGuests(p.dir)).toEqual(['web-01@h1', 'web-02@h1']);
  });

  it('plan leaves the output of the last synth alone', async () => {
    expect((await p.run(['synth'])).code).toBe(0);
    const before = readFileSync(join(p.dir, 'cdktf.out', 'manifest.json'), 'utf8');
    expect((await p.run(['plan', '--app', 'npx tsx stacks/main.ts'], { env: { HVKIT_APP_PROCESS: 'separate' } })).code).toBe(0);
    expect((await p.run(['plan'])).code).toBe(0);
    expect(readFileSync(join(p.dir, 'cdktf.out', 'manifest.json'), 'utf8')).toBe(before);
  });
});

const hasTerraform = commandWorks('terraform', ['version']);

describeWithTool('a cdktf-App fleet under a real terraform', 'terraform', hasTerraform, 'terraform is not on PATH', () => {
  let p: TempProject;
  beforeAll(() => {
    p = tempProject();
    p.writeStack(cdktfApp('new App()', OTHER_STACK, "{ provider: 'local', resourceType: 'terraform_data' }"));
  });
  afterAll(() => p.cleanup());

  it('synthesizes a terraform_data stack that passes terraform init and validate', async () => {
    expect((await p.run(['synth'])).code).toBe(0);
    const cwd = join(p.dir, 'cdktf.out', 'stacks', 'tokyo');
    const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: undefined };
    const init = spawnSync('terraform', ['init', '-input=false', '-no-color'], { cwd, env, encoding: 'utf8' });
    expect(init.status, init.stderr + init.stdout).toBe(0);
    const validate = spawnSync('terraform', ['validate', '-no-color'], { cwd, env, encoding: 'utf8' });
    expect(validate.status, validate.stderr + validate.stdout).toBe(0);
    expect(validate.stdout).toContain('The configuration is valid.');
  }, 120_000);
});

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { commandWorks, describeWithTool } from '../helpers/tools';
import { tempProject, type TempProject } from '../helpers/project';

const hasTerraform = commandWorks('terraform', ['version']);

type Doc = Record<string, any>;

/**
 * hvkit's `plan --json` against what a real `terraform show -json` writes for
 * the synthesized stack: tools that read one must be able to read the other.
 */
describeWithTool('plan --json beside a real terraform show -json', 'terraform', hasTerraform, 'terraform is not on PATH', () => {
  let p: TempProject;
  let dir: string;
  const tf = (...args: string[]) => spawnSync('terraform', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: undefined } });
  const ok = (r: ReturnType<typeof tf>) => expect(r.status, r.stderr + r.stdout).toBe(0);
  const terraformPlan = (): Doc => {
    ok(tf('plan', '-input=false', '-no-color', '-out', 'tf.plan'));
    const show = tf('show', '-json', '-no-color', 'tf.plan');
    ok(show);
    return JSON.parse(show.stdout);
  };
  const hvkitPlan = async (project: TempProject): Promise<Doc> => {
    const r = await project.run(['plan', '--json']);
    expect(r.err).toBe('');
    return JSON.parse(r.out);
  };
  const airGapped = (project: TempProject) => {
    // terraform_data is built in: no provider download.
    const src = readFileSync(join(project.dir, 'stacks', 'main.ts'), 'utf8')
      .replace("new Fleet(app, 'tokyo', { provider: 'local' })", "new Fleet(app, 'tokyo', { provider: 'local', resourceType: 'terraform_data' })");
    project.writeStack(src);
  };
  const expectSameShape = (ours: Doc, theirs: Doc) => {
    expect(Object.keys(ours)).toEqual(expect.arrayContaining(Object.keys(theirs)));
    expect(Object.keys(ours).filter((k) => !(k in theirs))).toEqual(['hvkit']);
    const theirKeys = new Set(theirs.resource_changes.flatMap((c: Doc) => Object.keys(c)));
    const theirChangeKeys = new Set(theirs.resource_changes.flatMap((c: Doc) => Object.keys(c.change)));
    for (const c of ours.resource_changes) {
      expect(Object.keys(c), c.address).toEqual(expect.arrayContaining([...theirKeys].filter((k) => k !== 'action_reason')));
      expect(Object.keys(c.change), c.address).toEqual(expect.arrayContaining([...theirChangeKeys]));
    }
    expect(typeof ours.terraform_version).toBe('string');
    expect(ours.format_version).toBe(theirs.format_version);
    expect(ours.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Object.keys(ours.planned_values)).toEqual(Object.keys(theirs.planned_values));
    expect(Object.keys(ours.configuration)).toEqual(Object.keys(theirs.configuration));
    expect(ours.configuration.provider_config).toEqual(theirs.configuration.provider_config);
  };

  // Each test gets its own stack: the second one's terraform apply must not reach the first one's plan.
  beforeEach(async () => {
    p = tempProject();
    airGapped(p);
    const r = await p.run(['synth']);
    expect(r.code, r.err).toBe(0);
    dir = join(p.dir, 'cdktf.out', 'stacks', 'tokyo');
    ok(tf('init', '-input=false', '-no-color'));
  }, 120_000);
  afterEach(() => p.cleanup());

  it('has every top-level key and every resource_changes[] key Terraform writes, for the same addresses', async () => {
    const theirs = terraformPlan();
    const ours = await hvkitPlan(p);
    expectSameShape(ours, theirs);
    const addresses = (d: Doc) => d.resource_changes.map((c: Doc) => c.address).sort();
    expect(addresses(ours)).toEqual(addresses(theirs));
    expect(ours.planned_values.root_module.resources.map((r: Doc) => r.address).sort()).toEqual(theirs.planned_values.root_module.resources.map((r: Doc) => r.address).sort());
    expect([ours.applyable, ours.complete, ours.errored]).toEqual([theirs.applyable, theirs.complete, theirs.errored]);
  }, 120_000);

  it('keeps the shape once there is state (prior_state)', async () => {
    ok(tf('apply', '-input=false', '-no-color', '-auto-approve'));
    const theirs = terraformPlan();
    expect(theirs).toHaveProperty('prior_state');
    // hvkit's own state, in a project of its own: the terraform apply above made the domains of this one.
    const q = tempProject();
    try {
      airGapped(q);
      expect((await q.run(['apply', '--auto-approve'])).code).toBe(0);
      const ours = await hvkitPlan(q);
      expectSameShape(ours, theirs);
      // Nothing to do: like Terraform, not applyable, but complete and without errors.
      expect([ours.applyable, ours.complete, ours.errored]).toEqual([theirs.applyable, theirs.complete, theirs.errored]);
    } finally {
      q.cleanup();
    }
  }, 180_000);
});

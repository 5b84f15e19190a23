import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { commandWorks, describeWithTool } from '../helpers/tools';
import { tempProject, type TempProject } from '../helpers/project';

const hasTerraform = commandWorks('terraform', ['version']);

describeWithTool('the synthesized stack under a real terraform', 'terraform', hasTerraform, 'terraform is not on PATH', () => {
  let p: TempProject;
  let dir: string;
  const tf = (...args: string[]) => spawnSync('terraform', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: undefined } });

  // Each test gets its own synthesized and initialized stack: apply in one must not be seen by the other's plan.
  beforeEach(async () => {
    p = tempProject();
    // The air-gapped variant: terraform_data is built in, no provider download.
    const src = (await import('node:fs')).readFileSync(join(p.dir, 'stacks', 'main.ts'), 'utf8')
      .replace("new Fleet(app, 'tokyo', { provider: 'local' })", "new Fleet(app, 'tokyo', { provider: 'local', resourceType: 'terraform_data' })");
    p.writeStack(src);
    const r = await p.run(['synth']);
    expect(r.code, r.err).toBe(0);
    dir = join(p.dir, 'cdktf.out', 'stacks', 'tokyo');
    const init = tf('init', '-input=false', '-no-color');
    expect(init.status, init.stderr + init.stdout).toBe(0);
  }, 120_000);
  afterEach(() => p.cleanup());

  it('passes terraform validate and plan', () => {
    const validate = tf('validate', '-no-color');
    expect(validate.status, validate.stderr + validate.stdout).toBe(0);
    const plan = tf('plan', '-input=false', '-no-color', '-detailed-exitcode');
    expect(plan.stderr).not.toMatch(/Error/);
    expect(plan.status).toBe(2);
    expect(plan.stdout).toContain('terraform_data.guest_web-01 will be created');
    expect(plan.stdout).toMatch(/Plan: 10 to add, 0 to change, 0 to destroy/);
  });

  it('applies for real: local-exec runs the provider scripts with the guest name', () => {
    const apply = tf('apply', '-input=false', '-no-color', '-auto-approve');
    expect(apply.status, apply.stderr + apply.stdout).toBe(0);
    // The local provider created the domains from the manifest, exactly as hvkit apply would.
    const list = spawnSync(join(p.dir, 'providers', 'local', 'list'), [], {
      cwd: p.dir, encoding: 'utf8',
      input: JSON.stringify({ fleet: 'tokyo', host: { name: 'web-host-01', address: '.hvkit/local/tokyo/web-host-01' } }),
    });
    expect(JSON.parse(list.stdout.trim().split('\n').pop()!).domains.map((d: { name: string }) => d.name)).toEqual(['memcached-01', 'web-01']);
  }, 120_000);
});

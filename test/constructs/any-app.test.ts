import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App as CdktfApp, TerraformOutput, TerraformStack, Testing } from 'cdktf';
import { afterEach, describe, expect, it } from 'vitest';
import { App, Fleet, Guest, Host, HostGroup, ValidationError } from '../../lib/index';
import { WEB_HOST_8G, web } from '../helpers/fleet';

const outdirs: string[] = [];
afterEach(() => {
  for (const d of outdirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A one-host fleet in `app`; returns the folder its stack synthesizes to. */
function smallFleet(app: CdktfApp, name = 'tokyo'): string {
  outdirs.push(app.outdir);
  const f = new Fleet(app, name, { provider: 'local' });
  new Guest(new Host(f, 'web-host-01', WEB_HOST_8G), 'web-01', web('5.5GiB'));
  return join(app.outdir, 'stacks', name);
}

describe('a Fleet writes its manifest beside its cdk.tf.json, whatever App it is in', () => {
  for (const [kind, make] of [
    ["cdktf's App", () => new CdktfApp({ outdir: Testing.app().outdir })],
    ["cdktf's Testing.app()", () => Testing.app()],
    ["hvkit's App", () => new App({ outdir: Testing.app().outdir })],
  ] as const) {
    it(`in ${kind}`, () => {
      const app = make();
      const dir = smallFleet(app);
      app.synth();
      const manifest = JSON.parse(readFileSync(join(dir, 'hvkit.manifest.json'), 'utf8'));
      expect(manifest.guests.map((g: { name: string }) => g.name)).toEqual(['web-01']);
      expect(Object.keys(JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')).resource.null_resource)).toContain('guest_web-01');
    });
  }

  it('in Testing.fullSynth(fleet), which synthesizes the stack alone', () => {
    const app = Testing.app();
    outdirs.push(app.outdir);
    const f = new Fleet(app, 'tokyo');
    new Guest(new Host(f, 'h1', WEB_HOST_8G), 'g1', web('1GiB'));
    const out = Testing.fullSynth(f);
    outdirs.push(out);
    expect(existsSync(join(out, 'stacks', 'tokyo', 'hvkit.manifest.json'))).toBe(true);
  });

  it('beside a stack that is not hvkit’s, which gets its Terraform JSON and no manifest', () => {
    const app = Testing.app();
    smallFleet(app);
    new TerraformOutput(new TerraformStack(app, 'dns'), 'zone', { value: 'example.org' });
    app.synth();
    expect(JSON.parse(readFileSync(join(app.outdir, 'stacks', 'dns', 'cdk.tf.json'), 'utf8')).output.zone.value).toBe('example.org');
    expect(existsSync(join(app.outdir, 'stacks', 'dns', 'hvkit.manifest.json'))).toBe(false);
  });

  it("throws every problem of every fleet at once from cdktf's App, before writing anything", () => {
    const app = Testing.app();
    outdirs.push(app.outdir);
    const a = new Fleet(app, 'tokyo');
    new Guest(new Host(a, 'h1', WEB_HOST_8G), 'big', web('9GiB', { maxMemory: '1GiB' }));
    const b = new Fleet(app, 'osaka');
    new Host(new HostGroup(b, 'rack-b'), 'stray', WEB_HOST_8G);
    let thrown: unknown;
    try {
      app.synth();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).problems.map((p) => p.path)).toEqual(['tokyo/h1/big', 'osaka/rack-b/stray']);
    expect(existsSync(join(app.outdir, 'stacks', 'tokyo'))).toBe(false);
    expect(existsSync(join(app.outdir, 'stacks', 'osaka'))).toBe(false);
  });
});

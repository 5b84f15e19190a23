import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../lib/manifest/canonical';
import type { Plan, Step } from '../../lib/plan/types';
import { LOCAL_HOST, localDomains, stackSource, tempProject, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const h = new Host(fleet, 'h1', ${LOCAL_HOST});
new Guest(h, 'web-01', { role: 'web', vcpus: 1, memory: '512MiB' });
new Guest(h, 'web-02', { role: 'web', vcpus: 1, memory: '512MiB' });
`);

/**
 * A saved plan is what was reviewed, not instructions: these files were
 * edited and their checksum recomputed (anyone can), as a tampered CI
 * artifact would be. `apply FILE` must refuse each, run nothing, and leave
 * state byte for byte as it was.
 */
describe('hvkit apply FILE with a tampered saved plan', () => {
  let p: TempProject;
  let outside: string;
  const stateFile = () => join(p.dir, '.hvkit/state/tokyo.json');
  const stateBytes = () => (existsSync(stateFile()) ? readFileSync(stateFile(), 'utf8') : '(none)');
  function tamper(file: string, edit: (plan: Plan, envelope: Record<string, unknown>) => void): void {
    const envelope = JSON.parse(readFileSync(join(p.dir, file), 'utf8'));
    edit(envelope.plan, envelope);
    envelope.checksum = sha256(JSON.stringify(envelope.plan));
    writeFileSync(join(p.dir, file), JSON.stringify(envelope));
  }
  async function refused(file: string, message: string | RegExp, flags: string[] = []): Promise<string> {
    const before = stateBytes();
    const r = await p.run(['apply', ...flags, file]);
    expect(r.code, r.out).toBe(1);
    expect(r.err).not.toContain('internal error');
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(stateBytes()).toBe(before);
    return r.err;
  }

  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
    outside = mkdtempSync(join(tmpdir(), 'hvkit-evil-'));
  });
  afterEach(() => {
    p.cleanup();
    rmSync(outside, { recursive: true, force: true });
  });

  it("refuses a step whose provider is a path out of the project ('../../evil'), naming the JSON pointer", async () => {
    writeFileSync(join(outside, 'create'), `#!/bin/sh\ntouch ${outside}/PWNED\necho '{"ok":true,"domain":"web-01"}'\n`);
    chmodSync(join(outside, 'create'), 0o755);
    expect((await p.run(['plan', '--out', 'plan.json'])).code).toBe(0);
    tamper('plan.json', (plan) => {
      for (const s of plan.steps) if (s.kind === 'create') (s as { provider: string }).provider = `../../${basename(outside)}`;
    });
    await refused('plan.json', /plan\.json: at \/plan\/steps\/\d+\/provider: must be one of "local", "libvirt", "xen"/);
    expect(existsSync(join(outside, 'PWNED'))).toBe(false);
  });

  it('refuses a host address changed to write outside the project', async () => {
    expect((await p.run(['plan', '--out', 'plan.json'])).code).toBe(0);
    const target = join(outside, 'planted');
    tamper('plan.json', (plan) => {
      for (const s of plan.steps) if (s.hostSpec) s.hostSpec = { ...s.hostSpec, address: target };
    });
    await refused('plan.json', /the saved plan is not the plan its code and state give: step 1 'add-host:h1' \(add host h1\) differs in 'hostSpec'/);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a destroy step no one reviewed, naming it, and destroys nothing', async () => {
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    const create = JSON.parse(readFileSync(join(p.dir, '.hvkit/state/tokyo.json'), 'utf8'));
    expect((await p.run(['plan', '--out', 'plan.json'])).code).toBe(0);
    tamper('plan.json', (plan) => {
      plan.steps.push({ id: 'destroy:web-01', kind: 'destroy', provider: 'local', host: 'h1', guest: 'web-01', dependsOn: [], hostSpec: create.hosts.h1.spec, before: create.guests['web-01'].spec, description: 'destroy web-01 on h1' } as Step);
    });
    await refused('plan.json', "the file has a step 1 'destroy:web-01' (destroy web-01 on h1) that the code and state do not give");
    expect(localDomains(p.dir)).toEqual(['web-01@h1', 'web-02@h1']);
  });

  it('refuses a step that depends on itself instead of reporting "Apply complete" with nothing done', async () => {
    expect((await p.run(['plan', '--out', 'plan.json'])).code).toBe(0);
    tamper('plan.json', (plan) => {
      const s = plan.steps.find((x) => x.kind === 'create')!;
      s.dependsOn = [...s.dependsOn, s.id];
    });
    await refused('plan.json', /step \d+ 'create:web-01' \(create web-01 on h1\) differs in 'dependsOn'/);
    expect(localDomains(p.dir)).toEqual([]);
  });

  it.each([
    ['an unknown step kind', (plan: Plan) => ((plan.steps[0] as { kind: string }).kind = 'format-disk'), /at \/plan\/steps\/0\/kind: must be one of "add-host"/],
    ['steps: null', (plan: Plan) => ((plan as { steps: unknown }).steps = null), /at \/plan\/steps: must be array/],
    ['a step without an id', (plan: Plan) => delete (plan.steps[0] as Partial<Step>).id, /at \/plan\/steps\/0: is missing field 'id'/],
    ['an extra field', (plan: Plan) => ((plan as unknown as Record<string, unknown>).run = 'rm -rf /'), /at \/plan: has unknown field 'run'/],
    ['a terminal escape in a description', (plan: Plan) => Object.assign(plan.steps[0], { id: 'add-host:h2', description: 'x\x1b]0;owned\x07\x1b[2J' }), /step 1 is 'add-host:h2' \(x\\x1b\]0;owned\\x07\\x1b\[2J\) in the file but 'add-host:h1'/],
  ])('refuses %s with one clear line, never an internal error', async (_what, edit, message) => {
    expect((await p.run(['plan', '--out', 'plan.json'])).code).toBe(0);
    tamper('plan.json', edit);
    const err = await refused('plan.json', message);
    expect(err).not.toContain('\x1b');
  });

  it('refuses a rebuild plan whose derivation was changed to another host', async () => {
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect((await p.run(['rebuild', 'h1', '--out', 'rb.json'])).code).toBe(0);
    tamper('rb.json', (_plan, envelope) => (envelope.derivation = { kind: 'plan' }));
    await refused('rb.json', /the saved plan is not the plan its code and state give: the file has a step 1 'replace:web-01'/);
  });

  it('refuses a plan file turned into a rebuild no one asked for, even when the rebuild is real', async () => {
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect((await p.run(['rebuild', 'h1', '--out', 'rb.json'])).code).toBe(0);
    // An attacker swaps the reviewed plan.json for a genuine rebuild plan: code and state do give it.
    await refused('rb.json', /the saved plan is a rebuild of h1 \(hvkit rebuild --out\), which is not what this command asks to apply/);
  });

  describe('a targeted destroy or replace: its targets must be typed again', () => {
    /** What `tamper` does to a whole file: an attacker puts another genuine plan under the reviewed name. */
    function swap(reviewed: string, other: string): void {
      writeFileSync(join(p.dir, reviewed), readFileSync(join(p.dir, other)));
      tamper(reviewed, () => {});
    }
    beforeEach(async () => {
      expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    });

    it('refuses a destroy of web-01 swapped for the whole-fleet destroy, under the command the reviewed plan gave', async () => {
      const saved = await p.run(['plan', '--destroy', '--target', 'web-01', '--out', 'small.json']);
      expect(saved.out).toContain('apply exactly this plan with: hvkit apply --destroy --target web-01 small.json');
      expect((await p.run(['destroy', '--out', 'full.json'])).code).toBe(0);
      swap('small.json', 'full.json');
      await refused('small.json', 'the saved plan is a destroy plan (hvkit plan --destroy --out), which is not what this command asks to apply. Nothing was applied', ['--destroy', '--target', 'web-01']);
      expect(localDomains(p.dir)).toEqual(['web-01@h1', 'web-02@h1']);
    });

    it('applies a destroy of web-01 only when --target web-01 is typed again', async () => {
      const saved = await p.run(['destroy', '--target', 'web-01', '--out', 'small.json']);
      expect(saved.out).toContain('hvkit apply --destroy --target web-01 small.json');
      await refused('small.json', 'the saved plan is a destroy of web-01 (hvkit plan --destroy --target … --out), which is not what this command asks to apply. Nothing was applied; if that is the plan you reviewed, apply it with `hvkit apply --destroy --target web-01 FILE`', ['--destroy']);
      expect(localDomains(p.dir)).toEqual(['web-01@h1', 'web-02@h1']);
      const r = await p.run(['apply', '--destroy', '--target', 'web-01', 'small.json']);
      expect(r.code, r.err).toBe(0);
      expect(localDomains(p.dir)).toEqual(['web-02@h1']);
    });

    it('refuses a replace of web-01 swapped for the full plan that also deletes web-02, and applies the real one with its --target', async () => {
      p.writeStack(stackSource(`
const h = new Host(fleet, 'h1', ${LOCAL_HOST});
new Guest(h, 'web-01', { role: 'web', vcpus: 1, memory: '512MiB' });
`));
      const saved = await p.run(['plan', '--replace', 'web-01', '--target', 'web-01', '--out', 'small.json']);
      expect(saved.out).toContain('hvkit apply --replace web-01 --target web-01 small.json');
      expect((await p.run(['plan', '--replace', 'web-01', '--out', 'full.json'])).code).toBe(0);
      await refused('small.json', 'apply it with `hvkit apply --replace web-01 --target web-01 FILE`', ['--replace', 'web-01']);
      await p.run(['plan', '--replace', 'web-01', '--target', 'web-01', '--out', 'kept.json']);
      swap('small.json', 'full.json');
      await refused('small.json', 'which is not what this command asks to apply', ['--replace', 'web-01', '--target', 'web-01']);
      expect(localDomains(p.dir)).toEqual(['web-01@h1', 'web-02@h1']);
      const r = await p.run(['apply', '--replace', 'web-01', '--target', 'web-01', 'kept.json']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('1 replaced');
      expect(localDomains(p.dir)).toEqual(['web-01@h1', 'web-02@h1']);
    });
  });

  it('still applies an untouched plan, executing the steps it re-derives', async () => {
    expect((await p.run(['plan', '--out', 'plan.json'])).code).toBe(0);
    const r = await p.run(['apply', 'plan.json']);
    expect(r.code, r.err).toBe(0);
    expect(localDomains(p.dir)).toEqual(['web-01@h1', 'web-02@h1']);
  });
});

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, stackSource, tempProject, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'db-01', { role: 'db', vcpus: 1, memory: '1GiB', disks: [{ size: '10GiB', on: 'sda' }] });
new Guest(a, 'batch-01', { role: 'batch', vcpus: 1, memory: '1GiB', power: 'stopped' });
`);
const PROTECTED = STACK.replace("role: 'db', vcpus: 1, memory: '1GiB',", "role: 'db', vcpus: 1, memory: '1GiB', lifecycle: { preventDestroy: true },");

describe('what a new user trips over', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
  });
  afterEach(() => p.cleanup());

  describe('plan --target with drift elsewhere', () => {
    beforeEach(async () => {
      p.writeStack(STACK);
      expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
      expect((await p.run(['stop', 'web-02'])).code).toBe(0);
      expect((await p.run(['start', 'batch-01'])).code).toBe(0);
      expect((await p.run(['refresh', '--no-stats'])).code).toBe(0);
    });

    it('says the drift of untargeted guests is left out, not converged, and never that the fleet matches the code', async () => {
      const r = await p.run(['plan', '--target', 'db-01', '--no-color']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).not.toContain('the plan starts it again');
      expect(r.out).not.toContain('the plan shuts it down');
      expect(r.out).not.toContain('The fleet matches the code');
      expect(r.out).toMatch(/web-02 on host-a is shut off.*\(left out by --target\)/);
      expect(r.out).toMatch(/batch-01 on host-a runs.*\(left out by --target\)/);
      expect(r.out).toContain('web-02 has drifted');
      expect(r.out).toContain('--target leaves it out, so this plan does not converge it');
      expect(r.out).toContain('No changes to the targeted guests and hosts.');
    });

    it('says the same in JSON diagnostics', async () => {
      const r = await p.run(['plan', '--target', 'db-01', '--json']);
      const plan = JSON.parse(r.out) as { hvkit: { drift: { guest?: string; leftOut?: boolean }[]; diagnostics: { message: string }[] } };
      const messages = plan.hvkit.diagnostics.map((d) => d.message).join('\n');
      expect(messages).not.toMatch(/the plan (starts it again|shuts it down)/);
      expect(plan.hvkit.drift.map((d) => [d.guest, d.leftOut])).toEqual([['batch-01', true], ['web-02', true]]);
    });

    it('still converges the drift of a targeted guest', async () => {
      const r = await p.run(['plan', '--target', 'web-02', '--no-color']);
      expect(r.out).toContain('web-02 is shut off on host-a: the plan starts it again');
      expect(r.out).toMatch(/batch-01 on host-a runs.*\(left out by --target\)/);
    });

    it('never says the fleet matches the code while drift is listed', async () => {
      const r = await p.run(['plan', '--no-color']);
      expect(r.out).toContain('the plan starts it again');
      expect(r.out).not.toContain('The fleet matches the code');
    });
  });

  describe('a plan with errors', () => {
    beforeEach(async () => {
      p.writeStack(PROTECTED);
      expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    });

    it.each([
      ['plan --replace', ['plan', '--replace', 'db-01', '--out', 'r.json']],
      ['plan --destroy', ['plan', '--destroy', '--out', 'r.json']],
      ['destroy --out', ['destroy', '--out', 'r.json']],
      ['rebuild', ['rebuild', 'host-a', '--out', 'r.json']],
    ])('gives no command to apply it (%s), and apply refuses the file', async (_name, args) => {
      const r = await p.run(args);
      expect(r.code).toBe(1);
      expect(r.out).toContain('This plan has errors and cannot be applied.');
      expect(`${r.out}${r.err}`).not.toContain('hvkit apply');
      expect(r.err).toContain('Saved the plan to r.json to show it');
      expect(r.err).toContain('it has errors, so apply refuses it');
      // Kept for `hvkit report --plan` and `hvkit show`.
      expect(existsSync(join(p.dir, 'r.json'))).toBe(true);
    });
  });

  describe('destroy of a protected guest code still has', () => {
    it('advises unprotecting it in code, not putting it back in code', async () => {
      p.writeStack(PROTECTED);
      expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
      for (const args of [['destroy', '--target', 'db-01', '--auto-approve'], ['plan', '--destroy']]) {
        const r = await p.run(args);
        expect(r.code, args.join(' ')).toBe(1);
        expect(`${r.out}${r.err}`).toContain('set lifecycle.preventDestroy: false in code and apply, then destroy');
        expect(`${r.out}${r.err}`).not.toContain('put it back in code');
      }
    });
  });

  describe('hvkit show', () => {
    beforeEach(async () => {
      p.writeStack(STACK);
      expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    });

    it('calls a saved destroy a destroy and a saved replace a replace', async () => {
      expect((await p.run(['plan', '--destroy', '--out', 'd.json'])).code).toBe(0);
      expect((await p.run(['show', 'd.json'])).out).toContain('\nThis plan is a destroy of the fleet; apply it with: hvkit apply --destroy d.json\n');
      expect((await p.run(['plan', '--replace', 'web-02', '--out', 'r.json'])).code).toBe(0);
      expect((await p.run(['show', 'r.json'])).out).toContain('\nThis plan is a plan that replaces web-02; apply it with: hvkit apply --replace web-02 r.json\n');
    });
  });

  describe('small things', () => {
    beforeEach(async () => {
      p.writeStack(STACK);
      expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    });

    it('renders commands in the markdown targeting warning as code, without backslashes', async () => {
      const r = await p.run(['plan', '--target', 'db-01', '--markdown']);
      expect(r.out).toContain('Run `hvkit plan` without --target');
      expect(r.out).not.toContain('\\`');
    });

    it('says a running guest is already running, and a shut-off one already shut off, exiting 0', async () => {
      const start = await p.run(['start', 'web-02']);
      expect(start.code, start.err).toBe(0);
      expect(start.out).toBe('web-02 is already running on host-a; state records it running.\n');
      const stop = await p.run(['stop', 'batch-01']);
      expect(stop.code, stop.err).toBe(0);
      expect(stop.out).toBe('batch-01 is already shut off on host-a; state records it stopped.\n');
      expect((await p.run(['stop', 'web-02'])).out).toBe('Stopped web-02 on host-a; state records it stopped.\n');
    });

    it('says a missing plan file does not exist and how to make one', async () => {
      const r = await p.run(['show', 'nope.json']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Error: \S*nope\.json: no such file; save a plan to show or apply with `hvkit plan --out FILE`\n$/);
    });

    it('points at import when apply finds the domain of a guest state forgot', async () => {
      expect((await p.run(['state', 'rm', 'web-02'])).code).toBe(0);
      const r = await p.run(['apply', '--auto-approve']);
      expect(r.code).toBe(1);
      expect(`${r.out}${r.err}`).toContain('domain web-02 already runs on host-a');
      expect(`${r.out}${r.err}`).toContain('(it is not in state: `hvkit import web-02` records it)');
    });
  });
});

import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, stackSource, tempProject, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
const b = new Host(fleet, 'host-b', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
`);
/** host-a is 4 GiB: three 2 GiB guests cannot fit, in any order. */
const OVER = STACK.replace("new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });", `new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '2GiB' });
new Guest(a, 'web-03', { role: 'web', vcpus: 1, memory: '2GiB' });`).replace("new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });", "new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '2GiB' });");

describe('messages that tell the truth', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
  });
  afterEach(() => p.cleanup());

  describe('apply refusing a plan with errors', () => {
    const expected = (out: string) => {
      expect(out).toContain('Error: the plan has errors, so nothing was applied:\n  tokyo/host-a: memory ');
      expect(out).toContain('exceeds 4GiB installed');
      expect(out).not.toContain('listed above');
    };

    it('prints the errors, one per line with their paths (fresh plan)', async () => {
      p.writeStack(OVER);
      const r = await p.run(['apply', '--auto-approve']);
      expect(r.code).toBe(1);
      expected(r.err);
    });

    it('prints the errors of a saved plan too', async () => {
      p.writeStack(OVER);
      expect((await p.run(['plan', '--out', 'plan.json'])).code).toBe(1);
      const r = await p.run(['apply', 'plan.json']);
      expect(r.code).toBe(1);
      expected(r.err);
    });
  });

  it('gives an over-full host one true error, not a second one about ordering', async () => {
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    p.writeStack(OVER);
    const r = await p.run(['plan']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('exceeds 4GiB installed');
    expect(r.out).not.toContain('cannot be ordered');
    expect(r.out).not.toContain('split the change into two plans');
  });

  it('keeps every character of a failure message when the log holds multi-byte text before it', async () => {
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    p.writeStack(STACK.replace("new Guest(a, 'web-02'", "new Guest(b, 'web-02'"));
    // The step's log starts with its description, "migrate web-02 host-a → host-b": "→" is 3 bytes, 1 character.
    const faults = JSON.stringify([{ verb: 'migrate', fail: 1, message: 'web-02 cannot reach host-b' }]);
    const r = await p.run(['apply', '--auto-approve'], { env: { HVKIT_LOCAL_FAULTS: faults } });
    expect(r.code).toBe(1);
    expect(r.err).toContain('  migrate:web-02 failed (exit 1): migrate exited with 1:\n    migrate: web-02 cannot reach host-b\n');
  });

  describe('no state', () => {
    it('--state FILE without a fleet names the file, not "fleet fleet"', async () => {
      for (const cmd of [['hosts'], ['guests']]) {
        const r = await p.run([...cmd, '--state', 'nowhere.json']);
        expect(r.code).toBe(1);
        expect(r.err).toBe(`Error: there is no state at ${join(p.dir, 'nowhere.json')}: nothing is deployed; run \`hvkit apply\` first (or pass the right --state / --fleet)\n`);
      }
    });

    it('state show says there is no state, and exits 1', async () => {
      const r = await p.run(['state', 'show', '--state', 'nowhere.json']);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toBe(`Error: there is no state at ${join(p.dir, 'nowhere.json')}: nothing was applied yet (or pass the right --state / --fleet)\n`);
    });

    it('state show prints the state when there is one', async () => {
      expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
      const r = await p.run(['state', 'show']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).fleet).toBe('tokyo');
    });

    it('report refuses a missing state and names it', async () => {
      const r = await p.run(['report', '--html', 'r.html', '--state', 'nowhere.json']);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`there is no state at ${join(p.dir, 'nowhere.json')}: nothing is deployed to report`);
    });

    it('report refuses a state that records no hosts instead of writing an empty page', async () => {
      const empty = { version: 1, lineage: '11111111-2222-4333-8444-555555555555', serial: 1, fleet: 'tokyo', hosts: {}, guests: {}, inflight: {} };
      writeFileSync(join(p.dir, 'empty.json'), JSON.stringify(empty));
      const r = await p.run(['report', '--html', 'r.html', '--state', 'empty.json']);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`the state at ${join(p.dir, 'empty.json')} records no hosts: nothing is deployed to report`);
    });

    it('report counts hosts and guests in words that agree with the number', async () => {
      p.writeStack(stackSource(`new Guest(new Host(fleet, 'host-a', ${LOCAL_HOST}), 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });`));
      expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
      const r = await p.run(['report', '--html', 'r.html']);
      expect(r.out).toBe('Wrote r.html: 1 host, 1 guest.\n');
    });
  });
});

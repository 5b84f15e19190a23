import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, localDomains, readState, stackSource, tempProject, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
`);
const GROWN = STACK.replace("new Guest(a, 'web-01'", "new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });\nnew Guest(a, 'web-01'");
const REFUSAL = 'Error: apply without a plan file asks for confirmation on a terminal; without one, pass --auto-approve or apply a saved plan (hvkit plan --out FILE)\n';

const messages = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l));

describe('hvkit apply and confirmation', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
  });
  afterEach(() => p.cleanup());

  describe('with nothing to do', () => {
    beforeEach(async () => {
      expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    });

    it('says "No changes." and exits 0 without --auto-approve or a terminal', async () => {
      const serial = readState(p.dir).serial;
      const r = await p.run(['apply']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('No changes.');
      expect(r.err).toBe('');
      expect(readState(p.dir).serial).toBe(serial);
    });

    it('does not ask on a terminal either (an answer of "no" would cancel and exit 1)', async () => {
      const r = await p.run(['apply'], { tty: true, answer: 'no' });
      expect(r.code).toBe(0);
      expect(r.out).toContain('No changes.');
    });

    it('with --json writes a change summary of zeros and exits 0 without --auto-approve', async () => {
      const r = await p.run(['apply', '--json']);
      expect(r.code, r.out).toBe(0);
      expect(messages(r.out).map((m) => m.type)).toEqual(['version', 'change_summary']);
      expect(messages(r.out)[1].changes).toEqual({ add: 0, change: 0, import: 0, remove: 0, operation: 'apply' });
    });
  });

  describe('with changes and no terminal', () => {
    it('shows the plan, refuses as before, and applies nothing', async () => {
      const plan = await p.run(['plan']);
      const r = await p.run(['apply']);
      expect(r.code).toBe(1);
      expect(r.out).toBe(plan.out);
      expect(r.err).toBe(REFUSAL);
      expect(localDomains(p.dir)).toEqual([]);
      expect(existsSync(join(p.dir, '.hvkit', 'state', 'tokyo.json'))).toBe(false);
    });

    it('refuses before any step of a fleet that has state too', async () => {
      expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
      const serial = readState(p.dir).serial;
      p.writeStack(GROWN);
      const r = await p.run(['apply']);
      expect(r.code).toBe(1);
      expect(r.err).toBe(REFUSAL);
      expect(localDomains(p.dir)).toEqual(['web-01@host-a']);
      expect(readState(p.dir).serial).toBe(serial);
    });

    it('with --json is one diagnostic line, and applies nothing', async () => {
      const r = await p.run(['apply', '--json']);
      expect(r.code).toBe(1);
      expect(messages(r.out).map((m) => m.type)).toEqual(['version', 'diagnostic']);
      expect(messages(r.out)[1].diagnostic.summary).toContain('pass --auto-approve, or apply a saved plan');
      expect(localDomains(p.dir)).toEqual([]);
    });
  });
});

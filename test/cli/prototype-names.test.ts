import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_HOST, stackSource, tempProject, type TempProject } from '../helpers/project';

/** `constructor` is a valid DNS label, and an Object.prototype property: look-ups must find only real entries. */
describe('names that are Object.prototype properties', () => {
  let p: TempProject;
  beforeAll(() => {
    p = tempProject();
    p.writeStack(stackSource(`
const h = new Host(fleet, 'constructor', ${LOCAL_HOST});
new Guest(h, 'constructor', { role: 'web', vcpus: 1, memory: '1GiB' });
new Host(fleet, 'other', ${LOCAL_HOST});
new Guest(fleet.node.findChild('other') as never, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
`));
  });
  afterAll(() => p.cleanup());

  it('rebuild of a host not in state says so, instead of reaching Object.prototype', async () => {
    const q = tempProject();
    try {
      q.writeStack(stackSource(`new Guest(new Host(fleet, 'web-host', ${LOCAL_HOST}), 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });`));
      expect((await q.run(['apply', '--auto-approve'])).code).toBe(0);
      const r = await q.run(['rebuild', 'constructor']);
      expect(r.code).toBe(1);
      expect(r.err).toBe("Error: host 'constructor' is not in state (it has web-host): there is nothing deployed there to rebuild\n");
      const g = await q.run(['guests', '--host', 'constructor']);
      expect(g.code).toBe(1);
      expect(g.err).toMatch(/^Error: unknown host 'constructor'/);
      const parent = await q.run(['parent', 'constructor']);
      expect(parent.code).toBe(1);
      expect(parent.err).toMatch(/^Error: unknown guest 'constructor'/);
    } finally {
      q.cleanup();
    }
  });

  it.each([['in hvkit\'s own process', {}], ['in a separate process', { HVKIT_APP_PROCESS: 'separate' }]])('cannot be construct ids, and say so in one line (%s)', async (_way, env) => {
    const r = await p.run(['plan'], { env });
    expect(r.code).toBe(1);
    expect(r.err).toBe("Error: 1 problem in the fleet:\n  tokyo/constructor: 'constructor' cannot be a construct id (the constructs library reserves it): choose another name\n");
  });
});

describe('a name given twice in one scope', () => {
  it.each([['in hvkit\'s own process', {}], ['in a separate process', { HVKIT_APP_PROCESS: 'separate' }]])('is one line naming the path and what is there, not the constructs library\'s class names (%s)', async (_way, env) => {
    const p = tempProject();
    try {
      p.writeStack(stackSource(`
const h = new Host(fleet, 'web-host', ${LOCAL_HOST});
new Guest(h, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(h, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
`));
      const r = await p.run(['plan'], { env });
      expect(r.code).toBe(1);
      expect(r.err).toBe("Error: 1 problem in the fleet:\n  tokyo/web-host/web-01: web-host already has a guest named 'web-01': give each its own name\n");
      p.writeStack(stackSource(`
new Host(fleet, 'web-host', ${LOCAL_HOST});
new Host(fleet, 'web-host', ${LOCAL_HOST});
`));
      expect((await p.run(['plan'], { env })).err).toBe("Error: 1 problem in the fleet:\n  tokyo/web-host: tokyo already has a host named 'web-host': give each its own name\n");
    } finally {
      p.cleanup();
    }
  });
});

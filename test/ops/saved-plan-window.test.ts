import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSampleStore } from '../../lib/state/file-sample-store';
import { sample } from '../state/sample-conformance';
import { LOCAL_HOST, stackSource, tempProject, type TempProject } from '../helpers/project';

// host-a is the fuller in memory, so with declared load alone new-01 packs onto it; measured CPU-busy, it goes to host-b.
const HOSTS = `
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
const b = new Host(fleet, 'host-b', ${LOCAL_HOST});
new Guest(a, 'a-01', { role: 'app', vcpus: 1, memory: '2GiB' });
new Guest(b, 'b-01', { role: 'app', vcpus: 1, memory: '512MiB' });
`;
const STACK = stackSource(HOSTS);
const GROWN = stackSource(`${HOSTS}new Guest(fleet, 'new-01', { role: 'batch', vcpus: 2, memory: '1GiB', load: { cpu: 2 } });`);

/** A saved plan is re-derived over the measured-load window it weighed, not the one that ends when apply runs. */
describe('apply FILE with samples taken after the plan', () => {
  let p: TempProject;

  beforeEach(async () => {
    p = tempProject();
    p.writeStack(STACK);
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
  });
  afterEach(() => p.cleanup());

  it('applies the plan it saved, though a sample taken since would place its new guest elsewhere', async () => {
    p.writeStack(GROWN);
    const planned = await p.run(['plan', '--out', 'plan.bin']);
    expect(planned.code, planned.err).toBe(0);
    const saved = JSON.parse(readFileSync(join(p.dir, 'plan.bin'), 'utf8'));
    // It weighed no measured load: the file holds no clock, and apply re-derives it without samples.
    expect(saved.measuredUntil).toBeUndefined();

    expect(planned.out).toMatch(/new-01.*host-a/);
    // A sample taken after the plan (a refresh would change the state too, making the plan stale):
    // weighed by a new plan, not by this one's re-derivation.
    const after = new Date().toISOString();
    const busy = sample('host-a', 0, 2.8);
    await new FileSampleStore(join(p.dir, '.hvkit/state/tokyo.json.samples')).append([{ ...busy, at: after, guests: { 'a-01': busy.load } }]);
    expect((await p.run(['plan'])).out).toMatch(/new-01.*host-b/);

    const r = await p.run(['apply', 'plan.bin']);
    expect(r.err).toBe('');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/Apply complete/);
  });
});

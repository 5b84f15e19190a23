import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../lib/state/file-store';
import { LOCAL_HOST, localDomains, stackSource, stateGuests, tempProject, type TempProject } from '../helpers/project';

const SMALL = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
const b = new Host(fleet, 'host-b', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(b, 'db-01', { role: 'db', vcpus: 2, memory: '2GiB' });
`);
/** SMALL a day later: host-b and its guest gone, host-c with a new guest, web-02 given more memory. */
const CHANGED = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
const c = new Host(fleet, 'host-c', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '2GiB' });
new Guest(c, 'api-01', { role: 'api', vcpus: 1, memory: '1GiB' });
`);
const EPOCH = { SOURCE_DATE_EPOCH: '1700000000' };
const STEPS = ['add-host:host-a', 'add-host:host-b', 'create:db-01', 'create:web-01', 'create:web-02'];

type Message = Record<string, any>;

/** Every line of stdout as a JSON object; fails on a line that is not one. */
function messages(out: string): Message[] {
  expect(out.endsWith('\n'), 'output ends with a newline').toBe(true);
  return out.slice(0, -1).split('\n').map((line) => {
    const m = JSON.parse(line) as Message;
    expect(m).toMatchObject({ '@level': expect.any(String), '@message': expect.any(String), '@module': 'hvkit.ui', '@timestamp': expect.any(String), type: expect.any(String) });
    return m;
  });
}
/** plan --json's resource_changes: the addresses it names, and Terraform's add/change/remove counts of their actions. */
async function planned(p: TempProject): Promise<{ addresses: Set<string>; counts: { add: number; change: number; remove: number } }> {
  const r = await p.run(['plan', '--json']);
  expect(r.code, r.err).toBe(0);
  const changes = (JSON.parse(r.out) as { resource_changes: { address: string; change: { actions: string[] } }[] }).resource_changes;
  const count = (action: string) => changes.filter((c) => c.change.actions.includes(action)).length;
  return { addresses: new Set(changes.map((c) => c.address)), counts: { add: count('create'), change: count('update'), remove: count('delete') } };
}

const hooked = (ms: Message[], type: string) => ms.filter((m) => m.type === type).map((m) => m.hook.step.id).sort();

describe('hvkit apply --json', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(SMALL);
  });
  afterEach(() => p.cleanup());

  it('streams a start and a completion per step, then the change summary, one JSON object per line', async () => {
    const r = await p.run(['apply', '--json', '--auto-approve'], { env: EPOCH });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
    const ms = messages(r.out);
    expect(ms[0]).toMatchObject({ type: 'version', hvkit: expect.any(String), ui: '1.0' });
    expect(hooked(ms, 'apply_start')).toEqual(STEPS);
    expect(hooked(ms, 'apply_complete')).toEqual(STEPS);
    // A step completes only after it started.
    for (const id of STEPS) expect(ms.findIndex((m) => m.type === 'apply_complete' && m.hook.step.id === id)).toBeGreaterThan(ms.findIndex((m) => m.type === 'apply_start' && m.hook.step.id === id));
    expect(ms.find((m) => m.type === 'apply_start' && m.hook.step.id === 'create:web-01')).toMatchObject({
      '@level': 'info', hook: { action: 'create', step: { id: 'create:web-01', kind: 'create', guest: 'web-01', host: 'host-a' } },
    });
    expect(ms.at(-1)).toMatchObject({
      '@level': 'info', '@message': 'Apply complete! Resources: 5 added, 0 changed, 0 destroyed.', type: 'change_summary',
      changes: { add: 5, change: 0, import: 0, remove: 0, operation: 'apply' },
      hvkit: { created: 3, updated: 0, replaced: 0, migrated: 0, destroyed: 0, hosts: 2, failed: 0, skipped: 0 },
    });
    // SOURCE_DATE_EPOCH pins every timestamp, as for plan --json.
    expect(new Set(ms.map((m) => m['@timestamp']))).toEqual(new Set(['2023-11-14T22:13:20.000Z']));
    expect(stateGuests(p.dir)).toEqual(localDomains(p.dir));
  });

  it('names in every step event a resource plan --json lists, and counts what plan --json counts, hosts included', async () => {
    // The second round retires host-b, adds host-c and changes a guest, so all three counts are exercised.
    for (const [stack, counts] of [[SMALL, { add: 5, change: 0, remove: 0 }], [CHANGED, { add: 2, change: 1, remove: 2 }]] as const) {
      p.writeStack(stack);
      const plan = await planned(p);
      expect(plan.counts).toEqual(counts);
      const r = await p.run(['apply', '--json', '--auto-approve'], { env: EPOCH });
      expect(r.code, r.out).toBe(0);
      const ms = messages(r.out);
      const hooks = ms.filter((m) => m.hook);
      expect(hooks.length).toBeGreaterThan(0);
      for (const m of hooks) expect(plan.addresses, `${m.type} ${m.hook.step.id}`).toContain(m.hook.resource.addr);
      const summary = ms.at(-1)!;
      expect(summary.type).toBe('change_summary');
      expect(summary.changes).toMatchObject(plan.counts);
    }
  });

  it('reports a failed step as apply_errored and a diagnostic, names the steps it left, and exits 1', async () => {
    const faults = JSON.stringify([{ verb: 'facts', host: 'host-a', fail: 7, message: 'host-a is not racked' }]);
    const r = await p.run(['apply', '--json', '--auto-approve'], { env: { ...EPOCH, HVKIT_LOCAL_FAULTS: faults } });
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    const ms = messages(r.out);
    const errored = ms.filter((m) => m.type === 'apply_errored');
    expect(errored).toHaveLength(1);
    expect(errored[0]).toMatchObject({
      '@level': 'error', hook: { step: { id: 'add-host:host-a' }, failure: { exitCode: 7, message: expect.stringContaining('host-a is not racked'), log: expect.stringMatching(/add-host_host-a\.log$/) } },
    });
    expect(hooked(ms, 'apply_skipped')).toEqual(['create:web-01', 'create:web-02']);
    expect(ms.find((m) => m.type === 'apply_skipped')).toMatchObject({ '@level': 'warn', hook: { cause: 'dependency-failed' } });
    const diagnostics = ms.filter((m) => m.type === 'diagnostic');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      '@level': 'error', '@message': 'Error: add-host:host-a failed (exit 7)',
      diagnostic: { severity: 'error', summary: 'add-host:host-a failed (exit 7)', address: 'null_resource.host_host-a', hvkit: { step: 'add-host:host-a' }, detail: expect.stringContaining('host-a is not racked') },
    });
    expect(ms.at(-1)).toMatchObject({ '@level': 'error', type: 'change_summary', hvkit: { created: 1, hosts: 1, failed: 1, skipped: 2 } });
  });

  it('gives a change summary of zeros and exits 0 when there is nothing to apply', async () => {
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    const r = await p.run(['apply', '--json', '--auto-approve'], { env: EPOCH });
    expect(r.code, r.out).toBe(0);
    expect(messages(r.out).map((m) => m.type)).toEqual(['version', 'change_summary']);
    expect(messages(r.out)[1].changes).toEqual({ add: 0, change: 0, import: 0, remove: 0, operation: 'apply' });
  });

  it('applies a saved plan without asking', async () => {
    expect((await p.run(['plan', '--out', 'plan.json'])).code).toBe(0);
    const r = await p.run(['apply', '--json', 'plan.json']);
    expect(r.code, r.out).toBe(0);
    expect(hooked(messages(r.out), 'apply_complete')).toEqual(STEPS);
  });

  it('never asks: without --auto-approve or a plan file it is a diagnostic, and nothing is applied', async () => {
    const r = await p.run(['apply', '--json'], { tty: true, answer: 'yes' });
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    const ms = messages(r.out);
    expect(ms.map((m) => m.type)).toEqual(['version', 'diagnostic']);
    expect(ms[1].diagnostic.summary).toContain('pass --auto-approve, or apply a saved plan');
    // No colour either: --json output is for machines even on a terminal.
    expect(r.out).not.toContain('\u001b[');
    expect(localDomains(p.dir)).toEqual([]);
  });

  it('reports a state lock another apply holds as a diagnostic, with the exit code it has without --json', async () => {
    const first = new FileStateStore(join(p.dir, '.hvkit/state/tokyo.json'));
    const held = await first.lock('apply');
    try {
      const plain = await p.run(['apply', '--auto-approve']);
      const r = await p.run(['apply', '--json', '--auto-approve']);
      expect(r.code).toBe(plain.code);
      expect(r.code).not.toBe(0);
      expect(r.err).toBe('');
      const ms = messages(r.out);
      expect(ms.map((m) => m.type)).toEqual(['version', 'diagnostic']);
      expect(`Error: ${ms[1].diagnostic.summary}\n`).toBe(plain.err);
    } finally {
      await first.unlock(held.id);
    }
  });
});

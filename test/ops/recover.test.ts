import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { intentOf } from '../../lib/apply/intent';
import { recoverInflight, type Lister } from '../../lib/ops/recover';
import { createPlan } from '../../lib/plan/planner';
import type { ObservedDomain, State } from '../../lib/state/types';
import { manifestOf, stateOf, web, WEB_HOST_8G } from '../helpers/fleet';
import { LOCAL_HOST, localDomains, readState, stackSource, tempProject, type TempProject } from '../helpers/project';

const m = manifestOf({ a: { props: WEB_HOST_8G, guests: { 'web-01': web('1GiB') } } });
const create = createPlan({ manifest: m, state: { ...stateOf(m), guests: {} } }).steps.find((s) => s.id === 'create:web-01')!;
const RUN = '2026-11-27T08-00-00-000Z-abcd';
const LOCATION = '/srv/fleet/.hvkit/state/tokyo.json';

/** State as a killed apply leaves it: host a recorded, web-01's create in flight as `intent`. */
function killedDuringCreate(intent: State['inflight'][string]): State {
  return { ...stateOf(m), guests: {}, inflight: { [intent.step.id]: intent } };
}

/** A hypervisor listing exactly `domains` on every host, counting the hosts asked. */
function hypervisor(domains: Partial<ObservedDomain>[]): Lister & { asked: string[] } {
  const asked: string[] = [];
  const list = async (h: { name: string }) => {
    asked.push(h.name);
    return domains.map((d) => ({ name: '', memoryMiB: 0, maxMemoryMiB: 0, vcpus: 0, maxVcpus: 0, running: true, ...d }));
  };
  return Object.assign(list, { asked });
}

describe('recoverInflight', () => {
  it('records a create whose guest runs as planned, with the config text of its intent record', async () => {
    const state = killedDuringCreate(intentOf(create, RUN));
    const r = await recoverInflight(state, hypervisor([{ name: 'web-01', memoryMiB: 1024, vcpus: 2 }]), LOCATION);
    expect(r.diagnostics).toEqual([]);
    expect(r.recovered).toEqual([{ step: 'create:web-01', run: RUN, done: true, message: `create:web-01 was in flight when apply ${RUN} stopped: web-01 runs on a as planned; recorded` }]);
    expect(r.state.inflight).toEqual({});
    expect(r.state.guests['web-01']).toEqual({ spec: create.after, provider: 'local', config: create.config!.text });
  });

  it('keeps a record of an intent version it cannot read in flight, and stops apply with an error saying what to do', async () => {
    const later = { version: 2, run: RUN, started: '2030-01-01T00:00:00.000Z', step: { id: 'create:web-01', kind: 'create', guest: 'web-01', host: 'a' } };
    const state = killedDuringCreate(later);
    const lister = hypervisor([]);
    const r = await recoverInflight(state, lister, LOCATION);
    expect(r.recovered).toEqual([]);
    expect(r.diagnostics).toEqual([{
      severity: 'error', code: 'recovered', path: 'create:web-01',
      message: `create:web-01 was in flight when apply ${RUN} stopped, but its record is intent version 2, which this hvkit cannot read (a newer hvkit wrote it), so hvkit cannot tell whether it ran: ` +
        `settle it with that hvkit, or check web-01 on a by hand, delete inflight["create:web-01"] from the state at ${LOCATION}, then run \`hvkit refresh\` and plan again`,
    }]);
    expect(r.state.inflight).toEqual({ 'create:web-01': later });
    expect(lister.asked).toEqual([]);
  });

  it('keeps a record of a step kind it does not know in flight, and stops apply with an error naming the kind', async () => {
    const teleport = { ...intentOf(create, RUN), step: { ...intentOf(create, RUN).step, id: 'teleport:web-01', kind: 'teleport' } };
    const r = await recoverInflight(killedDuringCreate(teleport), hypervisor([{ name: 'web-01', memoryMiB: 1024, vcpus: 2 }]), LOCATION);
    expect(r.recovered).toEqual([]);
    expect(r.diagnostics.map((d) => [d.severity, d.message])).toEqual([[
      'error',
      `teleport:web-01 was in flight when apply ${RUN} stopped, but its step kind 'teleport' is not one this hvkit knows (a newer hvkit wrote it), so hvkit cannot tell whether it ran: ` +
        `settle it with that hvkit, or check web-01 on a by hand, delete inflight["teleport:web-01"] from the state at ${LOCATION}, then run \`hvkit refresh\` and plan again`,
    ]]);
    expect(r.state.inflight).toEqual({ 'teleport:web-01': teleport });
    expect(r.state.guests).toEqual({});
  });

  it('settles the records it can read beside one it cannot', async () => {
    const known = intentOf(create, RUN);
    const unknown = { ...known, step: { ...known.step, id: 'teleport:web-02', guest: 'web-02', kind: 'teleport' } };
    const state = { ...killedDuringCreate(known), inflight: { 'create:web-01': known, 'teleport:web-02': unknown } };
    const r = await recoverInflight(state, hypervisor([]), LOCATION);
    expect(r.recovered.map((x) => [x.step, x.done])).toEqual([['create:web-01', false]]);
    expect(r.diagnostics.map((d) => d.path)).toEqual(['teleport:web-02']);
    expect(Object.keys(r.state.inflight)).toEqual(['teleport:web-02']);
  });
});

describe('apply with steps a dead apply left in flight (local provider)', () => {
  const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
`);
  const LEGACY = join(dirname(fileURLToPath(import.meta.url)), '..', 'state', 'fixtures', 'legacy-intent-state.json');
  let p: TempProject;
  const stateFile = () => join(p.dir, '.hvkit', 'state', 'tokyo.json');
  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
    mkdirSync(dirname(stateFile()), { recursive: true });
  });
  afterEach(() => p.cleanup());

  it('settles a step recorded by the previous hvkit (before intents had a version) and converges', async () => {
    // Written by hvkit at 749a4d1, killed right after recording create:web-01's intent.
    copyFileSync(LEGACY, stateFile());
    const plan = await p.run(['plan']);
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toContain('create:web-01 was in flight when apply 2026-11-27T08-38-38-855Z-b30b stopped: web-01 was never created; the plan creates it');
    const apply = await p.run(['apply', '--auto-approve']);
    expect(apply.code, apply.err + apply.out).toBe(0);
    expect(localDomains(p.dir)).toEqual(['web-01@host-a']);
    expect(readState(p.dir)).toMatchObject({ serial: 7, inflight: {}, guests: { 'web-01': { provider: 'local' } } });
  });

  it('stops on a record it cannot read, naming the step and what to do, and changes nothing', async () => {
    const legacy = JSON.parse(readFileSync(LEGACY, 'utf8'));
    const later = { version: 2, run: 'r9', started: '2030-01-01T00:00:00.000Z', step: { id: 'create:web-01', kind: 'create', guest: 'web-01', host: 'host-a', beam: {} } };
    const stored = JSON.stringify({ ...legacy, inflight: { 'create:web-01': later } }) + '\n';
    writeFileSync(stateFile(), stored);
    const apply = await p.run(['apply', '--auto-approve']);
    expect(apply.code).toBe(1);
    expect(apply.err).toBe(
      'Error: the plan has errors, so nothing was applied:\n' +
        '  create:web-01: create:web-01 was in flight when apply r9 stopped, but its record is intent version 2, which this hvkit cannot read (a newer hvkit wrote it), so hvkit cannot tell whether it ran: ' +
        `settle it with that hvkit, or check web-01 on host-a by hand, delete inflight["create:web-01"] from the state at ${stateFile()}, then run \`hvkit refresh\` and plan again\n`,
    );
    expect(readFileSync(stateFile(), 'utf8')).toBe(stored);
    expect(localDomains(p.dir)).toEqual([]);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { intentOf } from '../../lib/apply/intent';
import { recoverInflight, type Lister } from '../../lib/ops/recover';
import { createPlan } from '../../lib/plan/planner';
import type { IntentProcess } from '../../lib/state/intent';
import { processStart } from '../../lib/state/lock-wait';
import type { State } from '../../lib/state/types';
import { manifestOf, stateOf, web, WEB_HOST_8G } from '../helpers/fleet';
import { LOCAL_HOST, localDomains, readState, spawnCli, stackSource, tempProject, type TempProject } from '../helpers/project';

const m = manifestOf({ a: { props: WEB_HOST_8G, guests: { 'web-01': web('1GiB') } } });
const create = createPlan({ manifest: m, state: { ...stateOf(m), guests: {} } }).steps.find((s) => s.id === 'create:web-01')!;
const RUN = '2026-11-27T08-00-00-000Z-abcd';
const STARTED = new Date('2026-11-27T08:00:00.000Z');
const LOCATION = '/srv/fleet/.hvkit/state/tokyo.json';

/** A process of this machine that runs until the test stops it: the apply whose intent recovery finds. */
function liveProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
}

/** A hypervisor with no domains, recording whether it was asked. */
function emptyHypervisor(): Lister & { asked: string[] } {
  const asked: string[] = [];
  return Object.assign(async (h: { name: string }) => {
    asked.push(h.name);
    return [];
  }, { asked });
}

const withIntent = (by: IntentProcess): State =>
  ({ ...stateOf(m), guests: {}, inflight: { 'create:web-01': intentOf(create, RUN, STARTED, by) } }) as State;

describe('recoverInflight and the apply that started a step', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  it('refuses to settle a step whose apply still runs on this machine, keeps it in flight and asks no hypervisor', async () => {
    child = liveProcess();
    const pid = child.pid!;
    const state = withIntent({ pid, host: hostname(), pidStart: processStart(pid) });
    const lister = emptyHypervisor();
    const r = await recoverInflight(state, lister, LOCATION);
    expect(r.recovered).toEqual([]);
    expect(r.diagnostics).toEqual([{
      severity: 'error', code: 'apply-running', path: 'create:web-01',
      message: `create:web-01 is being run by apply pid ${pid} on this machine (started 2026-11-27T08:00:00.000Z), which still runs: wait for it to finish, or stop it, then plan again`,
    }]);
    expect(r.state.inflight).toEqual(state.inflight);
    expect(lister.asked).toEqual([]);
  });

  it('settles the step of an apply whose pid now belongs to another process (started at another time)', async () => {
    child = liveProcess();
    const r = await recoverInflight(withIntent({ pid: child.pid!, host: hostname(), pidStart: '1' }), emptyHypervisor(), LOCATION);
    expect(r.diagnostics).toEqual([]);
    expect(r.recovered).toEqual([{ step: 'create:web-01', run: RUN, done: false, message: `create:web-01 was in flight when apply ${RUN} stopped: web-01 was never created; the plan creates it` }]);
  });

  it('settles the step of an apply on another machine as before, saying it cannot tell whether that apply still runs', async () => {
    const r = await recoverInflight(withIntent({ pid: 4242, host: 'ci-runner-7' }), emptyHypervisor(), LOCATION);
    expect(r.diagnostics).toEqual([]);
    expect(r.recovered.map((x) => x.message)).toEqual([
      `create:web-01 was in flight in apply ${RUN} (pid 4242 on ci-runner-7; hvkit cannot tell whether that apply still runs): web-01 was never created; the plan creates it`,
    ]);
  });
});

describe('apply finding a step in flight whose apply still runs', () => {
  let p: TempProject;
  let child: ChildProcess | undefined;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
`));
  });
  afterEach(() => {
    child?.kill('SIGKILL');
    p.cleanup();
  });

  it('refuses, creating nothing, while that apply runs; once it is gone, apply settles the step and converges', async () => {
    const crashed = await spawnCli(p.dir, ['apply', '--auto-approve'], { HVKIT_TEST_CRASH_AT: 'after-intent:create:web-01' }).done;
    expect(crashed.signal).toBe('SIGKILL');
    const intent = readState(p.dir).inflight['create:web-01'];
    expect(intent.by).toMatchObject({ pid: expect.any(Number), host: hostname() });
    // The killed apply's lock file is left; the lock itself is not what this test is about.
    const lockFile = join(p.dir, '.hvkit/state/tokyo.json.lockinfo');
    if (existsSync(lockFile)) expect((await p.run(['state', 'unlock', JSON.parse(readFileSync(lockFile, 'utf8')).id, '--fleet', 'tokyo'])).code).toBe(0);

    // As if that apply still ran: its intent names a live process of this machine.
    child = liveProcess();
    const pid = child.pid!;
    const file = join(p.dir, '.hvkit/state/tokyo.json');
    const state = JSON.parse(readFileSync(file, 'utf8'));
    state.inflight['create:web-01'].by = { pid, host: hostname(), pidStart: processStart(pid) };
    writeFileSync(file, JSON.stringify(state, null, 2));

    const refused = await p.run(['apply', '--auto-approve']);
    expect(refused.code).toBe(1);
    expect(refused.out + refused.err).toContain(`create:web-01 is being run by apply pid ${pid} on this machine (started ${intent.started}), which still runs: wait for it to finish, or stop it, then plan again`);
    expect(localDomains(p.dir)).toEqual([]);
    expect(Object.keys(readState(p.dir).inflight)).toEqual(['create:web-01']);

    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const apply = await p.run(['apply', '--auto-approve']);
    expect(apply.code, apply.err + apply.out).toBe(0);
    expect(localDomains(p.dir)).toEqual(['web-01@host-a']);
    expect(readState(p.dir).inflight).toEqual({});
  });
});

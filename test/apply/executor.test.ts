import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execute } from '../../lib/apply/executor';
import type { ApplyEvent, ApplyListener } from '../../lib/plan/apply-events';
import type { CallResult, ProviderRunner } from '../../lib/apply/provider';
import { StateWriter } from '../../lib/apply/state-writer';
import { createPlan } from '../../lib/plan/planner';
import { failureSummary } from '../../lib/render/apply-view';
import { MemoryStateStore } from '../../lib/state/memory-store';
import { emptyState, type State } from '../../lib/state/types';
import { manifestOf, WEB_HOST_8G, web } from '../helpers/fleet';

const quiet: ApplyListener = { event: () => {}, close: () => {} };

/**
 * A provider that answers after `ms` as the contract says, counting how many calls run at once, overall and per host.
 * Given the store, it also checks at each step's call that the step's intent is durable: read back from the store, not the writer's copy.
 */
function fakeRunner(ms = 20, store?: MemoryStateStore) {
  let now = 0;
  const perHost = new Map<string, number>();
  const peak = { all: 0, host: 0 };
  const created = new Map<string, string[]>();
  /** Calls made while their step's intent was not in the store. */
  const unrecorded: string[] = [];
  const runner = {
    async call(_p: string, verb: string, input: { host: { name: string }; guest?: { name: string } }): Promise<CallResult> {
      // `list` also runs after the steps, to confirm what landed: only the steps' own calls need an intent.
      const step = verb === 'create' ? `create:${input.guest!.name}` : verb === 'facts' ? `add-host:${input.host.name}` : undefined;
      if (step && store && !Object.keys((await store.read())?.inflight ?? {}).includes(step)) unrecorded.push(step);
      const answer = { ok: true, exitCode: 0, signal: null, timedOut: false, stderrTail: '', ms };
      if (verb === 'list') return { ...answer, result: { domains: (created.get(input.host.name) ?? []).map((name) => ({ name })) } };
      const h = input.host.name;
      now++;
      perHost.set(h, (perHost.get(h) ?? 0) + 1);
      peak.all = Math.max(peak.all, now);
      peak.host = Math.max(peak.host, perHost.get(h)!);
      await new Promise((r) => setTimeout(r, ms));
      now--;
      perHost.set(h, perHost.get(h)! - 1);
      if (verb === 'create') created.set(h, [...(created.get(h) ?? []), input.guest!.name]);
      return { ...answer, result: verb === 'create' ? { ok: true, domain: input.guest!.name } : { memoryMiB: 8192 } };
    },
  };
  return { runner: runner as unknown as ProviderRunner, peak, unrecorded };
}

const fleet = manifestOf(Object.fromEntries(['a', 'b', 'c'].map((h) => [h, {
  props: WEB_HOST_8G, guests: Object.fromEntries([1, 2, 3, 4].map((i) => [`${h}-g${i}`, web('512MiB')])),
}])));

function run(store: MemoryStateStore, runner: ProviderRunner, parallelism: number, perHost: number, listener = quiet, manifest = fleet) {
  const plan = createPlan({ manifest });
  const state: State = { ...emptyState('tokyo', '00000000-0000-4000-8000-000000000000') };
  return execute({
    runId: 'test', fleet: 'tokyo', steps: plan.steps, runner, writer: new StateWriter(store, state),
    logDir: mkdtempSync(join(tmpdir(), 'hvkit-logs-')), listener, parallelism, perHost,
  });
}

/** The fake provider, with host a not answering `facts` (so add-host:a fails). */
function hostADown(): ProviderRunner {
  const { runner } = fakeRunner(1);
  const call = runner.call.bind(runner);
  runner.call = async (p, verb, input, o) => {
    if (verb === 'facts' && (input as { host: { name: string } }).host.name === 'a') {
      return { ok: false, exitCode: 255, signal: null, timedOut: false, result: undefined, stderrTail: 'facts: host a does not answer', ms: 1 };
    }
    return call(p, verb, input, o);
  };
  return runner;
}

describe('executor', () => {
  it('keeps to the overall parallelism and the per-host limit', async () => {
    const { runner, peak } = fakeRunner();
    const r = await run(new MemoryStateStore(), runner, 4, 2);
    expect(r.failed).toEqual([]);
    expect(r.tally.created).toBe(12);
    expect(peak.all).toBe(4);
    expect(peak.host).toBe(2);
  });

  it.each([[1, 1], [4, 2]])('records every intent before its call and every result after it (parallelism %i, per host %i)', async (parallelism, perHost) => {
    const store = new MemoryStateStore();
    const { runner, unrecorded } = fakeRunner(1, store);
    const r = await run(store, runner, parallelism, perHost);
    expect(unrecorded, 'steps whose call ran before their intent was durable').toEqual([]);
    expect(r.tally).toMatchObject({ created: 12, hosts: 3 });
    const last = store.written.at(-1)!;
    expect(Object.keys(last.guests)).toHaveLength(12);
    expect(last.inflight).toEqual({});
    // Serial rises by one on every write, and the intent of the first step came before its result.
    expect(store.written.map((s) => s.serial)).toEqual(store.written.map((_, i) => i + 1));
    expect(Object.keys(store.written[0].inflight)).toEqual(['add-host:a']);
  });

  it('starts nothing more once state cannot be written, and says so', async () => {
    const store = new MemoryStateStore();
    let writes = 0;
    const write = store.write.bind(store);
    store.write = async (s) => {
      if (++writes >= 4) throw new Error('disk full');
      return write(s);
    };
    const r = await run(store, fakeRunner(1).runner, 1, 1);
    expect(r.stateError).toContain('disk full');
    expect(r.tally.created + r.tally.hosts).toBeLessThan(3);
    expect(r.skipped.length).toBeGreaterThan(10);
  });

  it('stops starting steps once the state lock is force-unlocked, leaving the running step in flight for the next plan', async () => {
    const store = new MemoryStateStore();
    await store.lock('apply');
    const { runner } = fakeRunner(1);
    const calls: string[] = [];
    const call = runner.call.bind(runner);
    runner.call = async (p, verb, input, o) => {
      const guest = (input as { guest?: { name: string } }).guest?.name;
      calls.push(`${verb}:${guest ?? (input as { host: { name: string } }).host.name}`);
      // Someone runs `hvkit state unlock --force` while the first guest is being created.
      if (verb === 'create' && calls.filter((c) => c.startsWith('create:')).length === 1) store.simulateForcedUnlock();
      return call(p, verb, input, o);
    };
    const r = await run(store, runner, 1, 1);
    expect(r.lockLost).toBe(true);
    expect(r.failed).toEqual([]);
    expect(calls.filter((c) => c.startsWith('create:'))).toEqual(['create:a-g1']);
    expect(store.written.at(-1)!.inflight).toHaveProperty(['create:a-g1']);
    expect(failureSummary(r).split('\n')[0]).toBe(
      '  the state lock on memory was released by someone else (`hvkit state unlock --force`) while this apply held it: no further step was started; ' +
        'the steps that were running are recorded as in flight, and the next `hvkit plan` settles them with the provider',
    );
    expect(failureSummary(r)).toMatch(/^  not started: .*create:a-g2/m);
  });

  it('reports a failed step and the steps it leaves unreachable as events, and counts failures and skips apart', async () => {
    const runner = hostADown();
    const events: ApplyEvent[] = [];
    const r = await run(new MemoryStateStore(), runner, 2, 1, { event: (e) => events.push(e), close: () => {} });
    const seen = events.map((e) => (e.type === 'apply-complete' || e.type === 'interrupted' ? e.type : `${e.type} ${e.step.id}${e.type === 'step-skipped' ? ` (${e.cause})` : ''}`));
    expect(seen.filter((e) => !/ (add-host:[bc]|create:[bc]-)/.test(e))).toEqual([
      'step-started add-host:a',
      'step-failed add-host:a',
      ...[1, 2, 3, 4].map((i) => `step-skipped create:a-g${i} (dependency-failed)`),
      'apply-complete',
    ]);
    expect(r.failed.map((o) => o.step.id)).toEqual(['add-host:a']);
    expect(r.failed[0].failure).toMatchObject({ exitCode: 255, message: 'facts exited with 255:\n    facts: host a does not answer' });
    expect(r.skipped.map((o) => o.step.id)).toEqual(['create:a-g1', 'create:a-g2', 'create:a-g3', 'create:a-g4']);
    expect(r.tally).toMatchObject({ created: 8, hosts: 2 });
    expect(events.at(-1)).toEqual({ type: 'apply-complete', summary: r });
  });
  it('counts a step as failed when the listener throws while it fails, and finishes the run', async () => {
    const runner = hostADown();
    const store = new MemoryStateStore();
    const throwing: ApplyListener = { event: (e) => { if (e.type === 'step-failed') throw new Error('view broke'); }, close: () => {} };
    const r = await run(store, runner, 2, 1, throwing);
    expect(r.failed.map((o) => [o.step.id, o.failure?.message])).toEqual([
      ['add-host:a', expect.stringMatching(/^hvkit failed while running the step .*: view broke$/)],
    ]);
    expect(r.skipped.map((o) => o.step.id)).toEqual(['create:a-g1', 'create:a-g2', 'create:a-g3', 'create:a-g4']);
    expect(r.tally).toMatchObject({ created: 8, hosts: 2 });
  });
});

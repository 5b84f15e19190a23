import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../lib/apply/scheduler';
import type { Step } from '../../lib/plan/types';

/** A step for scheduling: only its id, hosts and dependencies matter here. */
function step(id: string, host: string, dependsOn: string[] = [], target?: string): Step {
  return { id, kind: 'create', provider: 'local', host, ...(target ? { target } : {}), guest: id, dependsOn, description: id };
}
const ids = (steps: Step[]) => steps.map((s) => s.id);

describe('Scheduler', () => {
  it('starts at most `parallelism` steps at once, in plan order', () => {
    const steps = ['a', 'b', 'c', 'd', 'e'].map((h) => step(`s-${h}`, h));
    const s = new Scheduler(steps, { parallelism: 3, perHost: 2 });
    expect(ids(s.start())).toEqual(['s-a', 's-b', 's-c']);
    expect(s.start()).toEqual([]);
    s.finish(steps[1], 'done');
    expect(ids(s.start())).toEqual(['s-d']);
    expect(s.tally()).toEqual({ pending: 1, running: 3, done: 1, failed: 0, skipped: 0 });
  });

  it('keeps to the per-host limit, counting a migration against its source and its target', () => {
    const m = step('migrate:g1', 'a', [], 'b');
    const onA = step('create:a1', 'a');
    const onB = step('create:b1', 'b');
    const onC = step('create:c1', 'c');
    const s = new Scheduler([m, onA, onB, onC], { parallelism: 10, perHost: 1 });
    // The migration holds a and b, so only the step on c may run beside it.
    expect(ids(s.start())).toEqual(['migrate:g1', 'create:c1']);
    s.finish(m, 'done');
    expect(ids(s.start())).toEqual(['create:a1', 'create:b1']);
  });

  it('starts a step only once every step it depends on is done, and lets later independent steps pass it', () => {
    const host = step('add-host:a', 'a');
    const guest = step('create:g1', 'a', ['add-host:a']);
    const other = step('create:g2', 'b');
    const s = new Scheduler([host, guest, other], { parallelism: 4, perHost: 2 });
    expect(ids(s.start())).toEqual(['add-host:a', 'create:g2']);
    s.finish(other, 'done');
    expect(s.start()).toEqual([]);
    s.finish(host, 'done');
    expect(ids(s.start())).toEqual(['create:g1']);
  });

  it('skips the dependents of a failed step, and theirs, but nothing else, counting failures and skips apart', () => {
    const host = step('add-host:a', 'a');
    // Plan order need not put a dependent after its dependency's dependents: the skip reaches it anyway.
    const grandchild = step('update:g1', 'a', ['create:g1']);
    const child = step('create:g1', 'a', ['add-host:a']);
    const sibling = step('create:g2', 'a', ['add-host:a']);
    const unrelated = step('create:g3', 'b');
    const s = new Scheduler([host, grandchild, child, sibling, unrelated], { parallelism: 1, perHost: 1 });
    expect(ids(s.start())).toEqual(['add-host:a']);
    expect(ids(s.finish(host, 'failed'))).toEqual(['create:g1', 'create:g2', 'update:g1']);
    expect(s.tally()).toEqual({ pending: 1, running: 0, done: 0, failed: 1, skipped: 3 });
    expect(ids(s.start())).toEqual(['create:g3']);
    expect(s.finish(unrelated, 'done')).toEqual([]);
    expect(s.tally()).toEqual({ pending: 0, running: 0, done: 1, failed: 1, skipped: 3 });
  });

  it('skips the dependents of a step that ended without starting', () => {
    const host = step('add-host:a', 'a');
    const guest = step('create:g1', 'a', ['add-host:a']);
    const s = new Scheduler([host, guest], { parallelism: 1, perHost: 1 });
    s.start();
    expect(ids(s.finish(host, 'skipped'))).toEqual(['create:g1']);
    expect(s.tally()).toMatchObject({ failed: 0, skipped: 2 });
  });

  it('gives up every step not started when halted, leaving running ones to end', () => {
    const steps = ['a', 'b', 'c'].map((h) => step(`s-${h}`, h));
    const s = new Scheduler(steps, { parallelism: 1, perHost: 1 });
    s.start();
    expect(ids(s.halt())).toEqual(['s-b', 's-c']);
    expect(s.start()).toEqual([]);
    expect(s.running).toBe(1);
    s.finish(steps[0], 'done');
    expect(s.tally()).toEqual({ pending: 0, running: 0, done: 1, failed: 0, skipped: 2 });
  });

  it('refuses to end a step that is not running', () => {
    const a = step('s-a', 'a');
    const s = new Scheduler([a], { parallelism: 1, perHost: 1 });
    expect(() => s.finish(a, 'done')).toThrow('s-a ended but was not running');
  });
});

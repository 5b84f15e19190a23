import { describe, expect, it } from 'vitest';
import { checkFacts, checkResult, factsOf } from '../../lib/apply/step-results';
import { createPlan } from '../../lib/plan/planner';
import type { Step } from '../../lib/plan/types';
import { WEB_HOST_4G, WEB_HOST_8G, manifestOf, stateOf, web } from '../helpers/fleet';

const m4 = manifestOf({ 'web-host-01': { props: WEB_HOST_4G, guests: { 'web-01': web('3.5GiB') } } });
const m8 = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } } });
const hostStep = (manifest: typeof m4, state?: ReturnType<typeof stateOf>): Step => createPlan({ manifest, state }).steps.find((s) => s.kind !== 'create')!;

describe('checkFacts', () => {
  const downgrade = hostStep(m4, stateOf(m8));
  const upgrade = hostStep(m8, stateOf(m4));

  it('passes a downgrade only when the host reports exactly the new memory', () => {
    expect(() => checkFacts(downgrade, { memoryMiB: 4096 })).not.toThrow();
  });

  it('stops a downgrade while the DIMMs are still in, saying the guests already fit', () => {
    expect(() => checkFacts(downgrade, { memoryMiB: 8192 })).toThrow('web-host-01 still reports 8GiB installed; the code says 4GiB (memory downgrade). The guests already fit in 4GiB: take out DIMMs to leave 1GiB, 1GiB, 1GiB, 1GiB, then run `hvkit apply` again');
  });

  it('stops a downgrade when more memory is gone than the code says', () => {
    expect(() => checkFacts(downgrade, { memoryMiB: 3072 })).toThrow('web-host-01 reports 3GiB installed, less than the 4GiB of the memory downgrade');
  });

  it('passes an upgrade at or above the new memory, and stops below it', () => {
    expect(() => checkFacts(upgrade, { memoryMiB: 8192 })).not.toThrow();
    expect(() => checkFacts(upgrade, { memoryMiB: 16384 })).not.toThrow();
    expect(() => checkFacts(upgrade, { memoryMiB: 4096 })).toThrow('web-host-01 reports 4GiB installed, the code needs 8GiB');
  });

  it('stops add-host on a host with fewer threads than the code says', () => {
    const add = hostStep(m8);
    expect(add.kind).toBe('add-host');
    expect(() => checkFacts(add, { memoryMiB: 8192, threads: 4 })).toThrow('web-host-01 is smaller than the code says: 4 hardware threads, the code says 8');
    expect(() => checkFacts(add, factsOf({ memoryMiB: 8192, cpus: 8 }))).not.toThrow();
  });
});

describe('checkResult', () => {
  const create = createPlan({ manifest: m8 }).steps.find((s) => s.kind === 'create')!;
  const input = { guest: { name: 'web-01' } };

  it('wants create to name the domain it made', () => {
    expect(() => checkResult(create, 'create', input, { ok: true, domain: 'web-01' })).not.toThrow();
    expect(() => checkResult(create, 'create', input, undefined)).toThrow('create exited 0 but printed no result');
    expect(() => checkResult(create, 'create', input, { ok: true })).toThrow('create exited 0 but did not name the domain it created (got null, want "web-01")');
    expect(() => checkResult(create, 'create', input, { ok: false, domain: 'web-01' })).toThrow('create exited 0 but answered "ok": false');
  });

  it('wants facts to report memory and list to report domains', () => {
    expect(() => checkResult(create, 'facts', input, { cpus: 8 })).toThrow("facts exited 0 but did not report the host's memoryMiB");
    expect(() => checkResult(create, 'list', input, { domains: 'none' })).toThrow('list exited 0 but its answer has no "domains" list');
    expect(() => checkResult(create, 'list', input, { domains: [{ name: 'web-01' }] })).not.toThrow();
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { execute } from '../../lib/apply/executor';
import type { CallResult, ProviderRunner } from '../../lib/apply/provider';
import { StateWriter } from '../../lib/apply/state-writer';
import { createPlan } from '../../lib/plan/planner';
import { failedHeadline, failureSummary } from '../../lib/render/apply-view';
import { PgStateStore } from '../../lib/state/pg-store';
import { emptyState } from '../../lib/state/types';
import { WEB_HOST_8G, manifestOf, web } from '../helpers/fleet';
import { PrivateCluster } from '../helpers/postgres';

const fleet = manifestOf({ a: { props: WEB_HOST_8G, guests: { 'a-g1': web('512MiB'), 'a-g2': web('512MiB'), 'a-g3': web('512MiB') } } });

/** A provider that answers at once; `during(verb, name)` runs inside each call, before it answers. */
function provider(during: (verb: string, name: string) => void): ProviderRunner {
  return {
    async call(_p: string, verb: string, input: { host: { name: string }; guest?: { name: string } }): Promise<CallResult> {
      during(verb, input.guest?.name ?? input.host.name);
      const answer = { ok: true, exitCode: 0, signal: null, timedOut: false, stderrTail: '', ms: 1 };
      if (verb === 'list') return { ...answer, result: { domains: [] } };
      return { ...answer, result: verb === 'create' ? { ok: true, domain: input.guest!.name } : { memoryMiB: 8192 } };
    },
  } as unknown as ProviderRunner;
}

PrivateCluster.describe('apply on PostgreSQL state when the database restarts mid-step', (cluster) => {
  const open: PgStateStore[] = [];
  const store = () => {
    const s = new PgStateStore({ conn: cluster.conn, env: {}, fleet: 'tokyo' });
    open.push(s);
    return s;
  };
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
  });

  it('starts no further step, stops with the connection error, and leaves the running step recorded in flight', async () => {
    const s = store();
    await s.lock('apply');
    const creates: string[] = [];
    const runner = provider((verb, name) => {
      if (verb !== 'create') return;
      creates.push(name);
      // The server restarts while the first guest is being created: its intent is committed, its result is not yet.
      if (creates.length === 1) cluster.restart();
    });
    const r = await execute({
      runId: 'test', fleet: 'tokyo', steps: createPlan({ manifest: fleet }).steps, runner,
      writer: new StateWriter(s, emptyState('tokyo', '00000000-0000-4000-8000-000000000000')),
      logDir: mkdtempSync(join(tmpdir(), 'hvkit-logs-')), listener: { event: () => {}, close: () => {} }, parallelism: 1, perHost: 1,
    });
    expect(creates).toEqual(['a-g1']);
    expect(r.lockLost).toBe(true);
    expect(r.connectionLost).toBe(true);
    // The create finished on the hypervisor, but its result never reached state: it is not counted as created.
    expect(r.unrecorded?.map((o) => o.step.id)).toEqual(['create:a-g1']);
    expect(r.tally.created).toBe(0);
    expect(failedHeadline(r)).toMatch(/^stopped: the state database went away; 1 step finished on the hypervisor but could not be recorded \(create:a-g1\): the next plan settles it; recorded: 0 created, 0 updated, 0 migrated, 0 destroyed, 1 host step in \d+\.\ds$/);
    expect(failureSummary(r).split('\n')[0]).toMatch(/^ {2}state .*: the connection to the database was lost while this run held the state lock \(.+\): no further step was started; the step\(s\) running are recorded as in flight; run `hvkit plan` when the database is back$/);
    const after = await store().read();
    expect(Object.keys(after!.inflight)).toEqual(['create:a-g1']);
    expect(Object.keys(after!.guests)).toEqual([]);
    expect(Object.keys(after!.hosts)).toEqual(['a']);
  });
});

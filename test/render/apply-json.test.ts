import { describe, expect, it } from 'vitest';
import type { ApplySummary } from '../../lib/plan/apply-events';
import type { Step } from '../../lib/plan/types';
import { ApplyJsonWriter } from '../../lib/render/apply-json';

const migrate: Step = { id: 'migrate:web-02', kind: 'migrate', provider: 'local', host: 'host-a', target: 'host-b', guest: 'web-02', dependsOn: [], description: 'migrate web-02 host-a → host-b' };
const replace: Step = { id: 'replace:db-01', kind: 'replace', provider: 'local', host: 'host-b', guest: 'db-01', dependsOn: [], description: 'replace db-01 on host-b' };
const addHost: Step = { id: 'add-host:host-c', kind: 'add-host', provider: 'local', host: 'host-c', dependsOn: [], description: 'add host host-c' };
const upgrade: Step = { id: 'upgrade-memory:host-a', kind: 'upgrade-memory', provider: 'local', host: 'host-a', dependsOn: [], description: 'check host-a has 64 GiB installed (memory upgrade)' };
const updateHost: Step = { id: 'update-host:host-b', kind: 'update-host', provider: 'local', host: 'host-b', dependsOn: [], description: 'record host host-b (tags)' };
const retire: Step = { id: 'retire-host:host-d', kind: 'retire-host', provider: 'local', host: 'host-d', dependsOn: [], description: 'retire host host-d' };
const create: Step = { id: 'create:web-03', kind: 'create', provider: 'local', host: 'host-c', guest: 'web-03', dependsOn: [], description: 'create web-03 on host-c' };
const recreate: Step = { id: 'recreate:api-01', kind: 'recreate', provider: 'local', host: 'host-d', target: 'host-a', guest: 'api-01', dependsOn: [], description: 'recreate api-01 on host-a from code (host-d is up: forced)' };
const destroyCopy: Step = { id: 'destroy-copy:api-01', kind: 'destroy-copy', provider: 'local', host: 'host-d', target: 'host-a', guest: 'api-01', dependsOn: ['recreate:api-01'], description: 'destroy the copy of api-01 left on host-d (after it runs on host-a)' };
const failure = { exitCode: null, message: '`list` on host-b does not show web-02 after migrate', log: '/p/.hvkit/logs/r/migrate_web-02.log' };
const NO_TALLY = { created: 0, updated: 0, replaced: 0, migrated: 0, destroyed: 0, hosts: 0 };

/** A run in which every one of `steps` finished. */
function allDone(steps: Step[], tally = NO_TALLY): ApplySummary {
  return { outcomes: steps.map((step) => ({ step, status: 'done', ms: 10 })), ms: 1000, tally, failed: [], skipped: [], lockLost: false };
}

function lines(run: (w: ApplyJsonWriter) => void): Record<string, any>[] {
  let out = '';
  run(new ApplyJsonWriter({ write: (l) => (out += l), now: () => new Date(0) }));
  return out.trimEnd().split('\n').map((l) => JSON.parse(l));
}

describe('apply view (JSON lines)', () => {
  it('names the step under hook, with the Terraform action its kind amounts to', () => {
    const [start] = lines((w) => w.listener('null_resource').event({ type: 'step-started', step: migrate }));
    expect(start).toEqual({
      '@level': 'info', '@message': 'migrate:web-02: migrate web-02 host-a → host-b...', '@module': 'hvkit.ui', '@timestamp': '1970-01-01T00:00:00.000Z',
      hook: {
        resource: { addr: 'null_resource.guest_web-02', module: '', resource: 'null_resource.guest_web-02', implied_provider: 'null', resource_type: 'null_resource', resource_name: 'guest_web-02', resource_key: null },
        step: { id: 'migrate:web-02', kind: 'migrate', host: 'host-a', target: 'host-b', guest: 'web-02', description: 'migrate web-02 host-a → host-b' }, action: 'update' },
      type: 'apply_start',
    });
    expect(lines((w) => w.listener('null_resource').event({ type: 'step-finished', step: replace, ms: 1500 }))[0]).toMatchObject({
      '@message': 'replace:db-01: complete after 1.5s', type: 'apply_complete', hook: { action: 'replace', elapsed_seconds: 1.5 },
    });
  });

  it('turns a finished step that `list` did not confirm into apply_errored, and its failure into a diagnostic at the end', () => {
    const summary: ApplySummary = {
      outcomes: [{ step: migrate, status: 'failed', ms: 900, failure }], ms: 1000,
      tally: { created: 0, updated: 0, replaced: 0, migrated: 0, destroyed: 0, hosts: 0 },
      failed: [{ step: migrate, status: 'failed', ms: 900, failure }], skipped: [], lockLost: false,
    };
    const ms = lines((w) => {
      const l = w.listener('null_resource');
      l.event({ type: 'step-unconfirmed', step: migrate, failure });
      l.event({ type: 'apply-complete', summary });
    });
    expect(ms.map((m) => m.type)).toEqual(['apply_errored', 'diagnostic', 'change_summary']);
    expect(ms[0]).toMatchObject({ '@level': 'error', '@message': 'migrate:web-02: errored', hook: { failure } });
    expect(ms[0].hook).not.toHaveProperty('elapsed_seconds');
    expect(ms[1].diagnostic).toEqual({ severity: 'error', summary: 'migrate:web-02 failed', detail: `${failure.message}\nlog: ${failure.log}`, address: 'null_resource.guest_web-02', hvkit: { step: 'migrate:web-02' } });
    expect(ms[2]).toMatchObject({ '@level': 'error', '@message': 'Apply failed: 1 step failed; 0 created, 0 updated, 0 migrated, 0 destroyed in 1.0s' });
  });

  it('says why state stopped the run, and counts a replacement as one add and one remove, as Terraform does', () => {
    const summary: ApplySummary = {
      outcomes: [{ step: replace, status: 'done', ms: 10 }, { step: migrate, status: 'skipped', ms: 0 }], ms: 1000,
      tally: { created: 0, updated: 0, replaced: 1, migrated: 0, destroyed: 0, hosts: 0 },
      failed: [], skipped: [{ step: migrate, status: 'skipped', ms: 0 }], stateError: 'disk full', lockLost: false,
    };
    const ms = lines((w) => w.listener('null_resource').event({ type: 'apply-complete', summary }));
    expect(ms[0].diagnostic).toEqual({ severity: 'error', summary: 'state could not be written, so no further step was started', detail: 'disk full' });
    expect(ms[1]).toMatchObject({ changes: { add: 1, change: 0, import: 0, remove: 1, operation: 'apply' }, hvkit: { replaced: 1, failed: 0, skipped: 1 } });
  });
  it('ties every step event to the resource plan --json names, a host step to its host_ resource', () => {
    const ms = lines((w) => {
      const l = w.listener('null_resource');
      l.event({ type: 'step-started', step: addHost });
      l.event({ type: 'step-failed', step: upgrade, ms: 5, failure });
      l.event({ type: 'step-skipped', step: create, cause: 'dependency-failed' });
      l.event({ type: 'step-finished', step: destroyCopy, ms: 5 });
    });
    expect(ms.map((m) => [m.type, m.hook.resource.addr, m.hook.step.id])).toEqual([
      ['apply_start', 'null_resource.host_host-c', 'add-host:host-c'],
      ['apply_errored', 'null_resource.host_host-a', 'upgrade-memory:host-a'],
      ['apply_skipped', 'null_resource.guest_web-03', 'create:web-03'],
      ['apply_complete', 'null_resource.guest_api-01', 'destroy-copy:api-01'],
    ]);
  });

  it('addresses a terraform_data fleet\'s resources as terraform_data, under the builtin terraform provider', () => {
    const [start] = lines((w) => w.listener('terraform_data').event({ type: 'step-started', step: retire }));
    expect(start.hook.resource).toEqual({
      addr: 'terraform_data.host_host-d', module: '', resource: 'terraform_data.host_host-d', implied_provider: 'terraform', resource_type: 'terraform_data', resource_name: 'host_host-d', resource_key: null,
    });
  });

  it('names a failed host step\'s resource as the diagnostic address, its step under hvkit', () => {
    const summary: ApplySummary = { ...allDone([]), failed: [{ step: addHost, status: 'failed', ms: 5, failure }], outcomes: [{ step: addHost, status: 'failed', ms: 5, failure }] };
    const [diag] = lines((w) => w.listener('null_resource').event({ type: 'apply-complete', summary }));
    expect(diag.diagnostic).toMatchObject({ address: 'null_resource.host_host-c', hvkit: { step: 'add-host:host-c' } });
  });

  it('counts host steps as plan --json counts host resources: add → added, retire → destroyed, memory upgrade and host update → changed', () => {
    const hosts = { ...NO_TALLY, created: 1, hosts: 4 };
    const [end] = lines((w) => w.listener('null_resource').event({ type: 'apply-complete', summary: allDone([addHost, upgrade, updateHost, retire, create], hosts) }));
    expect(end).toMatchObject({
      '@message': 'Apply complete! Resources: 2 added, 2 changed, 1 destroyed.',
      changes: { add: 2, change: 2, import: 0, remove: 1, operation: 'apply' },
      hvkit: { created: 1, hosts: 4, failed: 0, skipped: 0 },
    });
  });

  it('counts only the steps that finished', () => {
    const summary: ApplySummary = {
      ...allDone([addHost]),
      outcomes: [{ step: addHost, status: 'done', ms: 1 }, { step: retire, status: 'failed', ms: 1, failure }, { step: create, status: 'skipped', ms: 0 }],
      failed: [{ step: retire, status: 'failed', ms: 1, failure }], skipped: [{ step: create, status: 'skipped', ms: 0 }],
    };
    const end = lines((w) => w.listener('null_resource').event({ type: 'apply-complete', summary })).at(-1)!;
    expect(end.changes).toEqual({ add: 1, change: 0, import: 0, remove: 0, operation: 'apply' });
  });

  it('counts a forced rebuild\'s recreate and the destroy of the copy it left as one replacement, as plan --json does', () => {
    const [end] = lines((w) => w.listener('null_resource').event({ type: 'apply-complete', summary: allDone([recreate, destroyCopy], { ...NO_TALLY, replaced: 1, destroyed: 1 }) }));
    expect(end.changes).toEqual({ add: 1, change: 0, import: 0, remove: 1, operation: 'apply' });
  });

  it('reports a lock it could not release as a warning diagnostic line', () => {
    expect(lines((w) => w.warning('could not release the state lock L1 on /p/.hvkit/state/tokyo.json (EACCES)'))).toEqual([{
      '@level': 'warn', '@message': 'Warning: could not release the state lock L1 on /p/.hvkit/state/tokyo.json (EACCES)', '@module': 'hvkit.ui', '@timestamp': '1970-01-01T00:00:00.000Z',
      diagnostic: { severity: 'warning', summary: 'could not release the state lock L1 on /p/.hvkit/state/tokyo.json (EACCES)', detail: '' },
      type: 'diagnostic',
    }]);
  });
});

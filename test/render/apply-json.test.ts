import { describe, expect, it } from 'vitest';
import type { ApplySummary } from '../../lib/plan/apply-events';
import type { Step } from '../../lib/plan/types';
import { ApplyJsonWriter } from '../../lib/render/apply-json';

const migrate: Step = { id: 'migrate:web-02', kind: 'migrate', provider: 'local', host: 'host-a', target: 'host-b', guest: 'web-02', dependsOn: [], description: 'migrate web-02 host-a → host-b' };
const replace: Step = { id: 'replace:db-01', kind: 'replace', provider: 'local', host: 'host-b', guest: 'db-01', dependsOn: [], description: 'replace db-01 on host-b' };
const failure = { exitCode: null, message: '`list` on host-b does not show web-02 after migrate', log: '/p/.hvkit/logs/r/migrate_web-02.log' };

function lines(run: (w: ApplyJsonWriter) => void): Record<string, any>[] {
  let out = '';
  run(new ApplyJsonWriter({ write: (l) => (out += l), now: () => new Date(0) }));
  return out.trimEnd().split('\n').map((l) => JSON.parse(l));
}

describe('apply view (JSON lines)', () => {
  it('names the step under hook, with the Terraform action its kind amounts to', () => {
    const [start] = lines((w) => w.listener().event({ type: 'step-started', step: migrate }));
    expect(start).toEqual({
      '@level': 'info', '@message': 'migrate:web-02: migrate web-02 host-a → host-b...', '@module': 'hvkit.ui', '@timestamp': '1970-01-01T00:00:00.000Z',
      hook: { step: { id: 'migrate:web-02', kind: 'migrate', host: 'host-a', target: 'host-b', guest: 'web-02', description: 'migrate web-02 host-a → host-b' }, action: 'update' },
      type: 'apply_start',
    });
    expect(lines((w) => w.listener().event({ type: 'step-finished', step: replace, ms: 1500 }))[0]).toMatchObject({
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
      const l = w.listener();
      l.event({ type: 'step-unconfirmed', step: migrate, failure });
      l.event({ type: 'apply-complete', summary });
    });
    expect(ms.map((m) => m.type)).toEqual(['apply_errored', 'diagnostic', 'change_summary']);
    expect(ms[0]).toMatchObject({ '@level': 'error', '@message': 'migrate:web-02: errored', hook: { failure } });
    expect(ms[0].hook).not.toHaveProperty('elapsed_seconds');
    expect(ms[1].diagnostic).toEqual({ severity: 'error', summary: 'migrate:web-02 failed', detail: `${failure.message}\nlog: ${failure.log}`, address: 'migrate:web-02' });
    expect(ms[2]).toMatchObject({ '@level': 'error', '@message': 'Apply failed: 1 step failed; 0 created, 0 updated, 0 migrated, 0 destroyed in 1.0s' });
  });

  it('says why state stopped the run, and counts a replacement as one add and one remove, as Terraform does', () => {
    const summary: ApplySummary = {
      outcomes: [{ step: replace, status: 'done', ms: 10 }, { step: migrate, status: 'skipped', ms: 0 }], ms: 1000,
      tally: { created: 0, updated: 0, replaced: 1, migrated: 0, destroyed: 0, hosts: 0 },
      failed: [], skipped: [{ step: migrate, status: 'skipped', ms: 0 }], stateError: 'disk full', lockLost: false,
    };
    const ms = lines((w) => w.listener().event({ type: 'apply-complete', summary }));
    expect(ms[0].diagnostic).toEqual({ severity: 'error', summary: 'state could not be written, so no further step was started', detail: 'disk full' });
    expect(ms[1]).toMatchObject({ changes: { add: 1, change: 0, import: 0, remove: 1, operation: 'apply' }, hvkit: { replaced: 1, failed: 0, skipped: 1 } });
  });
  it('reports a lock it could not release as a warning diagnostic line', () => {
    expect(lines((w) => w.warning('could not release the state lock L1 on /p/.hvkit/state/tokyo.json (EACCES)'))).toEqual([{
      '@level': 'warn', '@message': 'Warning: could not release the state lock L1 on /p/.hvkit/state/tokyo.json (EACCES)', '@module': 'hvkit.ui', '@timestamp': '1970-01-01T00:00:00.000Z',
      diagnostic: { severity: 'warning', summary: 'could not release the state lock L1 on /p/.hvkit/state/tokyo.json (EACCES)', detail: '' },
      type: 'diagnostic',
    }]);
  });
});

import { describe, expect, it } from 'vitest';
import type { ApplyEvent, ApplySummary, StepOutcome } from '../../lib/plan/apply-events';
import type { Step } from '../../lib/plan/types';
import { CANCELLED_TEXT, failureSummary, NO_CHANGES_TEXT, plainApplyView, stepIds, tallyLine } from '../../lib/render/apply-view';
import { style } from '../../lib/render/style';

function step(id: string, description: string, dependsOn: string[] = []): Step {
  return { id, kind: 'create', provider: 'local', host: 'host-a', guest: id.split(':')[1], dependsOn, description };
}
const web1 = step('create:web-01', 'create web-01 on host-a');
const web2 = step('create:web-02', 'create web-02 on host-a');
const db1 = step('update-live:db-01', 'update db-01 on host-b');
const failure = { exitCode: 7, message: 'create exited with 7:\n    create: disk image is corrupt', log: '/p/.hvkit/logs/r/create_web-02.log' };

function summary(outcomes: StepOutcome[], extra: Partial<ApplySummary> = {}): ApplySummary {
  return {
    outcomes, ms: 3456, tally: { created: outcomes.filter((o) => o.status === 'done').length, updated: 0, replaced: 0, migrated: 0, destroyed: 0, hosts: 0 },
    failed: outcomes.filter((o) => o.status === 'failed'), skipped: outcomes.filter((o) => o.status === 'skipped'), lockLost: false, ...extra,
  };
}

function render(events: ApplyEvent[], total = 3, color = false) {
  let out = '';
  let err = '';
  const view = plainApplyView({ out: (t) => (out += t), err: (t) => (err += t), style: style(color), total });
  for (const e of events) view.event(e);
  view.close();
  return { out, err };
}

describe('apply view (text)', () => {
  it('prints one line per step start and end, counting ends, then the completion on stdout', () => {
    const done = summary([{ step: web1, status: 'done', ms: 1200 }, { step: db1, status: 'done', ms: 40 }]);
    done.tally = { ...done.tally, created: 1, updated: 1 };
    const { out, err } = render([
      { type: 'step-started', step: web1 },
      { type: 'step-started', step: db1 },
      { type: 'step-finished', step: db1, ms: 40 },
      { type: 'step-finished', step: web1, ms: 1200 },
      { type: 'apply-complete', summary: done },
    ], 2);
    expect(out).toBe(
      'start   create:web-01: create web-01 on host-a\n' +
      'start   update-live:db-01: update db-01 on host-b\n' +
      '[1/2] done    update-live:db-01 (0.0s)\n' +
      '[2/2] done    create:web-01 (1.2s)\n' +
      '\nApply complete: 1 created, 1 updated, 0 migrated, 0 destroyed in 3.5s\n',
    );
    expect(err).toBe('');
  });

  it('prints a failure with its first line, the steps it left unreachable, and the failure summary on stderr', () => {
    const r = summary([
      { step: web1, status: 'done', ms: 100 },
      { step: web2, status: 'failed', ms: 2000, failure },
      { step: db1, status: 'skipped', ms: 0 },
    ]);
    const { out, err } = render([
      { type: 'step-started', step: web1 },
      { type: 'step-finished', step: web1, ms: 100 },
      { type: 'step-started', step: web2 },
      { type: 'step-failed', step: web2, ms: 2000, failure },
      { type: 'step-skipped', step: db1, cause: 'dependency-failed' },
      { type: 'apply-complete', summary: r },
    ]);
    expect(out).toBe(
      'start   create:web-01: create web-01 on host-a\n' +
      '[1/3] done    create:web-01 (0.1s)\n' +
      'start   create:web-02: create web-02 on host-a\n' +
      '[2/3] FAILED  create:web-02 (2.0s): create exited with 7:\n' +
      '[3/3] skipped update-live:db-01 (a step it depends on failed)\n',
    );
    expect(err).toBe(
      '\nApply failed: 1 step failed; 1 created, 0 updated, 0 migrated, 0 destroyed in 3.5s\n' +
      '  create:web-02 failed (exit 7): create exited with 7:\n    create: disk image is corrupt\n    log: /p/.hvkit/logs/r/create_web-02.log\n' +
      '  not started because a step they depend on failed: update-live:db-01\n' +
      'State records exactly the finished steps; fix the cause and run `hvkit plan` to see what is left.\n',
    );
  });

  it('names steps given up because state broke only in the summary', () => {
    const r = summary([{ step: web1, status: 'done', ms: 100 }, { step: web2, status: 'skipped', ms: 0 }], { stateError: 'disk full' });
    const { out, err } = render([
      { type: 'step-started', step: web1 },
      { type: 'step-finished', step: web1, ms: 100 },
      { type: 'step-skipped', step: web2, cause: 'state-unwritable' },
      { type: 'apply-complete', summary: r },
    ], 2);
    expect(out).not.toContain('web-02');
    expect(err).toContain('Apply failed: 0 steps failed; 1 created');
    expect(err).toContain('  state could not be written, so no further step was started: disk full\n  not started: create:web-02\n');
  });

  it('tells the operator to settle in-flight steps when the lock was taken away', () => {
    const r = summary([{ step: web2, status: 'skipped', ms: 0 }], { stateError: 'the state lock on memory was released by someone else', lockLost: true });
    expect(failureSummary(r)).toBe('  the state lock on memory was released by someone else\n  not started: create:web-02');
    expect(render([{ type: 'apply-complete', summary: r }]).err).toContain('Run `hvkit plan` once no other hvkit writes this state, to settle the steps in flight and see what is left.\n');
  });

  it('says the state database went away and names the finished steps it could not record, counting none of them as created', () => {
    const done = [{ step: web1, status: 'done' as const, ms: 100 }, { step: web2, status: 'done' as const, ms: 100 }];
    const r = summary([...done, { step: db1, status: 'skipped', ms: 0 }], {
      stateError: 'state postgres://db/hvkit: the connection to the database was lost', lockLost: true, connectionLost: true, unrecorded: done,
    });
    r.tally.created = 0;
    expect(render([{ type: 'apply-complete', summary: r }]).err).toContain(
      '\nApply failed: stopped: the state database went away; 2 steps finished on the hypervisor but could not be recorded (create:web-01, create:web-02): the next plan settles them; ' +
        'recorded: 0 created, 0 updated, 0 migrated, 0 destroyed in 3.5s\n',
    );
  });

  it('counts replacements and host steps only when there are some', () => {
    const r = summary([]);
    expect(tallyLine(r)).toBe('0 created, 0 updated, 0 migrated, 0 destroyed in 3.5s');
    expect(tallyLine({ ...r, tally: { ...r.tally, replaced: 2, hosts: 1 } })).toBe('0 created, 0 updated, 0 migrated, 0 destroyed, 2 replaced, 1 host step in 3.5s');
  });

  it('paints the outcome only when asked for colour', () => {
    expect(render([{ type: 'apply-complete', summary: summary([]) }], 0, true).out).toBe('\n\u001b[32mApply complete\u001b[39m: 0 created, 0 updated, 0 migrated, 0 destroyed in 3.5s\n');
  });

  it('says plainly when there is nothing to apply, or the operator said no', () => {
    expect(NO_CHANGES_TEXT).toBe('No changes. The fleet matches the code; nothing to apply.\n');
    expect(CANCELLED_TEXT).toBe('Apply cancelled; nothing was changed.\n');
  });
});

describe('stepIds', () => {
  it('lists up to ten step ids, then says how many more, so an interrupted apply of 2,139 steps is one short line', () => {
    const ids = Array.from({ length: 2139 }, (_, i) => `create:web-${String(i).padStart(4, '0')}`);
    expect(stepIds(ids)).toBe(`${ids.slice(0, 10).join(', ')} and 2129 more`);
    expect(stepIds(ids.slice(0, 10))).toBe(ids.slice(0, 10).join(', '));
  });
});

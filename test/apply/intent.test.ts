import { describe, expect, it } from 'vitest';
import { intentOf } from '../../lib/apply/intent';
import { createPlan } from '../../lib/plan/planner';
import { manifestOf, stateOf, web, WEB_HOST_8G } from '../helpers/fleet';

describe('intentOf', () => {
  const m = manifestOf({ a: { props: WEB_HOST_8G, guests: { 'web-01': web('1GiB') } }, b: { props: WEB_HOST_8G } });
  const moved = manifestOf({ a: { props: WEB_HOST_8G }, b: { props: WEB_HOST_8G, guests: { 'web-01': web('1GiB') } } });
  const migrate = createPlan({ manifest: moved, state: stateOf(m) }).steps.find((s) => s.kind === 'migrate')!;

  it('keeps what recovery needs of a step, and nothing rendered for display', () => {
    expect(intentOf(migrate, 'run-1', new Date('2026-11-27T08:00:00Z'))).toEqual({
      version: 1, run: 'run-1', started: '2026-11-27T08:00:00.000Z',
      step: {
        id: 'migrate:web-01', kind: 'migrate', provider: migrate.provider, host: 'a', target: 'b', guest: 'web-01',
        hostSpec: migrate.hostSpec, targetSpec: migrate.targetSpec, after: migrate.after, configText: migrate.config!.text,
      },
    });
  });

  it('reads back from JSON exactly as it was made', () => {
    const add = createPlan({ manifest: m }).steps.find((s) => s.kind === 'add-host')!;
    const intent = intentOf(add, 'run-1');
    expect(JSON.parse(JSON.stringify(intent))).toStrictEqual(intent);
    expect(Object.keys(intent.step)).toEqual(['id', 'kind', 'provider', 'host', 'hostSpec']);
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callsOf } from '../../lib/apply/effects';
import { loadPlan, savePlan } from '../../lib/plan/plan-file';
import { createPlan } from '../../lib/plan/planner';
import type { GuestChange, Plan } from '../../lib/plan/types';
import { renderJson } from '../../lib/render/json';
import { renderMarkdown } from '../../lib/render/markdown';
import { renderText } from '../../lib/render/text';
import { style } from '../../lib/render/style';
import type { GuestProps } from '../../lib/manifest/props';
import type { State } from '../../lib/state/types';
import { WEB_HOST_8G, manifestOf, stateOf, web } from '../helpers/fleet';

const fleet = (power?: 'running' | 'stopped', memory = '3.5GiB') =>
  manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web(memory, power ? { power } : {}) } } });
const guest = (p: Plan) => p.changes.find((c) => c.kind === 'guest' && c.name === 'web-01') as GuestChange;
/** State as if applied, with web-01 recorded in `power`. */
function recorded(power: 'running' | 'stopped', m = fleet()): State {
  const s = stateOf(m);
  s.guests['web-01'].power = { state: power, at: '2026-11-27T09:00:00.000Z', by: 'command' };
  return s;
}

describe('planner: power as code', () => {
  it('plans a stop of a running guest whose code says stopped, and nothing else', () => {
    const p = createPlan({ manifest: fleet('stopped'), state: stateOf(fleet()) });
    expect(guest(p)).toMatchObject({ action: 'update', restart: false, recordOnly: false, reason: { code: 'power', detail: { from: 'running', to: 'stopped' } }, fields: [{ field: 'power', before: 'running', after: 'stopped' }] });
    expect(p.steps.map((s) => [s.id, s.kind, s.description])).toEqual([['stop:web-01', 'stop', "stop web-01 on web-host-01 (power 'stopped' in code)"]]);
    expect(callsOf(p.steps[0], 'tokyo').map((c) => c.verb)).toEqual(['stop']);
  });

  it('plans a start of a guest recorded stopped whose code says running (the default)', () => {
    const p = createPlan({ manifest: fleet(), state: recorded('stopped') });
    expect(guest(p).reason).toEqual({ code: 'power', detail: { from: 'stopped', to: 'running' } });
    expect(p.steps.map((s) => s.kind)).toEqual(['start']);
  });

  it('plans nothing for a guest recorded stopped whose code says stopped', () => {
    const p = createPlan({ manifest: fleet('stopped'), state: recorded('stopped', fleet('stopped')) });
    expect(p.steps).toEqual([]);
    expect(guest(p).action).toBe('noop');
  });

  it('records a power prop written into code for a guest already in that state, without touching it', () => {
    const p = createPlan({ manifest: fleet('stopped'), state: recorded('stopped') });
    expect(guest(p)).toMatchObject({ action: 'update', recordOnly: true, reason: { code: 'record-only', detail: { fields: ['power'] } } });
    expect(callsOf(p.steps[0], 'tokyo')).toEqual([]);
  });

  it('creates a new guest with power stopped and then stops it', () => {
    const p = createPlan({ manifest: fleet('stopped') });
    const create = p.steps.find((s) => s.guest === 'web-01')!;
    expect(create).toMatchObject({ kind: 'create', then: 'stop', description: "create web-01 on web-host-01, then stop it (power 'stopped' in code)" });
    expect(callsOf(create, 'tokyo').map((c) => c.verb)).toEqual(['create', 'stop']);
  });

  it('starts a stopped guest after a live update when code wants it running', () => {
    const p = createPlan({ manifest: fleet('running', '4GiB'), state: recorded('stopped') });
    expect(guest(p)).toMatchObject({ action: 'update', reason: { code: 'live-update' } });
    expect(guest(p).fields.map((f) => f.field)).toEqual(['memoryMiB', 'power']);
    expect(p.steps[0]).toMatchObject({ kind: 'update-live', then: 'start' });
    expect(callsOf(p.steps[0], 'tokyo').map((c) => c.verb)).toEqual(['set-memory', 'start']);
  });

  it('stops a guest again after a restart when code wants it stopped', () => {
    const m = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB', { power: 'stopped', mode: 'pv', maxVcpus: 4 }) } } });
    const p = createPlan({ manifest: m, state: recorded('stopped') });
    expect(p.steps[0]).toMatchObject({ kind: 'update-restart', then: 'stop' });
    expect(callsOf(p.steps[0], 'tokyo').map((c) => c.verb)).toEqual(['stop', 'create', 'stop']);
  });

  it('keeps counting a stopped guest on its host: stopping frees nothing in the fit table', () => {
    const running = createPlan({ manifest: fleet(), state: stateOf(fleet()) });
    const stopped = createPlan({ manifest: fleet('stopped'), state: stateOf(fleet()) });
    expect(stopped.fit).toEqual(running.fit);
  });

  it('shows a power change in text, markdown and JSON', () => {
    const p = createPlan({ manifest: fleet('stopped'), state: stateOf(fleet()) });
    const text = renderText(p, style(false));
    expect(text).toContain('  ~ update in place web-01 on web-host-01  (tokyo/web-host-01/web-01)\n      power running → stopped: shut down (disks and memory reservation kept)\n');
    expect(text).toContain("    1. stop web-01 on web-host-01 (power 'stopped' in code)\n");
    expect(text).toContain('Plan: 0 to create, 1 to update in place (1 shut down), 0 to migrate, 0 to destroy.');
    expect(renderMarkdown(p)).toContain('- `~` **update in place web-01 on web-host-01** — power running → stopped: shut down \\(disks and memory reservation kept\\); power: running → stopped\n');
    const json = JSON.parse(renderJson(p, 'null_resource'));
    const rc = json.resource_changes.find((r: { address: string }) => r.address === 'null_resource.guest_web-01');
    expect(rc.change.actions).toEqual(['update']);
    expect(rc.hvkit).toMatchObject({ action: 'update', restart: false, reason: { code: 'power', detail: { from: 'running', to: 'stopped' } } });
    expect(json.hvkit.steps.map((s: { kind: string }) => s.kind)).toEqual(['stop']);
    const created = JSON.parse(renderJson(createPlan({ manifest: fleet('stopped') }), 'null_resource'));
    expect(created.hvkit.steps.find((s: { guest?: string }) => s.guest === 'web-01')).toMatchObject({ kind: 'create', then: 'stop' });
  });
});

describe('plan summary: shutdowns counted apart, as restarts', () => {
  const two = (web01: Partial<GuestProps>, web02: Partial<GuestProps>) => manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB', web01), 'web-02': web('1GiB', web02) } } });
  const deployed = two({}, {});
  const summary = (p: Plan) => renderText(p, style(false)).trimEnd().split('\n').pop();

  it('says "1 with restart, 1 shut down" in text and markdown, and marks the stop in JSON', () => {
    const p = createPlan({ manifest: two({ vcpus: 3, maxVcpus: 3 }, { power: 'stopped' }), state: stateOf(deployed) });
    const line = 'Plan: 0 to create, 2 to update in place (1 with restart, 1 shut down), 0 to migrate, 0 to destroy.';
    expect(summary(p)).toBe(line);
    expect(renderMarkdown(p)).toContain(`**${line}**`);
    const json = JSON.parse(renderJson(p, 'null_resource'));
    const hv = (name: string) => json.resource_changes.find((r: { address: string }) => r.address === `null_resource.guest_${name}`).hvkit;
    expect(hv('web-02')).toMatchObject({ restart: false, shutdown: true });
    expect(Object.keys(hv('web-01'))).not.toContain('shutdown');
  });

  it('counts a guest stopped after a live update, but not one already stopped that a restart leaves stopped', () => {
    const live = createPlan({ manifest: two({ power: 'stopped', memory: '4GiB' }, {}), state: stateOf(deployed) });
    expect(live.steps[0]).toMatchObject({ kind: 'update-live', then: 'stop' });
    expect(summary(live)).toBe('Plan: 0 to create, 1 to update in place (1 shut down), 0 to migrate, 0 to destroy.');
    const s = stateOf(deployed);
    s.guests['web-01'].power = { state: 'stopped', at: '2026-11-27T09:00:00.000Z', by: 'command' };
    const restarted = createPlan({ manifest: two({ power: 'stopped', vcpus: 3, maxVcpus: 3 }, {}), state: s });
    expect(restarted.steps[0]).toMatchObject({ kind: 'update-restart', then: 'stop' });
    expect(summary(restarted)).toBe('Plan: 0 to create, 1 to update in place (1 with restart), 0 to migrate, 0 to destroy.');
  });

  it('saves a plan that shuts a guest down to a file that loads again', async () => {
    const p = createPlan({ manifest: two({}, { power: 'stopped' }), state: stateOf(deployed) });
    const file = join(mkdtempSync(join(tmpdir(), 'hvkit-plan-')), 'stop.plan');
    await savePlan(file, p, 'null_resource');
    expect(loadPlan(file).plan).toEqual(p);
  });

  it('keeps the summary byte-identical when nothing shuts down', () => {
    const p = createPlan({ manifest: two({ vcpus: 3, maxVcpus: 3 }, {}), state: stateOf(deployed) });
    expect(summary(p)).toBe('Plan: 0 to create, 1 to update in place (1 with restart), 0 to migrate, 0 to destroy.');
  });
});

describe('planner: power and --target', () => {
  it('leaves the power of a guest a targeted plan keeps as recorded', () => {
    const m = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'web-02': web('1GiB') } } });
    const s = stateOf(m);
    s.guests['web-01'].power = { state: 'stopped', at: '2026-11-27T09:00:00.000Z', by: 'command' };
    expect(createPlan({ manifest: m, state: s, keep: ['web-01'] }).steps).toEqual([]);
    expect(createPlan({ manifest: m, state: s }).steps.map((x) => x.id)).toEqual(['start:web-01']);
  });

  it('adds no power call after the step of a kept guest that has another change', () => {
    // targetedManifest gives a kept guest its recorded spec, so this only guards the planner's own contract.
    const p = createPlan({ manifest: fleet('stopped', '4GiB'), state: stateOf(fleet()), keep: ['web-01'] });
    expect(p.steps.map((x) => [x.kind, x.then])).toEqual([['update-live', undefined]]);
  });
});

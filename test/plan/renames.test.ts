import { describe, expect, it } from 'vitest';
import { applyEffect } from '../../lib/apply/effects';
import type { Manifest } from '../../lib/manifest/types';
import { createPlan } from '../../lib/plan/planner';
import type { GuestChange, Plan } from '../../lib/plan/types';
import { renderJson } from '../../lib/render/json';
import { renderMarkdown } from '../../lib/render/markdown';
import { style } from '../../lib/render/style';
import { renderText } from '../../lib/render/text';
import type { GuestProps } from '../../lib/manifest/props';
import type { State } from '../../lib/state/types';
import { manifestOf, problemsOf, stateOf, web, WEB_HOST_8G } from '../helpers/fleet';

/** A fleet of one host with these guests; `provider` for every host. */
const fleet = (guests: Record<string, GuestProps>, provider: 'local' | 'libvirt' | 'xen' = 'local') =>
  manifestOf({ 'web-host-01': { props: { ...WEB_HOST_8G, provider }, guests } });

/** Two fleets' guests in one manifest, built apart: code the manifest build would refuse, as a planner may still be given it. */
const unchecked = (a: Record<string, GuestProps>, b: Record<string, GuestProps>): Manifest => {
  const m = fleet(a);
  return { ...m, guests: [...m.guests, ...fleet(b).guests].sort((x, y) => (x.name < y.name ? -1 : 1)) };
};

const deployed = (guests: Record<string, GuestProps>, provider?: 'local' | 'libvirt' | 'xen') => stateOf(fleet(guests, provider));

const guestChange = (plan: Plan, name: string) => plan.changes.find((c): c is GuestChange => c.kind === 'guest' && c.name === name);

/** The state apply leaves after every step of `plan` succeeded. */
function applied(state: State, plan: Plan): State {
  const next = structuredClone(state);
  for (const s of plan.steps) applyEffect(next, s);
  next.serial++;
  return next;
}

/** The fleet is one host: every plan says once that it cannot be N+1 (lib/plan/n-plus-one.ts). */
const ONE_HOST_NOTE = ['note', 'the fleet has one host, so losing it loses every guest (not N+1): add a host to be able to recreate its guests'];

const errors = (plan: Plan) => plan.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.path}: ${d.message}`);

describe('createPlan: movedFrom renames a recorded guest', () => {
  const before = deployed({ 'web-02': web('2GiB') });
  const renamed: Manifest = fleet({ 'web-03': web('2GiB', { movedFrom: 'web-02' }) });

  it('plans one rename of web-02 to web-03, not a destroy and a create', () => {
    const plan = createPlan({ manifest: renamed, state: before });
    expect(plan.steps.map((s) => s.id)).toEqual(['rename:web-03']);
    const c = guestChange(plan, 'web-03')!;
    expect(c.action).toBe('rename');
    expect(c.reason).toEqual({ code: 'renamed', detail: { from: 'web-02', to: 'web-03', stops: false } });
    expect(guestChange(plan, 'web-02')).toBeUndefined();
    expect(plan.applyable).toBe(true);
  });

  it('keeps the UUID and MACs state records for web-02', () => {
    const plan = createPlan({ manifest: renamed, state: before });
    const rec = before.guests['web-02'].spec;
    const step = plan.steps[0];
    expect(step.after!.uuid).toBe(rec.uuid);
    expect(step.after!.nics.map((n) => n.mac)).toEqual(rec.nics.map((n) => n.mac));
    expect(step.after!.disks).toEqual(rec.disks);
    expect(step.config!.text).toContain('"name": "web-03"');
  });

  it('plans "No changes" once applied, with movedFrom still in code (as Terraform keeps moved blocks)', () => {
    const after = applied(before, createPlan({ manifest: renamed, state: before }));
    expect(Object.keys(after.guests)).toEqual(['web-03']);
    const again = createPlan({ manifest: renamed, state: after });
    expect(again.steps).toEqual([]);
    expect(again.diagnostics.map((d) => [d.severity, d.message])).toEqual([ONE_HOST_NOTE]);
  });

  it('plans a memory change on top as a second step that waits for the rename', () => {
    const plan = createPlan({ manifest: fleet({ 'web-03': web('3GiB', { movedFrom: 'web-02' }) }), state: before });
    expect(plan.steps.map((s) => [s.id, s.dependsOn])).toEqual([['rename:web-03', []], ['update-live:web-03', ['rename:web-03']]]);
    const c = guestChange(plan, 'web-03')!;
    expect(c.reason).toMatchObject({ code: 'renamed', detail: { then: { code: 'live-update' } } });
    expect(c.fields.map((f) => f.field)).toEqual(['name', 'memoryMiB']);
    const after = applied(before, plan);
    expect(createPlan({ manifest: fleet({ 'web-03': web('3GiB', { movedFrom: 'web-02' }) }), state: after }).steps).toEqual([]);
  });

  it('shows a rename with a replace on top as Terraform shows a moved resource it replaces', () => {
    const plan = createPlan({ manifest: fleet({ 'web-03': web('2GiB', { movedFrom: 'web-02', mode: 'hvm' }) }), state: before });
    expect(plan.steps.map((s) => [s.id, s.dependsOn])).toEqual([['rename:web-03', []], ['replace:web-03', ['rename:web-03']]]);
    const doc = JSON.parse(renderJson(plan, 'null_resource', { timestamp: new Date(0) }));
    const rc = doc.resource_changes.find((r: { address: string }) => r.address === 'null_resource.guest_web-03');
    expect(rc).toMatchObject({ previous_address: 'null_resource.guest_web-02', action_reason: 'replace_because_cannot_update', change: { actions: ['delete', 'create'] } });
    // The replace destroys the disks the rename kept: marked like every other data loss.
    expect(guestChange(plan, 'web-03')!.dataLoss).toMatchObject({ kind: 'destroyed', totalMiB: 20480 });
    expect(guestChange(createPlan({ manifest: renamed, state: before }), 'web-03')!.dataLoss).toBeUndefined();
  });

  it('says a libvirt rename shuts the guest down and starts it again', () => {
    const plan = createPlan({ manifest: fleet({ 'web-03': web('2GiB', { movedFrom: 'web-02' }) }, 'libvirt'), state: deployed({ 'web-02': web('2GiB') }, 'libvirt') });
    const c = guestChange(plan, 'web-03')!;
    expect(c.restart).toBe(true);
    expect(c.reason).toMatchObject({ detail: { stops: true } });
    expect(plan.steps[0].description).toBe('rename web-02 → web-03 on web-host-01 (same domain, UUID and disks; shuts down and starts again)');
  });

  it('shows the rename in text, markdown and JSON (previous_address, as Terraform shows a moved resource)', () => {
    const plan = createPlan({ manifest: renamed, state: before });
    const text = renderText(plan, style(false));
    expect(text).toContain('  ~ rename web-02 → web-03 on web-host-01');
    expect(text).toContain('renamed from web-02 (movedFrom): same domain, UUID, MACs and disks');
    expect(text).toContain('Plan: 0 to create, 0 to update in place, 0 to migrate, 0 to destroy, 1 to rename.');
    expect(renderMarkdown(plan)).toContain('rename web-02 → web-03 on web-host-01');
    const doc = JSON.parse(renderJson(plan, 'null_resource', { timestamp: new Date(0) }));
    const rc = doc.resource_changes.find((r: { address: string }) => r.address === 'null_resource.guest_web-03');
    expect(rc.previous_address).toBe('null_resource.guest_web-02');
    expect(rc.change.actions).toEqual(['update']);
    expect(rc.change.before.name).toBe('web-02');
    expect(rc.change.after.name).toBe('web-03');
    expect(doc.resource_changes.some((r: { address: string; previous_address?: string }) => r.previous_address && r.address !== rc.address)).toBe(false);
  });
});

describe('createPlan: movedFrom that cannot or need not rename', () => {
  const before = deployed({ 'web-02': web('2GiB'), 'web-04': web('2GiB') });

  it('is an error when movedFrom names a guest still in code: of the code alone, so the manifest build refuses it', () => {
    expect(problemsOf(() => fleet({ 'web-02': web('2GiB'), 'web-03': web('2GiB', { movedFrom: 'web-02' }) }))).toEqual(["tokyo/web-host-01/web-03: movedFrom 'web-02': web-02 is still in code (tokyo/web-host-01/web-02): remove that guest, or remove movedFrom from web-03"]);
  });

  it('is still a plan error for a manifest made without the build check', () => {
    const plan = createPlan({ manifest: unchecked({ 'web-02': web('2GiB') }, { 'web-03': web('2GiB', { movedFrom: 'web-02' }) }), state: before });
    expect(errors(plan)).toEqual(["tokyo/web-host-01/web-03: movedFrom 'web-02': web-02 is still in code (tokyo/web-host-01/web-02): remove that guest, or remove movedFrom from web-03"]);
    expect(plan.applyable).toBe(false);
  });

  it('is an error when a --target plan keeps the old record untargeted', () => {
    const plan = createPlan({ manifest: unchecked({ 'web-02': web('2GiB'), 'web-04': web('2GiB') }, { 'web-03': web('2GiB', { movedFrom: 'web-02' }) }), state: before, keep: ['web-02', 'web-04'] });
    expect(errors(plan)).toEqual(["tokyo/web-host-01/web-03: movedFrom 'web-02': web-02 is not targeted, so this plan keeps it as recorded: target web-02 too to rename it into web-03"]);
  });

  it('is an error when two guests are moved from the same name', () => {
    expect(problemsOf(() => fleet({ 'web-03': web('2GiB', { movedFrom: 'web-02' }), 'web-05': web('2GiB', { movedFrom: 'web-02' }) }))).toEqual(["tokyo/web-host-01/web-05: movedFrom 'web-02': web-03 (tokyo/web-host-01/web-03) is moved from web-02 too: only one guest can take its place; remove movedFrom from one of them"]);
  });

  it('is an error when state records both the old and the new name', () => {
    const plan = createPlan({ manifest: fleet({ 'web-04': web('2GiB', { movedFrom: 'web-02' }) }), state: before });
    expect(errors(plan)).toEqual(["tokyo/web-host-01/web-04: movedFrom 'web-02': state records both web-02 and web-04, so there is nothing to rename into: remove movedFrom (the plan then destroys web-02), or forget the stale record with `hvkit state rm web-02`"]);
  });

  it('is an error for a chain of renames (web-02 → web-03 → web-05)', () => {
    expect(problemsOf(() => fleet({ 'web-03': web('2GiB', { movedFrom: 'web-02' }), 'web-05': web('2GiB', { movedFrom: 'web-03' }) }))).toEqual(["tokyo/web-host-01/web-05: movedFrom 'web-03': web-03 is itself moved from web-02, and hvkit does not follow chains of renames: set movedFrom: 'web-02' on web-05 and remove web-03, or apply one rename before writing the next"]);
  });

  it('notes a movedFrom naming a guest state never had, and creates the guest', () => {
    const plan = createPlan({ manifest: fleet({ 'web-02': web('2GiB'), 'web-04': web('2GiB'), 'web-09': web('2GiB', { movedFrom: 'web-01' }) }), state: before });
    expect(plan.steps.map((s) => s.id)).toEqual(['create:web-09']);
    const notes = plan.diagnostics.filter((d) => d.code === 'rename');
    expect(notes).toEqual([expect.objectContaining({ severity: 'note', path: 'tokyo/web-host-01/web-09' })]);
    expect(notes[0].message).toContain('state records no guest web-01, so there is nothing to rename');
    expect(plan.applyable).toBe(true);
  });

  it('falls back to destroy and create, with a warning, when the provider cannot rename', () => {
    const plan = createPlan({ manifest: fleet({ 'web-03': web('2GiB', { movedFrom: 'web-02' }), 'web-04': web('2GiB') }), state: before, capabilities: { rename: new Set(['xen']) } });
    expect(plan.steps.map((s) => s.id).sort()).toEqual(['create:web-03', 'destroy:web-02']);
    expect(plan.diagnostics.map((d) => [d.severity, d.message])).toEqual([
      ['warning', "movedFrom 'web-02': provider local cannot rename: web-02 will be destroyed and created as web-03 (its data is lost)"],
      ONE_HOST_NOTE,
    ]);
    expect(plan.applyable).toBe(true);
  });
});

describe('Guest prop movedFrom', () => {
  it('refuses a name that is not a DNS label, naming the construct path', () => {
    expect(problemsOf(() => fleet({ 'web-03': web('2GiB', { movedFrom: 'Web_02' }) }))).toEqual([
      "tokyo/web-host-01/web-03: movedFrom name 'Web_02' is not a DNS label: use 1–63 lowercase letters, digits and '-', not starting or ending with '-' (movedFrom is the guest's previous name)",
    ]);
  });

  it("refuses the guest's own name", () => {
    expect(problemsOf(() => fleet({ 'web-03': web('2GiB', { movedFrom: 'web-03' }) }))).toEqual([
      "tokyo/web-host-01/web-03: movedFrom 'web-03' is the guest's own name: remove movedFrom, or set it to the name the guest had before",
    ]);
  });

  it('is null in the manifest when not set, and never reaches the rendered config', () => {
    const m = fleet({ 'web-03': web('2GiB', { movedFrom: 'web-02' }), 'web-04': web('2GiB') });
    expect(m.guests.map((g) => g.movedFrom)).toEqual(['web-02', null]);
    const s = stateOf(m);
    expect(s.guests['web-03'].config).not.toContain('web-02');
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlan } from '../../lib/plan/planner';
import { renderJson } from '../../lib/render/json';
import { GITHUB_COMMENT_LIMIT, renderMarkdown } from '../../lib/render/markdown';
import { Match, PlanAssert } from '../helpers/assertions';
import { manifestOf, memcached, stateOf, WEB_HOST_8G, web } from '../helpers/fleet';
import { tempProject, type TempProject } from '../helpers/project';

const ESC = String.fromCharCode(27);

describe('renderers on the example fleet’s memory upgrade', () => {
  let p: TempProject;
  beforeAll(async () => {
    p = tempProject();
    const r = await p.run(['apply', '--auto-approve'], { env: { HVKIT_EXAMPLE: 'before-upgrade' } });
    expect(r.code, r.err).toBe(0);
  });
  afterAll(() => p.cleanup());

  /** Runs `body` with the stack as `edit` makes it, and puts the shared stack back whatever happens. */
  async function withStack(edit: (saved: string) => string, body: () => Promise<void>): Promise<void> {
    const file = join(p.dir, 'stacks', 'main.ts');
    const saved = readFileSync(file, 'utf8');
    const edited = edit(saved);
    expect(edited, 'the edit must change the stack').not.toBe(saved);
    p.writeStack(edited);
    try {
      await body();
    } finally {
      p.writeStack(saved);
    }
  }

  it('text: fit table before → after, changes with markers, steps, summary, no colour when piped', async () => {
    const r = await p.run(['plan']);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(ESC);
    expect(r.out).toMatch(/HOST +MEMORY +VCPUS +DISK +CPU LOAD +IOPS +NET MBPS/);
    expect(r.out).toContain('web-host-01  4GiB → 8GiB / 4GiB→8GiB 100%');
    expect(r.out).toContain('  ~ upgrade memory web-host-01  (tokyo/web-host-01)');
    expect(r.out).toContain('  + create memcached-01 on web-host-01  (tokyo/web-host-01/memcached-01)');
    expect(r.out).toContain('  ~ update in place web-01 on web-host-01  (tokyo/web-host-01/web-01)');
    expect(r.out).toContain('update web-01 on web-host-01: memory 3.5GiB → 5.5GiB while running after #1');
    expect(r.out.trimEnd().split('\n').pop()).toBe('Plan: 2 to create, 2 to update in place, 0 to migrate, 0 to destroy; 2 host changes.');
  });

  it('text: colour on a terminal, none with --no-color or NO_COLOR', async () => {
    expect((await p.run(['plan'], { tty: true })).out).toContain(`${ESC}[`);
    expect((await p.run(['plan', '--no-color'], { tty: true })).out).not.toContain(ESC);
    expect((await p.run(['plan'], { tty: true, env: { NO_COLOR: '1' } })).out).not.toContain(ESC);
  });

  it('markdown: summary, fit table, changes, and a collapsible config diff per guest', async () => {
    const r = await p.run(['plan', '--markdown']);
    expect(r.out).toContain('**Plan: 2 to create, 2 to update in place, 0 to migrate, 0 to destroy; 2 host changes.**');
    expect(r.out).toContain('| host | memory | vCPUs | disk | CPU load | IOPS | network |');
    expect(r.out).toContain('<details><summary>web-01: config diff</summary>');
    expect(r.out).toMatch(/-  "memoryMiB": 3584,\n\+  "memoryMiB": 5632,/);
    expect(r.out).toContain('--- /dev/null');
  });

  it('json: the terraform show -json shape, hvkit data under one key', async () => {
    const out = (await p.run(['plan', '--json'])).out;
    const doc = JSON.parse(out);
    expect(doc.format_version).toBe('1.2');
    const plan = PlanAssert.fromJson(out);
    plan.hasChange('web-01', { tfAddress: 'null_resource.guest_web-01', actions: ['update'], action: 'update', restart: false, after: Match.objectLike({ memoryMiB: 5632 }) });
    plan.hasChange('memcached-01', { tfAddress: 'null_resource.guest_memcached-01', actions: ['create'], before: null });
    plan.hasChange('db-01', { tfAddress: 'null_resource.guest_db-01', actions: ['no-op'], action: 'noop' });
    plan.hasChange('web-host-01', { tfAddress: 'null_resource.host_web-host-01', actions: ['update'], action: 'upgrade-memory' });
    expect(Object.keys(doc)).toEqual(['format_version', 'terraform_version', 'planned_values', 'resource_changes', 'prior_state', 'configuration', 'timestamp', 'applyable', 'complete', 'errored', 'hvkit']);
    expect([doc.applyable, doc.complete, doc.errored]).toEqual([true, true, false]);
    plan.hasStep({ id: 'upgrade-memory:web-host-01', kind: 'upgrade-memory', host: 'web-host-01' });
    plan.hasStep({ id: 'update-live:web-01', dependsOn: Match.arrayWith(['upgrade-memory:web-host-01']) });
  });

  it('is deterministic: the same inputs print the same bytes in every format', async () => {
    // The JSON's timestamp is when the plan was made; SOURCE_DATE_EPOCH pins it, as for reproducible builds.
    const env = { SOURCE_DATE_EPOCH: '1700000000' };
    for (const flag of [[], ['--json'], ['--markdown']]) {
      expect((await p.run(['plan', ...flag], { env })).out).toBe((await p.run(['plan', ...flag], { env })).out);
    }
    expect(JSON.parse((await p.run(['plan', '--json'], { env })).out).timestamp).toBe('2023-11-14T22:13:20Z');
  });

  it('--detailed-exitcode: 2 with changes, 0 without, 1 on fit errors', async () => {
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(2);
    await withStack((saved) => saved.replace("process.env.HVKIT_EXAMPLE !== 'before-upgrade'", 'false'), async () => {
      // Without the upgrade in code nothing changes.
      expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
    });
    await withStack((saved) => saved.replace("dimms: upgraded ? ['2GiB', '2GiB', '2GiB', '2GiB'] : ['1GiB', '1GiB', '1GiB', '1GiB']", "dimms: ['1GiB', '1GiB', '1GiB', '1GiB']"), async () => {
      // The 5.5 GiB web guest without the DIMMs does not fit: error, exit 1.
      const bad = await p.run(['plan', '--detailed-exitcode']);
      expect(bad.code).toBe(1);
      expect(bad.out).toContain('Error: tokyo/web-host-01: memory 8GiB committed');
      expect(bad.out).toContain('This plan has errors and cannot be applied.');
    });
  });

  it('notes the chapter’s stranded DB host once its web guest is removed', async () => {
    await withStack((saved) => saved.replace(/new Guest\(dbHost, 'web-03'[\s\S]*?\}\);\n/, ''), async () => {
      const r = await p.run(['plan']);
      expect(r.out).toMatch(/Note: tokyo\/db-host-01: stranded capacity: memory 91% committed while CPU 10% and I\/O 10% busy; the largest guest that still fits: 1.5GiB memory/);
    });
  });
});

describe('markdown size limit', () => {
  it('keeps a 500-guest change under GitHub’s 65,536 characters, saying what it cut', () => {
    const hosts = Object.fromEntries(Array.from({ length: 125 }, (_, h) => [`host-${h}`, {
      props: { ...WEB_HOST_8G, memory: { slots: 4, maxDimm: '16GiB', dimms: ['16GiB', '16GiB'] } },
      guests: Object.fromEntries(Array.from({ length: 4 }, (_, g) => [`guest-${h}-${g}`, web('1GiB')])),
    }]));
    const before = manifestOf(hosts);
    const after = manifestOf(Object.fromEntries(Object.entries(hosts).map(([k, v]) => [k, { ...v, guests: Object.fromEntries(Object.entries(v.guests).map(([g, gp]) => [g, { ...gp, memory: '2GiB' }])) }])));
    const md = renderMarkdown(createPlan({ manifest: after, state: stateOf(before) }));
    expect(md.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(md).toContain('**Plan: 0 to create, 500 to update in place, 0 to migrate, 0 to destroy.**');
    expect(md).toMatch(/_… \d+ more config diffs not shown \(comment size limit\); run `hvkit plan` for the full list\._/);
  });
});

describe('json: Terraform plan fields that reflect the plan', () => {
  const s0 = manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'mc-01': memcached() } } });
  const text = (p: ReturnType<typeof createPlan>) => renderJson(p, 'null_resource', { timestamp: new Date(0) });
  const json = (p: ReturnType<typeof createPlan>) => JSON.parse(text(p));

  it('says replace_by_request for a rebuild and replace_because_cannot_update for a mode change', () => {
    const rebuilt = PlanAssert.fromJson(text(createPlan({ manifest: s0, state: stateOf(s0), rebuild: { guests: ['web-01'], host: 'h' } })));
    rebuilt.hasChange('web-01', { tfAddress: 'null_resource.guest_web-01', actions: ['delete', 'create'], actionReason: 'replace_by_request' });
    const hvm = manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB', { mode: 'hvm' }), 'mc-01': memcached() } } });
    const changed = PlanAssert.fromJson(text(createPlan({ manifest: hvm, state: stateOf(s0) })));
    changed.hasChange('web-01', { actions: ['delete', 'create'], actionReason: 'replace_because_cannot_update' });
    changed.hasChange('mc-01', { actions: ['no-op'], actionReason: Match.absent() });
  });

  it('says delete_because_no_resource_config for a guest removed from code', () => {
    const gone = manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } } });
    PlanAssert.fromJson(text(createPlan({ manifest: gone, state: stateOf(s0) }))).hasChange('mc-01', { actions: ['delete'], after: null, actionReason: 'delete_because_no_resource_config' });
  });

  it('is errored and not applyable when the plan has errors, and not applyable when nothing changes', () => {
    const over = manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'mc-01': memcached(), 'mc-02': memcached() } } });
    expect(json(createPlan({ manifest: over, state: stateOf(s0) }))).toMatchObject({ applyable: false, errored: true, complete: false });
    expect(json(createPlan({ manifest: s0, state: stateOf(s0) }))).toMatchObject({ applyable: false, errored: false, complete: true });
  });

  it('is not complete when another apply was running as the plan was made', () => {
    const plan = createPlan({ manifest: s0, diagnostics: [{ severity: 'warning', code: 'apply-running', path: 'tokyo', message: 'an apply is running' }] });
    expect(json(plan)).toMatchObject({ applyable: true, errored: false, complete: false });
  });
});

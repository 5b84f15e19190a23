import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HvkitError } from '../../lib/errors';
import { digestOf, sha256 } from '../../lib/manifest/canonical';
import { loadPlan, planDigest, planMismatch, savePlan, serializePlan, staleReason } from '../../lib/plan/plan-file';
import { createPlan } from '../../lib/plan/planner';
import { PLAN_FORMAT_VERSION, type Change, type ReasonCode } from '../../lib/plan/types';
import { WEB_HOST_8G, manifestOf, memcached, stateOf, web } from '../helpers/fleet';
import { SAMPLE_REASONS } from '../helpers/reasons';

const m = manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } } });
const state = stateOf(m, 7);
const m2 = manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB'), 'mc-01': memcached() } } });
const plan = createPlan({ manifest: m2, state });

describe('saved plans', () => {
  it('bind to the state lineage and serial and the manifest digest', () => {
    expect(plan).toMatchObject({ stateLineage: state.lineage, stateSerial: 7, manifestDigest: digestOf(m2) });
    expect(staleReason(plan, state, digestOf(m2))).toBeUndefined();
  });

  it('are stale once the state serial moved on', () => {
    expect(staleReason(plan, { ...state, serial: 8 }, digestOf(m2))).toBe('the state changed since the plan was made (serial 7 → 8)');
  });

  it('are stale for another lineage', () => {
    expect(staleReason(plan, { ...state, lineage: 'other' }, digestOf(m2))).toMatch(/^the state's lineage is other/);
  });

  it('are stale once the code changed', () => {
    expect(staleReason(plan, state, digestOf(m))).toBe('the code changed since the plan was made (manifest digest differs)');
  });

  it('round-trip through a file and refuse an edited one', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hvkit-plan-')), 'plan.bin');
    await savePlan(file, plan, 'null_resource');
    expect(loadPlan(file).plan).toEqual(plan);
    writeFileSync(file, readFileSync(file, 'utf8').replace('"mc-01"', '"mc-99"'));
    expect(() => loadPlan(file)).toThrow(/the plan was changed after it was saved \(checksum mismatch\)/);
    writeFileSync(file, 'garbage');
    expect(() => loadPlan(file)).toThrow(/is not an hvkit plan/);
  });

  it('are deterministic: the same inputs give the same bytes', () => {
    expect(serializePlan(createPlan({ manifest: m2, state }), 'null_resource')).toBe(serializePlan(plan, 'null_resource'));
  });

  it('carry how they were made, so apply can make them again', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hvkit-plan-')), 'plan.json');
    await savePlan(file, plan, 'null_resource', { kind: 'rebuild', host: 'h', to: 'spare' });
    expect(loadPlan(file).derivation).toEqual({ kind: 'rebuild', host: 'h', to: 'spare' });
    await savePlan(file, plan, 'null_resource');
    expect(loadPlan(file).derivation).toEqual({ kind: 'plan' });
  });

  it('refuse a file without a format version in words, not "undefined"', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hvkit-plan-')), 'plan.json');
    const saved = JSON.parse(serializePlan(plan, 'null_resource'));
    delete saved.formatVersion;
    writeFileSync(file, JSON.stringify(saved));
    expect(() => loadPlan(file)).toThrow(`${file}: has no plan formatVersion, so it was edited or cut short: make it again with \`hvkit plan --out ${file}\``);
  });

  it('refuse a schema violation with its JSON pointer, even with a recomputed checksum', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hvkit-plan-')), 'plan.json');
    const bad = { ...plan, steps: [{ ...plan.steps[0], kind: 'wipe' }] };
    writeFileSync(file, JSON.stringify({ kind: 'hvkit-plan', formatVersion: PLAN_FORMAT_VERSION, checksum: sha256(JSON.stringify(bad)), resourceType: 'null_resource', plan: bad }));
    expect(() => loadPlan(file)).toThrow(/plan\.json: at \/plan\/steps\/0\/kind: must be one of "add-host", .*; the plan was edited or cut short/);
  });

  it('take every reason code with its detail, as the schema describes them', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hvkit-plan-')), 'plan.json');
    const guest = plan.changes.find((c) => c.kind === 'guest')!;
    const host = plan.changes.find((c) => c.kind === 'host')!;
    const HOST_CODES = new Set<ReasonCode>(['new-host', 'host-retired', 'memory-upgrade', 'memory-downgrade', 'host-record-only']);
    const changes = Object.values(SAMPLE_REASONS).map((reason) => (HOST_CODES.has(reason.code) ? { ...host, reason } : { ...guest, reason })) as Change[];
    await savePlan(file, { ...plan, changes }, 'null_resource');
    expect(loadPlan(file).plan.changes).toEqual(changes);
  });

  it('refuse a change reason outside the closed set of codes, even with a recomputed checksum', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hvkit-plan-')), 'plan.json');
    const bad = { ...plan, changes: plan.changes.map((c) => (c.name === 'mc-01' ? { ...c, reason: { code: 'because', detail: {} } } : c)) };
    writeFileSync(file, JSON.stringify({ kind: 'hvkit-plan', formatVersion: PLAN_FORMAT_VERSION, checksum: sha256(JSON.stringify(bad)), resourceType: 'null_resource', plan: bad }));
    expect(() => loadPlan(file)).toThrow(/plan\.json: at \/plan\/changes\/\d+.*; the plan was edited or cut short/);
  });

  it('refuse a plan saved by an older hvkit (format 1, reasons as text) in one line that says to plan again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hvkit-plan-'));
    const file = join(dir, 'plan.json');
    cpSync(join(import.meta.dirname, '..', 'fixtures', 'plan-format-1', 'plan.json'), file);
    expect(() => loadPlan(file)).toThrow(new HvkitError(`${file}: was saved by an older hvkit (plan format 1; this one reads format 2): make it again with \`hvkit plan --out ${file}\``));
  });

  it('refuse a plan of an unknown format in one line', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hvkit-plan-')), 'plan.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(serializePlan(plan, 'null_resource')), formatVersion: 99 }));
    expect(() => loadPlan(file)).toThrow(`${file}: plan format 99 is not 2, the one this hvkit reads: make it again with \`hvkit plan --out ${file}\``);
  });

  it('compare by a canonical digest of what they do, and name the first step that differs', () => {
    const reordered = JSON.parse(JSON.stringify(plan, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v)));
    expect(planDigest(reordered)).toBe(planDigest(plan));
    expect(planMismatch(reordered, plan)).toBeUndefined();
    const s = plan.steps[0];
    expect(planMismatch({ ...plan, steps: [{ ...s, dependsOn: [s.id] }] }, plan)).toBe(`step 1 '${s.id}' (${s.description}) differs in 'dependsOn'`);
    expect(planMismatch({ ...plan, steps: [] }, plan)).toBe(`the code and state give a step 1 '${s.id}' (${s.description}) that the file does not have`);
  });
});

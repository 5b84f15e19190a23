import { describe, expect, it } from 'vitest';
import { hardBreaches, hostUsage } from '../../lib/capacity/admit';
import { applyEffect } from '../../lib/apply/effects';
import type { GuestProps } from '../../lib/manifest/props';
import type { Manifest, UnplacedGuestSpec } from '../../lib/manifest/types';
import { simulate, type HostView } from '../../lib/plan/order';
import { createPlan } from '../../lib/plan/planner';
import { placeUnplaced } from '../../lib/plan/placement';
import { parseMaxMoves, rebalancePlaced } from '../../lib/plan/rebalance';
import type { GuestChange, Plan } from '../../lib/plan/types';
import type { State } from '../../lib/state/types';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlan, savePlan } from '../../lib/plan/plan-file';
import { renderJson } from '../../lib/render/json';
import { renderMarkdown } from '../../lib/render/markdown';
import { style } from '../../lib/render/style';
import { renderText } from '../../lib/render/text';
import { manifestOf, stateOf, WEB_HOST_8G } from '../helpers/fleet';

/*
 * Hosts are WEB_HOST_8G: 7.5GiB for guests after the 512MiB reserve.
 * p* are pinned in code (inside a Host); u* were placed by hvkit (state records where).
 * a: p1 5GiB (2.5 free); b: u1 1GiB + u2 1.5GiB (5 free); c: u3 3GiB + p2 2GiB (2.5 free).
 * b runs only guests hvkit placed, so it can be emptied: u2 and u1 fit on a and c.
 * c cannot be emptied (p2 is pinned), nor a (p1).
 */
const app = (memory: string): GuestProps => ({ role: 'app', vcpus: 1, memory });
const FLEET = manifestOf({
  a: { props: WEB_HOST_8G, guests: { p1: app('5GiB') } },
  b: { props: WEB_HOST_8G, guests: { u1: app('1GiB'), u2: app('1.5GiB') } },
  c: { props: WEB_HOST_8G, guests: { u3: app('3GiB'), p2: app('2GiB') } },
});
const PLACED = new Set(['u1', 'u2', 'u3']);
const unplacedOf = (m: Manifest): UnplacedGuestSpec[] =>
  m.guests.filter((g) => PLACED.has(g.name)).map((g) => ({ ...g, host: '', placement: { provider: 'local', selector: {}, group: null } }));

function rebalancedPlan(maxMoves?: number): { plan: Plan; state: State } {
  const state = stateOf(FLEET);
  const r = rebalancePlaced(FLEET, unplacedOf(FLEET), { maxMoves });
  return { plan: createPlan({ manifest: r.manifest, state, rebalance: r, unplaced: unplacedOf(FLEET) }), state };
}

const migrations = (p: Plan) => p.changes.filter((c): c is GuestChange => c.kind === 'guest' && c.action === 'migrate');

/** The hard limits every host breaks after each step of the plan, run one at a time in plan order. */
function overCommitsAlongTheWay(plan: Plan, state: State): string[] {
  const now = structuredClone(state);
  const out: string[] = [];
  for (const step of plan.steps) {
    applyEffect(now, step);
    for (const h of Object.keys(now.hosts)) {
      const guests = Object.values(now.guests).map((g) => g.spec).filter((g) => g.host === h);
      const over = hardBreaches(hostUsage(now.hosts[h].spec, guests));
      if (over) out.push(`after ${step.id}: ${h} ${over.map((b) => b.mode).join(', ')}`);
    }
  }
  return out;
}

describe('plan --rebalance', () => {
  it('empties b by migrating the guests hvkit placed there, each migration saying what it gains', () => {
    const { plan } = rebalancedPlan();
    expect(plan.rebalance?.emptied).toEqual(['b']);
    const moved = migrations(plan);
    expect(moved.map((c) => c.name)).toEqual(expect.arrayContaining(['u1', 'u2']));
    for (const c of moved) {
      expect(c.reason.code).toBe('rebalance');
      expect(plan.rebalance!.moves).toContainEqual({ guest: c.name, from: c.before!.host, to: c.after!.host });
    }
    const u2 = moved.find((c) => c.name === 'u2')!;
    expect(u2.reason).toMatchObject({ code: 'rebalance', detail: { from: 'b', gain: { code: 'empties-host', detail: { host: 'b' } } } });
    // Three hosts in use before, two after.
    expect(plan.rebalance!.totals.hostsInUse).toEqual({ before: 3, after: 2 });
    expect(plan.applyable).toBe(true);
  });

  it("says each migration's place in the rebalancer's order, since its gain describes the fleet after the moves before it", () => {
    const { plan } = rebalancedPlan();
    const byMove = migrations(plan).map((c) => (c.reason.code === 'rebalance' ? c.reason.detail : undefined)!).sort((a, b) => a.move!.n - b.move!.n);
    expect(byMove.map((d) => d.move)).toEqual([{ n: 1, of: 2 }, { n: 2, of: 2 }]);
    // The move that empties b comes last: only then do the hosts in use drop.
    expect(byMove[1].gain.detail.hostsInUse).toEqual({ before: 3, after: 2 });
    expect(renderText(plan, style(false))).toContain(`rebalance, move 2 of 2: moves b → ${byMove[1].to} to empty b (hosts in use 3 → 2`);
  });

  it('moves no guest into memory a host reports not having while its DIMMs change', () => {
    expect(rebalancePlaced(FLEET, unplacedOf(FLEET)).data.moves).not.toEqual([]);
    // a and c report 6GiB of their coded 8GiB: 0.5GiB free each, so b's guests have nowhere to go (b may still take theirs).
    const r = rebalancePlaced(FLEET, unplacedOf(FLEET), { installed: { a: 6144, b: 8192, c: 6144 } });
    expect(r.data.moves.filter((m) => m.to !== 'b')).toEqual([]);
    expect(r.data.emptied).not.toContain('b');
  });

  it('keeps a disk code puts on sda on an sda, so the next plain plan does not move the guest back', () => {
    const nvme = { ...WEB_HOST_8G, disks: [{ name: 'nvme0', size: '500GiB', kind: 'ssd' as const }] };
    // a is full; b has room but only an nvme0 disk; c has room and an sda. u1 asks for its disk on sda.
    const m = manifestOf({
      a: { props: WEB_HOST_8G, guests: { big: app('7GiB') } },
      b: { props: nvme, guests: { p: app('1GiB') } },
      c: { props: WEB_HOST_8G, guests: { u1: { ...app('2GiB'), disks: [{ size: '20GiB', on: 'sda' }] } } },
    });
    const code = m.guests.filter((g) => g.name === 'u1').map((g): UnplacedGuestSpec => ({ ...g, host: '', placement: { provider: 'local', selector: {}, group: null } }));
    const r = rebalancePlaced(m, code);
    expect(r.manifest.guests.find((g) => g.name === 'u1')!.disks).toEqual([{ sizeMiB: 20480, on: 'sda' }]);
    const next = placeUnplaced({ ...r.manifest, guests: r.manifest.guests.filter((g) => g.name !== 'u1'), unplaced: code }, stateOf(r.manifest));
    expect(next.placements.map((d) => [d.code, d.host])).toEqual([['kept', r.manifest.guests.find((g) => g.name === 'u1')!.host]]);
  });

  it('never moves a guest code pins in a Host', () => {
    const { plan } = rebalancedPlan();
    expect(migrations(plan).map((c) => c.name).filter((n) => !PLACED.has(n))).toEqual([]);
  });

  it('orders the migrations so no host is over-committed at any step (the step simulation and a state replay agree)', () => {
    const { plan, state } = rebalancedPlan();
    const views = new Map<string, HostView>(FLEET.hosts.map((h) => [h.name, { name: h.name, path: h.path, spec: h, memoryBefore: h.memory.totalMiB, guests: FLEET.guests.filter((g) => g.host === h.name) }]));
    expect(simulate(plan.steps, views)).toBeUndefined();
    expect(overCommitsAlongTheWay(plan, state)).toEqual([]);
  });

  it('plans nothing more once applied: the guests stay where the rebalance put them', () => {
    const { plan, state } = rebalancedPlan();
    const after = structuredClone(state);
    for (const s of plan.steps) applyEffect(after, s);
    after.serial++;
    // The next plan's manifest places u* where state now records them (placement is sticky).
    const code: Manifest = { ...FLEET, guests: FLEET.guests.map((g) => after.guests[g.name].spec) };
    expect(createPlan({ manifest: code, state: after }).steps).toEqual([]);
  });

  it('honours --max-moves: one migration cannot empty b, so none is made for it', () => {
    const { plan } = rebalancedPlan(1);
    expect(plan.rebalance?.maxMoves).toBe(1);
    expect(migrations(plan).length).toBeLessThanOrEqual(1);
    expect(plan.rebalance?.emptied).toEqual([]);
  });

  it('--max-moves takes a whole number of at least 1, or says so in one line', () => {
    expect(parseMaxMoves('3')).toBe(3);
    for (const bad of ['0', '-1', '2.5', 'three', '']) {
      expect(() => parseMaxMoves(bad)).toThrow(`--max-moves '${bad}' must be a whole number of at least 1 (the most migrations --rebalance may plan)`);
    }
  });

  it('is shown in text, markdown and JSON, with the hosts it empties as free to retire or power off', () => {
    const { plan } = rebalancedPlan();
    const text = renderText(plan, style(false));
    expect(text).toMatch(/Rebalance \(--rebalance\): 2 migrations: hosts in use 3 → 2, stranded capacity [\d.]+ → [\d.]+ \(host-fractions\)\n  ○ b is emptied: free to retire or power off once the plan is applied\n/);
    expect(text).toMatch(/migrate u\d b → [ac] {2}\(tokyo\/b\/u\d\)\n {6}rebalance, move [12] of 2: moves b → [ac] to empty b/);
    expect(renderMarkdown(plan)).toContain('#### Rebalance');
    expect(renderMarkdown(plan)).toContain('- b is emptied: free to retire or power off once the plan is applied');
    const json = JSON.parse(renderJson(plan, 'null_resource', { timestamp: new Date(0) }));
    expect(json.hvkit.rebalance).toEqual(plan.rebalance);
  });

  it('saves and loads as a plan file (its schema knows the reason and the rebalance data)', async () => {
    const { plan } = rebalancedPlan();
    const dir = mkdtempSync(join(tmpdir(), 'hvkit-rebalance-'));
    try {
      await savePlan(join(dir, 'plan.bin'), plan, 'null_resource', { kind: 'plan', rebalance: { maxMoves: 5 } });
      const saved = loadPlan(join(dir, 'plan.bin'));
      expect(saved.plan.rebalance).toEqual(plan.rebalance);
      expect(saved.derivation).toEqual({ kind: 'plan', rebalance: { maxMoves: 5 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says so when there is nothing to gain', () => {
    const m = manifestOf({ a: { props: WEB_HOST_8G, guests: { u1: app('1GiB') } } });
    const un = m.guests.map((g) => ({ ...g, host: '', placement: { provider: 'local' as const, selector: {}, group: null } }));
    const r = rebalancePlaced(m, un, {});
    const plan = createPlan({ manifest: r.manifest, state: stateOf(m), rebalance: r });
    expect(plan.steps).toEqual([]);
    expect(renderText(plan, style(false))).toContain('Rebalance (--rebalance): nothing to gain: no guest hvkit placed can move to empty a host or to use capacity left stranded');
  });
});

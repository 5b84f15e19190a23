import type { Diagnostic } from '../diagnostics';
import { hardBreaches, usageOfSums } from '../capacity/admit';
import { breachSummary } from '../capacity/breach-text';
import { addGuest, addSums, capacitiesOf, cloneSums, emptySums, memoryInForce, memoryUsed, takesMore, type Capacities, type Sums } from '../capacity/usage';
import { formatSize } from '../manifest/size';
import type { GuestSpec, HostSpec } from '../manifest/types';
import { hostsOf, type Step } from './types';

/** What ordering needs to know about each host. */
export interface HostView {
  name: string;
  path: string;
  /** The host as it will be (code), or as recorded when it is retired. */
  spec: HostSpec;
  /** Memory installed before the plan runs. */
  memoryBefore: number;
  /** Guests on the host before the plan. */
  guests: GuestSpec[];
}

type Delta = Sums;

function deltaOn(step: Step, host: string, cfg: HostSpec['capacity']): Delta | undefined {
  const d = emptySums();
  let touched = false;
  if (step.before && (step.host === host) && step.kind !== 'create') {
    addGuest(d, step.before, cfg, -1);
    touched = true;
  }
  const lands = step.kind === 'migrate' || step.kind === 'recreate' ? step.target === host : step.host === host;
  if (step.after && lands && step.kind !== 'destroy') {
    addGuest(d, step.after, cfg, 1);
    touched = true;
  }
  return touched ? d : undefined;
}

/** The first hard limit `s` breaks on the host with `memoryCap` MiB in force, in words; undefined when it fits. */
function overBy(spec: HostSpec, caps: Capacities, s: Sums, memoryCap: number): string | undefined {
  const breaches = hardBreaches(usageOfSums(spec, s, caps.memory === memoryCap ? caps : { ...caps, memory: memoryCap }));
  return breaches && breachSummary(breaches[0]);
}

/**
 * Adds dependencies so that, on every host and under any interleaving apply
 * may choose, committed resources fit: growth waits for a memory upgrade, and
 * for the host's frees unless it fits without them. Returns diagnostics for
 * what cannot be ordered.
 */
export function orderSteps(steps: Step[], hosts: Map<string, HostView>): { steps: Step[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const byHost = new Map<string, Step[]>();
  const dep = (s: Step, on: Step) => {
    if (s.id !== on.id && !s.dependsOn.includes(on.id)) s.dependsOn.push(on.id);
  };
  for (const s of steps) {
    for (const h of hostsOf(s)) {
      const list = byHost.get(h);
      if (list) list.push(s);
      else byHost.set(h, [s]);
    }
  }
  for (const [name, hs] of [...byHost].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const view = hosts.get(name);
    if (!view) continue;
    const cfg = view.spec.capacity;
    const add = hs.find((s) => s.kind === 'add-host' && s.host === name);
    const upgrade = hs.find((s) => s.kind === 'upgrade-memory' && s.host === name);
    const retire = hs.find((s) => s.kind === 'retire-host' && s.host === name);
    const u0 = emptySums();
    for (const g of view.guests) addGuest(u0, g, cfg);
    const frees: { s: Step; d: Delta }[] = [];
    const growth: { s: Step; d: Delta }[] = [];
    for (const s of hs) {
      if (s === add || s === upgrade || s === retire || s.kind === 'update-host') continue;
      if (add) dep(s, add);
      const d = deltaOn(s, name, cfg);
      if (!d) continue;
      (takesMore(d) ? growth : frees).push({ s, d });
    }
    if (retire) for (const s of hs) if (s !== retire) dep(retire, s);
    const memAfter = view.spec.memory.totalMiB;
    if (upgrade) {
      for (const g of growth) dep(g.s, upgrade);
      // A downgrade must wait until enough has left the host.
      if (memAfter < view.memoryBefore) for (const f of frees) dep(upgrade, f.s);
    }
    const memCap = upgrade ? memAfter : memoryInForce(memAfter, view.memoryBefore);
    if (growth.length === 0) continue;
    const caps = capacitiesOf(view.spec);
    const eager = cloneSums(u0);
    for (const g of growth) addSums(eager, g.d, true);
    if (!overBy(view.spec, caps, eager, memCap)) continue;
    // Ordering can only help when the host fits once every step has run. When it does
    // not, the fit check says why; an ordering error would add an untrue second reason.
    const end = cloneSums(u0);
    for (const x of [...frees, ...growth]) addSums(end, x.d);
    if (overBy(view.spec, caps, end, memAfter)) continue;
    if (overBy(view.spec, caps, end, memCap)) {
      diagnostics.push({
        severity: 'error', code: 'memory-short', path: view.path,
        message: `${name} reports ${formatSize(view.memoryBefore)} installed, but code says ${formatSize(memAfter)} (a DIMM failed or was removed): its guests would need ${formatSize(memoryUsed(view.spec, end))}; fit the missing memory and run \`hvkit refresh\`, or change the host's dimms in code to what is installed`,
      });
      continue;
    }
    for (const g of growth) for (const f of frees) dep(g.s, f.s);
    const late = cloneSums(u0);
    for (const f of frees) addSums(late, f.d);
    for (const g of growth) addSums(late, g.d, true);
    const over = overBy(view.spec, caps, late, memCap);
    if (over) {
      diagnostics.push({
        severity: 'error', code: 'unorderable', path: view.path,
        message: `the changes on ${name} cannot be ordered to fit at every point (${over} while ${growth.map((g) => g.s.id).join(', ')} run after every step that frees the host): split the change into two plans`,
      });
    }
  }
  return topoSort(steps, diagnostics);
}

const RANK: Record<Step['kind'], number> = {
  'add-host': 0, 'update-host': 1, 'upgrade-memory': 2, destroy: 3, 'update-record': 4, rename: 4, 'update-live': 5,
  'update-restart': 6, replace: 7, migrate: 8, recreate: 8, create: 9, 'destroy-copy': 9, 'retire-host': 10,
  // A stop frees nothing in hvkit's model (a stopped guest keeps its reservation), so power steps need no place among the frees.
  stop: 5, start: 5,
};

/** Kahn's algorithm with a stable tie-break; steps caught in a cycle become one plan error. */
function topoSort(steps: Step[], diagnostics: Diagnostic[]): { steps: Step[]; diagnostics: Diagnostic[] } {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const indeg = new Map(steps.map((s) => [s.id, 0]));
  const users = new Map<string, string[]>();
  for (const s of steps) {
    s.dependsOn.sort();
    for (const d of s.dependsOn) {
      indeg.set(s.id, indeg.get(s.id)! + 1);
      const list = users.get(d);
      if (list) list.push(s.id);
      else users.set(d, [s.id]);
    }
  }
  const cmp = (a: Step, b: Step) => RANK[a.kind] - RANK[b.kind] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  let ready = steps.filter((s) => indeg.get(s.id) === 0).sort(cmp);
  const out: Step[] = [];
  while (ready.length) {
    const next: Step[] = [];
    for (const s of ready) {
      out.push(s);
      for (const u of users.get(s.id) ?? []) {
        const n = indeg.get(u)! - 1;
        indeg.set(u, n);
        if (n === 0) next.push(byId.get(u)!);
      }
    }
    ready = next.sort(cmp);
  }
  if (out.length < steps.length) {
    const placed = new Set(out);
    const stuck = steps.filter((s) => !placed.has(s)).sort(cmp);
    const moves = stuck.map((s) => (s.kind === 'migrate' ? `${s.guest} (${s.host} → ${s.target})` : s.id)).join(', ');
    diagnostics.push({
      severity: 'error', code: 'unorderable', path: stuck[0].host,
      message: `these changes wait on each other and cannot be ordered without over-committing a host: ${moves}; each host is too full to take the other's guest first: move one guest to a third host (or free memory) in a separate plan`,
    });
    out.push(...stuck);
  }
  return { steps: out, diagnostics };
}

/**
 * The proof: runs the steps one at a time in plan order and checks every host
 * after every step. Returns the first violation, if any.
 */
export function simulate(steps: Step[], hosts: Map<string, HostView>): string | undefined {
  const sums = new Map<string, Sums>();
  const memCap = new Map<string, number>();
  const caps = new Map<string, Capacities>();
  for (const [name, v] of hosts) {
    const s = emptySums();
    for (const g of v.guests) addGuest(s, g, v.spec.capacity);
    sums.set(name, s);
    memCap.set(name, memoryInForce(v.spec.memory.totalMiB, v.memoryBefore));
    caps.set(name, capacitiesOf(v.spec));
  }
  for (const step of steps) {
    if (step.kind === 'upgrade-memory' && step.hostSpec) memCap.set(step.host, step.hostSpec.memory.totalMiB);
    for (const h of hostsOf(step)) {
      const v = hosts.get(h);
      if (!v) continue;
      const d = deltaOn(step, h, v.spec.capacity);
      if (!d) continue;
      const s = sums.get(h)!;
      addSums(s, d);
      const over = overBy(v.spec, caps.get(h)!, s, memCap.get(h)!);
      if (over && takesMore(d)) return `after ${step.id}, ${h}: ${over}`;
    }
  }
  return undefined;
}

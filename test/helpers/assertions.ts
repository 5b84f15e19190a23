import { join } from 'node:path';
import { distance } from 'fastest-levenshtein';
import { loadManifest } from '../../lib/manifest/load';
import type { Manifest } from '../../lib/manifest/types';
import type { Plan } from '../../lib/plan/types';
import { findMatching, Match, matches, show } from './match';

export { Match };

type Rec = Record<string, unknown>;

/** Up to three names nearest to `name` (edit distance), for "not found" messages. */
function nearestNames(name: string, names: string[]): string {
  const near = [...new Set(names)].sort((a, b) => distance(name, a) - distance(name, b) || (a < b ? -1 : 1)).slice(0, 3);
  return near.length ? `nearest: ${near.join(', ')}` : 'there are none';
}

/** The one record named `name`, or a failure naming the nearest names. */
function named<T extends Rec>(what: string, records: T[], name: string, nameOf: (r: T) => string): T[] {
  const found = records.filter((r) => nameOf(r) === name);
  if (found.length === 0) throw new Error(`expected ${what} '${name}', but there is none (${nearestNames(name, records.map(nameOf))})`);
  return found;
}

/**
 * Assertions on a plan, after aws-cdk's `Template`: say what must be in it,
 * not how to dig it out. Failures name what was found instead.
 *
 * @example PlanAssert.fromPlan(plan).hasChange('web-01', { action: 'migrate', after: Match.objectLike({ host: 'db-host-01' }) })
 */
export class PlanAssert {
  private constructor(
    /** Changes as the plan has them (`kind`, `name`, `action`, `before`, `after`, …); from `plan --json` also `tfAddress`, `actions`, `actionReason`. */
    readonly changes: Rec[],
    readonly steps: Rec[],
    readonly diagnostics: Rec[],
  ) {}

  static fromPlan(plan: Plan): PlanAssert {
    return new PlanAssert(plan.changes as unknown as Rec[], plan.steps as unknown as Rec[], plan.diagnostics as unknown as Rec[]);
  }

  /** A saved plan file (`hvkit plan --out`) or the output of `hvkit plan --json` (Terraform's shape, hvkit's data under `hvkit`). */
  static fromJson(text: string): PlanAssert {
    let doc: Rec;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new Error(`expected a plan as JSON, but it does not parse (${(e as Error).message}): ${show(text)}`);
    }
    if (doc.kind === 'hvkit-plan') return PlanAssert.fromPlan(doc.plan as Plan);
    if (Array.isArray(doc.resource_changes) && doc.hvkit) {
      const hv = doc.hvkit as { steps: Rec[]; diagnostics: Rec[] };
      const changes = (doc.resource_changes as Rec[]).map((c) => {
        const h = c.hvkit as Rec;
        const change = c.change as Rec;
        const [kind, ...rest] = String(c.name).split('_');
        return { kind, name: rest.join('_'), address: h.construct_path, action: h.action, reason: h.reason, ...('restart' in h ? { restart: h.restart } : {}), before: change.before, after: change.after, tfAddress: c.address, actions: change.actions, actionReason: c.action_reason };
      });
      return new PlanAssert(changes, hv.steps, hv.diagnostics);
    }
    throw new Error(`expected a saved plan or \`plan --json\` output, got an object with keys ${show(Object.keys(doc))}`);
  }

  /** The change to guest or host `name` matches `props` (object-like); `kind: 'guest' | 'host'` tells a guest from a host of the same name. */
  hasChange(name: string, props: Rec): Rec {
    const candidates = named('a change for', this.changes, name, (c) => String(c.name));
    return findMatching(`the change for '${name}'`, candidates, props, (c) => `${c.kind} ${c.name} (${c.action})`);
  }

  /** No change (not even a noop) names `name`. */
  hasNoChange(name: string): void {
    const found = this.changes.filter((c) => c.name === name);
    if (found.length) throw new Error(`expected no change for '${name}', found ${found.map((c) => `${c.kind} ${c.action}`).join(', ')}`);
  }

  /** Exactly `n` changes have `action`. */
  changeCount(action: string, n: number): void {
    const got = this.changes.filter((c) => c.action === action);
    if (got.length !== n) {
      const byAction = Object.entries(this.changes.reduce<Record<string, string[]>>((acc, c) => ((acc[String(c.action)] ??= []).push(String(c.name)), acc), {}));
      throw new Error(`expected ${n} change(s) with action '${action}', found ${got.length}; the plan has ${byAction.map(([a, ns]) => `${a}: ${ns.join(', ')}`).join('; ') || 'no changes'}`);
    }
  }

  /** Some step matches `props` (object-like), e.g. `{ id: 'migrate:web-01', dependsOn: ['upgrade-memory:h'] }`. */
  hasStep(props: Rec): Rec {
    return findMatching('a step', this.steps, props, (s) => String(s.id));
  }

  /** The steps, in order, match `patterns` one to one (each object-like). */
  hasSteps(patterns: Rec[]): void {
    const ok = this.steps.length === patterns.length && patterns.every((p, i) => Object.keys(p).every((k) => matches(this.steps[i][k], p[k])));
    if (!ok) {
      const keys = [...new Set(patterns.flatMap((p) => Object.keys(p)))];
      const got = this.steps.map((s) => show(Object.fromEntries(keys.map((k) => [k, s[k]]))));
      throw new Error(`expected the steps ${show(patterns)}, got ${this.steps.length}:\n  ${got.join('\n  ') || '(no steps)'}`);
    }
  }

  /** Some diagnostic matches `props` (object-like), e.g. `{ code: 'memory-over', path: 'tokyo/web-host-01' }`. */
  hasDiagnostic(props: Rec): Rec {
    return findMatching('a diagnostic', this.diagnostics, props, (d) => `${d.severity} ${d.code} at ${d.path}`);
  }

  /** No diagnostic of `severity` (any, when not given). */
  hasNoDiagnostics(severity?: string): void {
    const found = this.diagnostics.filter((d) => severity === undefined || d.severity === severity);
    if (found.length) throw new Error(`expected no ${severity ?? ''} diagnostics, found:\n  ${found.map((d) => `${d.severity} ${d.code} at ${d.path}: ${d.message}`).join('\n  ')}`);
  }
}

/**
 * Assertions on a synthesized manifest, after aws-cdk's `Template`.
 *
 * @example ManifestAssert.fromSynth(p.dir).hasGuest('web-01', { memoryMiB: 5632 })
 */
export class ManifestAssert {
  private constructor(readonly manifest: Manifest) {}

  static fromManifest(m: Manifest): ManifestAssert {
    return new ManifestAssert(m);
  }

  /** The manifest `hvkit synth` wrote in a project, loaded and schema-checked as the planner loads it. */
  static fromSynth(projectDir: string, fleet = 'tokyo'): ManifestAssert {
    return new ManifestAssert(loadManifest(join(projectDir, 'cdktf.out', 'stacks', fleet, 'hvkit.manifest.json')));
  }

  /** Guest `name` exists and matches `props` (object-like). */
  hasGuest(name: string, props: Rec = {}): Rec {
    const [g] = named('a guest', this.manifest.guests as unknown as Rec[], name, (x) => String(x.name));
    return findMatching(`guest '${name}'`, [g], props, () => name);
  }

  /** Host `name` exists and matches `props` (object-like). */
  hasHost(name: string, props: Rec = {}): Rec {
    const [h] = named('a host', this.manifest.hosts as unknown as Rec[], name, (x) => String(x.name));
    return findMatching(`host '${name}'`, [h], props, () => name);
  }

  /** The host guest `name` is placed on (the construct tree's parent). */
  hostOf(guest: string): string {
    return String(this.hasGuest(guest).host);
  }

  /** The guests, as `name@host`, sorted. */
  placements(): string[] {
    return this.manifest.guests.map((g) => `${g.name}@${g.host}`).sort();
  }

  /** Exactly `n` guests. */
  guestCount(n: number): void {
    if (this.manifest.guests.length !== n) throw new Error(`expected ${n} guests, found ${this.manifest.guests.length}: ${this.placements().join(', ') || 'none'}`);
  }
}

import { fitHost, type HostFit } from '../capacity/fit';
import { measuredFindings, weighed, weighedLoads } from '../capacity/measured';
import type { LoadSummary } from '../load/summary';
import { sortDiagnostics, type Diagnostic } from '../diagnostics';
import { HvkitError } from '../errors';
import { renderConfig } from '../hypervisor/render';
import { manifestDigest } from '../manifest/canonical';
import { formatSize } from '../manifest/size';
import type { GuestSpec, HostSpec, Manifest } from '../manifest/types';
import { own, type GuestRecord, type State } from '../state/types';
import { diffGuest, diffHost, fieldChanges, isMemoryDowngrade, RECORD_ONLY } from './diff';
import { markDataLoss } from './data-loss';
import { withRecordedIdentities } from './identities';
import { configMatchesCode, preventDestroyDiagnostics, withIgnoredChanges } from './lifecycle';
import { nPlusOneFindings } from './n-plus-one';
import { orderSteps, simulate, type HostView } from './order';
import type { Rebalanced } from './rebalance';
import { withPowerChange, withPowerStep } from './power';
import { findRenames, renameChange, renamedSpec, renameStep, type Capabilities } from './renames';
import { bare, memoryHeadline, reasonText, type GuestReason } from './reason';
import { PLAN_FORMAT_VERSION, type Change, type ConfigDiff, type DriftItem, type GuestChange, type HostChange, type Plan, type Recovered, type Step } from './types';

export interface PlanInput {
  manifest: Manifest;
  /** Recorded state, already reconciled with in-flight steps; undefined before the first apply. */
  state?: State;
  recovered?: Recovered[];
  drift?: DriftItem[];
  /** Extra diagnostics from the caller (drift, unreachable hosts). */
  diagnostics?: Diagnostic[];
  /**
   * Guests to recreate from code although nothing changed (`hvkit rebuild`).
   * With `to`, the manifest already places them on that host and they are
   * created there without touching their own (down) host.
   */
  rebuild?: {
    guests: string[];
    host: string;
    to?: string;
    /**
     * With `to`: the guests still running on `host` that are recreated anyway
     * (`--force-while-up`); their copies are destroyed once the new ones run.
     * @default none
     */
    forced?: string[];
  };
  /**
   * Guests a `--target`ed plan leaves as state records them (the manifest
   * carries their recorded spec, lib/plan/targets.ts): a config that would
   * render differently now (a targeted host's change) does not restart them.
   * @default none
   */
  keep?: readonly string[];
  /** Guests to destroy and create again although code did not change them (`--replace`). @default none */
  replace?: readonly string[];
  /**
   * The code as written, when `manifest` is the world a scope leaves (a
   * destroy plans towards a manifest without the guests it destroys): its
   * `lifecycle.preventDestroy` protects a guest it still has, applied or not.
   * @default manifest
   */
  code?: Manifest;
  /**
   * The digest the plan is bound to, when the caller binds it to other code
   * than `manifest` (prepare: the code as written, guests unplaced); saves
   * hashing a manifest twice.
   * @default manifestDigest(manifest)
   */
  manifestDigest?: string;
  /**
   * Orders the steps; tests pass a faulty one to prove the step-by-step
   * simulation still refuses an order that over-commits a host.
   * @default orderSteps
   */
  order?: typeof orderSteps;
  /** What the providers can do (lib/ops/prepare.ts reads their scripts). @default every provider can rename */
  capabilities?: Capabilities;
  /**
   * `plan --rebalance`: the guests the rebalancer moved (already on their new
   * hosts in `manifest`): their migrations carry the gain as their reason,
   * and the plan its `rebalance` data. @default no rebalancing
   */
  rebalance?: Pick<Rebalanced, 'moved' | 'data'>;
  /**
   * The guests hvkit placed, as code wrote them: N+1 recreates them only on
   * hosts their placement selects. @default none
   */
  unplaced?: Manifest['unplaced'];
  /**
   * Measured load over the kept window (lib/ops/prepare.ts reads the fleet's
   * samples): shown beside declared load, warned about, and weighed by N+1.
   * @default none: declared load only
   */
  load?: LoadSummary;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Compares code with state and decides what to do, in what order: pure, no
 * processes, no rendering for people. The same inputs give the same plan.
 */
export function createPlan(input: PlanInput): Plan {
  // Renamed guests (`movedFrom`) are compared with their record under the new name.
  const renames = findRenames(input.manifest, input.state, input.capabilities, new Set(input.keep ?? []));
  const { state } = renames;
  if (state && state.fleet !== input.manifest.fleet) {
    throw new HvkitError(`state belongs to fleet '${state.fleet}', the code to '${input.manifest.fleet}': pass the right --state or --fleet`);
  }
  // Deployed guests keep the UUIDs and MACs state records; the plan stays bound to the code's manifest.
  const kept = withIgnoredChanges(withRecordedIdentities(input.manifest, state), state);
  const manifest = kept.manifest;
  const hostsAfter = new Map(manifest.hosts.map((h) => [h.name, h]));
  const stateHosts = new Map(Object.entries(state?.hosts ?? {}).map(([n, r]) => [n, r.spec]));
  const stateGuests = Object.values(state?.guests ?? {}).map((r) => r.spec).sort(byName);
  const changes: Change[] = [];
  const steps: Step[] = [];
  const configs: ConfigDiff[] = [];
  const rebuild = new Set(input.rebuild?.guests ?? []);
  const keep = new Set(input.keep ?? []);
  const replace = new Set(input.replace ?? []);
  /** Guests moved outside hvkit, by the host stored state still records them on. */
  const movedFrom = new Map((input.drift ?? []).filter((d) => d.kind === 'guest-moved' && d.guest).map((d) => [d.guest!, d.host]));

  const hostNames = [...new Set([...hostsAfter.keys(), ...stateHosts.keys()])].sort();
  for (const name of hostNames) {
    const a = hostsAfter.get(name);
    const b = stateHosts.get(name);
    const change: HostChange = !b
      ? { kind: 'host', name, address: a!.path, action: 'add', before: null, after: a!, reason: bare('new-host'), fields: [] }
      : !a
        ? { kind: 'host', name, address: b.path, action: 'retire', before: b, after: null, reason: bare('host-retired'), fields: [] }
        : diffHost(b, a);
    changes.push(change);
    const hostStep = hostStepOf(change);
    if (hostStep) steps.push(hostStep);
  }

  const guestsAfter = new Map(manifest.guests.map((g) => [g.name, g]));
  const guestNames = [...new Set([...guestsAfter.keys(), ...Object.keys(state?.guests ?? {})])].sort();
  for (const name of guestNames) {
    const a = guestsAfter.get(name);
    const rec = own(state?.guests, name);
    const rename = renames.from.has(name) ? renameStep(rec!.spec, renamedSpec(rec!.spec, a!), hostsAfter.get(rec!.spec.host) ?? stateHosts.get(rec!.spec.host)!) : undefined;
    const b = rename?.after ?? rec?.spec;
    const host = a ? hostsAfter.get(a.host)! : undefined;
    const rendered = a && host ? renderConfig(host, a) : undefined;
    let change: GuestChange;
    if (!b) change = { kind: 'guest', name, address: a!.path, action: 'create', before: null, after: a!, reason: bare('new-guest'), restart: false, recordOnly: false, fields: [] };
    else if (!a) change = { kind: 'guest', name, address: b.path, action: 'delete', before: b, after: null, reason: bare('removed-from-code'), restart: false, recordOnly: false, fields: [] };
    else {
      const recordedConfig = rename?.config!.text ?? rec!.config;
      const configChanged = recordedConfig !== rendered!.text && !configMatchesCode(kept, host!, name, recordedConfig);
      // A rename's step moves the images to the paths of the new name on the host it runs on: compare from there.
      const recordedHost = rename ? rename.hostSpec : stateHosts.get(b.host);
      const hosts = recordedHost && !keep.has(name) ? { before: { ...recordedHost, provider: rec!.provider }, after: host! } : undefined;
      change = diffGuest(b, a, !keep.has(name) && (configChanged || rec!.provider !== host!.provider), hosts);
      if (rebuild.has(name)) change = rebuildChange(change, rec!.config, rendered!.text, input.rebuild!);
      else if (replace.has(name) && change.action !== 'migrate') change = { ...change, action: 'replace', restart: true, recordOnly: false, reason: bare('replace-requested') };
      else if (change.action === 'migrate' && rebalanced(input.rebalance, name, b.host, a.host)) change = { ...change, reason: rebalanced(input.rebalance, name, b.host, a.host)! };
      else if (movedFrom.has(name)) {
        const from = movedFrom.get(name)!;
        const oldHost = hostsAfter.get(from) ?? stateHosts.get(from);
        if (oldHost && onlyTheMove(change, rec!, oldHost, from, host!, rendered!.text)) change = recordMove(change, from);
      }
    }
    // A guest a targeted plan keeps as recorded keeps its power state too: no power change, no power call after a step.
    if (!keep.has(name)) change = withPowerChange(change, rec);
    changes.push(rename ? renameChange(change, rec!.spec, rename.provider) : change);
    if (rename) steps.push(rename);
    if (change.action === 'noop' && !rename) continue;
    configs.push({ guest: name, before: rec?.config ?? null, after: rendered?.text ?? null });
    if (change.action !== 'noop') {
      const step = guestStep(change, hostsAfter, stateHosts, rendered, rename);
      if (step.kind === 'recreate' && change.reason.code === 'cannot-migrate') steps.push(destroyBeforeRecreate(step, change.before!));
      steps.push(keep.has(name) ? step : withPowerStep(change, step, rec));
    }
  }

  const fit = fitAll(manifest, state, stateHosts, stateGuests);
  const views = new Map<string, HostView>();
  const stateByHost = groupByHost(stateGuests);
  for (const name of hostNames) {
    const spec = hostsAfter.get(name) ?? stateHosts.get(name)!;
    views.set(name, {
      name, path: spec.path, spec,
      memoryBefore: own(state?.hosts, name)?.installedMiB ?? stateHosts.get(name)?.memory.totalMiB ?? 0,
      guests: stateByHost.get(name) ?? [],
    });
  }
  const ordered = (input.order ?? orderSteps)(steps, views);
  const diagnostics: Diagnostic[] = [...fit.flatMap((f) => f.diagnostics), ...ordered.diagnostics, ...renames.diagnostics, ...(input.diagnostics ?? [])];
  const fitErrors = diagnostics.some((d) => d.severity === 'error');
  if (!fitErrors) {
    const violation = simulate(ordered.steps, views);
    if (violation) diagnostics.push({ severity: 'error', code: 'unorderable', path: manifest.path, message: `step order over-commits a host: ${violation}` });
  }
  // N+1 weighs guests by what they are measured to use, where they were.
  const loads = weighedLoads(input.load);
  const weighedManifest = input.load ? { ...manifest, guests: manifest.guests.map((g) => weighed(g, loads)) } : manifest;
  diagnostics.push(...nPlusOneFindings(weighedManifest, { nPlusOne: (input.code ?? input.manifest).nPlusOne, unplaced: input.unplaced ?? (input.code ?? input.manifest).unplaced }));
  const measured = measuredFindings(manifest.hosts, manifest.guests, input.load);
  if (measured) diagnostics.push(...measured.diagnostics);
  for (const f of fit) if (f.stranded) diagnostics.push({ severity: 'note', code: 'stranded', path: f.path, message: f.stranded.message });
  for (const c of changes) {
    if (c.kind !== 'host' || (c.reason.code !== 'memory-upgrade' && c.reason.code !== 'memory-downgrade')) continue;
    const then = c.reason.code === 'memory-downgrade'
      ? 'guests shrink or leave first; the downgrade step then stops until the host reports exactly the new memory (take the DIMMs out then, or before apply)'
      : 'fit the DIMMs before apply; the upgrade step stops if the host does not report the new memory';
    diagnostics.push({ severity: 'note', code: 'memory-upgrade', path: c.address, message: `${memoryHeadline(c.reason)}: ${then}` });
  }
  for (const c of changes) {
    if (c.kind !== 'host' || c.action !== 'retire') continue;
    const leaving = new Set(ordered.steps.filter((s) => s.host === c.name && (s.kind === 'destroy' || s.kind === 'migrate')).map((s) => s.guest));
    const staying = (state?.observed?.hosts[c.name]?.domains ?? []).filter((d) => !leaving.has(d.name)).map((d) => d.name);
    if (staying.length) {
      diagnostics.push({ severity: 'error', code: 'retire-not-empty', path: c.address, message: `${c.name} cannot be retired: it still runs ${staying.join(', ')}; move or destroy them first (or import them into code)` });
    }
  }
  for (const r of input.recovered ?? []) diagnostics.push({ severity: 'note', code: 'recovered', path: r.step, message: r.message });
  const marked = markDataLoss(changes);
  diagnostics.push(...kept.diagnostics, ...preventDestroyDiagnostics(marked, input.code ?? input.manifest));
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    fleet: manifest.fleet,
    stateLineage: state?.lineage ?? null,
    stateSerial: state?.serial ?? 0,
    manifestDigest: input.manifestDigest ?? manifestDigest(input.manifest),
    changes: marked,
    steps: ordered.steps,
    fit,
    diagnostics: sortDiagnostics(diagnostics),
    configs,
    recovered: input.recovered ?? [],
    drift: input.drift ?? [],
    applyable: !diagnostics.some((d) => d.severity === 'error'),
    ...(input.rebalance ? { rebalance: input.rebalance.data } : {}),
    ...(measured ? { measured: measured.measured } : {}),
  };
}

/** The `rebalance` reason of a guest's migration from `from` to `to`, when the rebalancer made that move. */
function rebalanced(r: PlanInput['rebalance'], name: string, from: string, to: string): GuestReason | undefined {
  const m = r?.moved.get(name);
  return m && m.from === from && m.to === to ? { code: 'rebalance', detail: { from, to, gain: m.gain, move: m.move } } : undefined;
}

/** The change of a rebuilt guest, saying whether its config is byte-identical to the one last applied. */
function rebuildChange(change: GuestChange, applied: string, rendered: string, rebuild: NonNullable<PlanInput['rebuild']>): GuestChange {
  const config = applied === rendered ? 'same' : 'changed';
  const { host, to } = rebuild;
  const reason: GuestReason = to && rebuild.forced?.includes(change.name)
    ? { code: 'rebuild-forced', detail: { host, to, config } }
    : { code: 'rebuild-requested', detail: { host, ...(to ? { to } : {}), config } };
  return { ...change, action: 'replace', restart: true, recordOnly: false, reason };
}

/**
 * Whether a guest moved by hand differs from code only by the move: the same
 * hypervisor-facing spec, and a rendered config that differs only because it
 * now names another host (and construct path). A config that differs for any
 * other reason (renderer changed, provider changed) is planned as usual.
 */
function onlyTheMove(change: GuestChange, rec: GuestRecord, oldHost: HostSpec, from: string, host: HostSpec, rendered: string): boolean {
  if (change.action === 'noop') return true;
  if (change.action !== 'update' || rec.provider !== host.provider || !change.fields.every((f) => RECORD_ONLY.has(f.field))) return false;
  return rec.config === rendered || rec.config === renderConfig(oldHost, { ...change.before!, host: from }).text;
}

/**
 * A guest moved by hand to the host code places it on needs nothing on the
 * hypervisor, but stored state still names the old host: without recording
 * the move, the next plan (once apply clears the refresh) would migrate it
 * from a host it is not on. Restarting it only to rewrite the host's name in
 * its config would undo nothing the person did and cost an outage.
 */
function recordMove(change: GuestChange, from: string): GuestChange {
  const there = change.after!.host;
  return {
    ...change, action: 'update', restart: false, recordOnly: true,
    reason: { code: 'moved-outside-hvkit', detail: { guest: change.name, from, to: there } },
    fields: [{ field: 'host', before: from, after: there }, ...change.fields],
  };
}

function hostStepOf(c: HostChange): Step | undefined {
  const spec = (c.after ?? c.before)!;
  const base = { provider: spec.provider, host: c.name, dependsOn: [], hostSpec: spec };
  switch (c.action) {
    case 'noop': return undefined;
    case 'add': return { ...base, id: `add-host:${c.name}`, kind: 'add-host', description: `add host ${c.name}` };
    case 'upgrade-memory': {
      const down = isMemoryDowngrade(c.before!, c.after!);
      return { ...base, id: `upgrade-memory:${c.name}`, kind: 'upgrade-memory', memoryBeforeMiB: c.before!.memory.totalMiB, description: `check ${c.name} has ${down ? 'exactly ' : ''}${formatSize(spec.memory.totalMiB)} installed (memory ${down ? 'downgrade' : 'upgrade'})` };
    }
    case 'update': return { ...base, id: `update-host:${c.name}`, kind: 'update-host', description: `record host ${c.name} (${fieldChanges(c.before!, c.after!).map((f) => f.field).join(', ')})` };
    case 'retire': return { ...base, id: `retire-host:${c.name}`, kind: 'retire-host', description: `retire host ${c.name}` };
  }
}

function guestStep(c: GuestChange, hostsAfter: Map<string, HostSpec>, stateHosts: Map<string, HostSpec>, rendered: ReturnType<typeof renderConfig> | undefined, after?: Step): Step {
  const b = c.before ?? undefined;
  const a = c.after ?? undefined;
  const srcHost = b ? (hostsAfter.get(b.host) ?? stateHosts.get(b.host)!) : hostsAfter.get(a!.host)!;
  const base = { provider: srcHost.provider, host: srcHost.name, guest: c.name, dependsOn: after ? [after.id] : [], hostSpec: srcHost, before: b, after: a, config: rendered };
  switch (c.action) {
    case 'create': return { ...base, id: `create:${c.name}`, kind: 'create', description: `create ${c.name} on ${srcHost.name}` };
    case 'delete': return { ...base, id: `destroy:${c.name}`, kind: 'destroy', config: undefined, description: `destroy ${c.name} on ${srcHost.name}` };
    case 'replace': {
      if (b && a && b.host !== a.host && c.reason.code === 'cannot-migrate') {
        // The source copy goes first, as Terraform replaces by default: the guest never runs twice (same name, MACs); the recreate then owns no `before`.
        const target = hostsAfter.get(a.host)!;
        return { ...base, before: undefined, dependsOn: [...base.dependsOn, `destroy:${c.name}`], provider: target.provider, id: `recreate:${c.name}`, kind: 'recreate', target: target.name, targetSpec: target, description: `recreate ${c.name} on ${target.name} with empty disks (it cannot migrate from ${srcHost.name})` };
      }
      if (b && a && b.host !== a.host) {
        const target = hostsAfter.get(a.host)!;
        const why = c.reason.code === 'rebuild-forced' ? 'is up: forced' : 'is down';
        return { ...base, provider: target.provider, id: `recreate:${c.name}`, kind: 'recreate', target: target.name, targetSpec: target, description: `recreate ${c.name} on ${target.name} from code (${srcHost.name} ${why})` };
      }
      return { ...base, id: `replace:${c.name}`, kind: 'replace', description: `replace ${c.name} on ${srcHost.name} (${reasonText(c.reason)})` };
    }
    case 'migrate': {
      const target = hostsAfter.get(a!.host)!;
      return { ...base, id: `migrate:${c.name}`, kind: 'migrate', target: target.name, targetSpec: target, description: `migrate ${c.name} ${srcHost.name} → ${target.name}` };
    }
    case 'update': {
      const kind = c.recordOnly ? 'update-record' : c.restart ? 'update-restart' : 'update-live';
      return { ...base, id: `${kind}:${c.name}`, kind, description: `update ${c.name} on ${srcHost.name}: ${reasonText(c.reason)}` };
    }
    case 'rename':
    case 'noop': throw new Error(`${c.action} is not a change of its own here`);
  }
}

/**
 * The destroy on the source host that a guest's `cannot-migrate` recreate
 * depends on: it deletes the domain and its images where state records them.
 */
function destroyBeforeRecreate(recreate: Step, before: GuestSpec): Step {
  const name = recreate.guest!;
  return {
    id: `destroy:${name}`, kind: 'destroy', provider: recreate.hostSpec!.provider, host: recreate.host, guest: name, dependsOn: [],
    hostSpec: recreate.hostSpec, before,
    description: `destroy ${name} on ${recreate.host}, with its disks (it cannot migrate to ${recreate.target}: recreated there after)`,
  };
}

function groupByHost(guests: readonly GuestSpec[]): Map<string, GuestSpec[]> {
  const out = new Map<string, GuestSpec[]>();
  for (const g of guests) {
    const list = out.get(g.host);
    if (list) list.push(g);
    else out.set(g.host, [g]);
  }
  return out;
}

function fitAll(manifest: Manifest, state: State | undefined, stateHosts: Map<string, HostSpec>, stateGuests: GuestSpec[]): HostFit[] {
  const after = groupByHost(manifest.guests);
  const before = groupByHost(stateGuests);
  const names = [...new Set([...manifest.hosts.map((h) => h.name), ...stateHosts.keys()])].sort();
  const hostsAfter = new Map(manifest.hosts.map((h) => [h.name, h]));
  return names.map((n) => fitHost({
    after: hostsAfter.get(n),
    before: stateHosts.get(n),
    installedBefore: own(state?.hosts, n)?.installedMiB,
    guestsBefore: before.get(n) ?? [],
    guestsAfter: after.get(n) ?? [],
  }));
}

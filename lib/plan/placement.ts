import { weighed, type LoadFigures } from '../capacity/measured';
import { asksOf, keepsNPlusOne } from '../capacity/n-plus-one';
import { memoryInForce } from '../capacity/usage';
import { Packing, type Choice, type PlacementAsk, type PlacementFailure, type Shortfall } from '../capacity/placement';
import { makeRoom, movableOn, REPAIR_BUDGET, REPAIR_HOSTS } from './placement-repair';
import type { Diagnostic } from '../diagnostics';
import { assertNever } from '../errors';
import { nearestName } from '../manifest/check';
import type { GuestSpec, Manifest, UnplacedGuestSpec } from '../manifest/types';
import { own, type State } from '../state/types';
import type { DisplacedCause, PlacementDecision } from './types';

export interface PlaceOptions {
  /**
   * A further test of a host that admits a guest, given the packing as it
   * stands (N+1 `require`: the fleet must stay N+1 with the guest there).
   * Asked of new and displaced guests only: a guest kept on its recorded host is not moved by it.
   * @default every admitting host is acceptable
   */
  accept?: (host: string, guest: GuestSpec, packing: Packing) => boolean;
  /**
   * `plan --rebalance`: sticky guests may move where that lowers hosts in use
   * and stranded capacity. Reserved for the rebalancer; placement itself
   * never moves a guest that still fits its recorded host.
   * @default no rebalancing
   */
  rebalance?: { maxMoves?: number };
  /**
   * Measured p95 load per guest name (lib/capacity/measured.ts `weighedLoads`):
   * placement weighs a guest, per rate, by the larger of it and the declared
   * load (`weighed`), the declared load alone where absent. The guests placed keep their declared load, so no plan shows a
   * load change.
   * @default declared load only
   */
  measured?: Readonly<Record<string, LoadFigures>>;
}

export interface Placed {
  /** Every guest placed: the unplaced ones are plain GuestSpecs among `guests`, sorted by name; no `unplaced` key. */
  manifest: Manifest;
  /** One decision per guest code left unplaced, by guest name. */
  placements: PlacementDecision[];
  /** An `unplaceable` error for each guest that fits no host. */
  diagnostics: Diagnostic[];
}

/**
 * Places the guests code created without a host: pure, deterministic (same
 * manifest and state, same bytes). Every verdict of fit comes from the
 * capacity engine's `Packing`; this only decides the order:
 * 1. guests code pins on a host are in the packing from the start;
 * 2. a guest state records on a host keeps it while that host still has its
 *    provider and tags and admits it (sticky), in name order;
 * 3. the rest, new guests and those their host can no longer take, are
 *    placed fewest candidate hosts (provider and selector) first, then
 *    largest memory first, then by name;
 * 4. one that then fits nowhere gets room made on one of its hosts by moving
 *    guests placed in step 3 to other hosts that admit them
 *    (./placement-repair.ts), bounded; nothing else ever moves.
 * A guest that fits nowhere is an error naming the closest host and what it
 * lacks, and, when true, the guests this plan placed that took its room; it
 * stays on its recorded host if it has one (so no plan deletes it),
 * else it is left out of the manifest (the plan cannot be applied anyway).
 */
export function placeUnplaced(manifest: Manifest, state: State | undefined, opts: PlaceOptions = {}): Placed {
  const unplaced = manifest.unplaced;
  if (!unplaced?.length) return { manifest, placements: [], diagnostics: [] };
  const byHost = new Map<string, GuestSpec[]>(manifest.hosts.map((h) => [h.name, []]));
  const m = opts.measured;
  for (const g of manifest.guests) byHost.get(g.host)?.push(weighed(g, m));
  const installed = installedInForce(manifest.hosts, state);
  const packing = new Packing(manifest.hosts.map((h) => ({ spec: h, guests: byHost.get(h.name)!, installed: installed[h.name] })));
  const accept = opts.accept ? (h: string, g: GuestSpec) => opts.accept!(h, g, packing) : undefined;
  const hostNames = new Set(packing.hosts);

  const decisions = new Map<string, PlacementDecision>();
  const placed: GuestSpec[] = [];
  const diagnostics: Diagnostic[] = [];
  // `guest` is code's guest (disks left to placement unnamed), what a new host is chosen for; `kept`, the guest with
  // the disks state records, what stays on its old host when it fits nowhere else.
  const pending: { guest: UnplacedGuestSpec; from?: { host: string; cause: DisplacedCause; kept: UnplacedGuestSpec } }[] = [];

  for (const u of unplaced) {
    const recorded = recordedSpec(state, u);
    if (!recorded) {
      pending.push({ guest: u });
      continue;
    }
    // The recorded host's disk names mean something only on that host: the sticky try alone uses them.
    const guest = withRecordedDisks(u, recorded);
    const host = recorded.host;
    if (!hostNames.has(host)) {
      pending.push({ guest: u, from: { host, cause: { code: 'host-gone' }, kept: guest } });
      continue;
    }
    // The sticky host is tried first, in constant time; another host it would offer is not taken
    // here: a displaced guest waits until every guest that keeps its host is in.
    // No `accept` here: placement is sticky, a guest that still fits its host stays (issue 14). Under N+1
    // `require` a fleet that is then not N+1 is the plan's N+1 error, not a move the plan was not asked for.
    const c = packing.choose(askOf(weighedAsk(guest, m)), { sticky: host });
    if (c.ok && c.host === host) {
      packing.add(c.host, c.guest, c.usage);
      placed.push(declared(c.guest, guest));
      decisions.set(u.name, decision(u, 'kept', c));
    } else {
      pending.push({ guest: u, from: { host, cause: whyNotKept(packing, weighedAsk(guest, m), host, hostNames), kept: guest } });
    }
  }

  // The guests with the fewest hosts to go on first (a guest any host takes must not fill the one host a
  // selector-bound guest can use), then largest first, which packs tighter (first-fit decreasing); the
  // name makes ties, and so the plan, deterministic whatever order code declares guests in.
  const hostsFor = new Map(pending.map(({ guest }) => [guest.name, packing.matchingCount(guest.placement.provider, guest.placement.selector)]));
  pending.sort((a, b) => hostsFor.get(a.guest.name)! - hostsFor.get(b.guest.name)! || b.guest.memoryMiB - a.guest.memoryMiB || (a.guest.name < b.guest.name ? -1 : a.guest.name > b.guest.name ? 1 : 0));
  // The guests this plan placed (not kept, not pinned): the only ones a repair may move.
  const movable = new Map<string, ReturnType<typeof askOf>>();
  const codeOf = new Map<string, { guest: UnplacedGuestSpec; from?: PlacementDecision['from'] }>();
  const placedNew = new Map<string, GuestSpec>();
  const homeless: ((typeof pending)[number] & { ask: ReturnType<typeof askOf> })[] = [];
  const budget = { hosts: REPAIR_BUDGET };
  const put = (guest: UnplacedGuestSpec, c: Extract<Choice, { ok: true }>, from: PlacementDecision['from']) => {
    placedNew.set(guest.name, declared(c.guest, guest));
    decisions.set(guest.name, decision(guest, from ? 're-placed' : 'placed', c, from));
  };
  for (const { guest, from } of pending) {
    // A displaced guest's disks keep their host disk where a host has one of that name: a live migration cannot
    // move an image to another (the planner would replace the guest, losing its disks).
    const keptAsk = from && askOf(weighedAsk(from.kept, m));
    const keptChoice = keptAsk && packing.choose(keptAsk, { accept, explain: false });
    const ask = keptChoice && keptChoice.ok ? keptAsk : askOf(weighedAsk(guest, m));
    const was = from ? { host: from.host, cause: from.cause } : undefined;
    // No `explain`: the closest host is worked out for the error below, against the final packing.
    let c = keptChoice && keptChoice.ok ? keptChoice : packing.choose(ask, { accept, explain: false });
    if (!c.ok && c.failure.code === 'no-fit') {
      // Fits no host as the plan has filled them: make room by moving guests this plan placed (rare, so free when nothing fails).
      const r = makeRoom(packing, ask, movable, budget, accept);
      if (r) {
        for (const mv of r.moves) put(codeOf.get(mv.guest)!.guest, mv.choice, codeOf.get(mv.guest)!.from);
        c = r.choice;
      }
    } else if (c.ok) packing.add(c.host, c.guest, c.usage);
    if (c.ok) {
      put(guest, c, was);
      movable.set(guest.name, ask);
      codeOf.set(guest.name, { guest, from: was });
      continue;
    }
    homeless.push({ guest, from, ask });
  }
  placed.push(...placedNew.values());

  // A later guest's repair may have moved guests off a host whose room now takes a guest that fitted nowhere.
  // Those go in first (the packing only fills from here), then the rest are errors against the final packing.
  const still = homeless.filter(({ guest, from, ask }) => {
    const c = packing.choose(ask, { accept, explain: false });
    if (!c.ok) return true;
    packing.add(c.host, c.guest, c.usage);
    placed.push(declared(c.guest, guest));
    const was = from ? { host: from.host, cause: from.cause } : undefined;
    decisions.set(guest.name, decision(guest, was ? 're-placed' : 'placed', c, was));
    return false;
  });
  // Closest host and shortfall against the final packing, after every other guest is in: the moment the plan's fit table shows.
  for (const { guest, from, ask } of still) {
    const c = packing.choose(ask, { accept });
    // The packing only filled up since the guest fitted nowhere, so it still fits nowhere.
    if (c.ok) throw new Error(`placement found a host for ${guest.name} after it fitted nowhere`);
    const message = fitsNowhere(guest, c.failure, hostTagKeys(manifest.hosts)) + roomTaken(packing, ask, c.failure, movable);
    diagnostics.push({ severity: 'error', code: 'unplaceable', path: guest.path, message });
    // Kept where state has it, so the plan shows the guest's trouble rather than deleting it.
    if (from && from.cause.code !== 'host-gone' && from.cause.code !== 'not-selected') placed.push(plain({ ...from.kept, host: from.host }));
  }

  const guests = [...manifest.guests, ...placed.map(plain)].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const { unplaced: _, ...rest } = manifest;
  return {
    manifest: { ...rest, guests },
    placements: [...decisions.values()].sort((a, b) => (a.guest < b.guest ? -1 : a.guest > b.guest ? 1 : 0)),
    diagnostics,
  };
}

/**
 * The manifest with every guest on a host, for look-ups that read code
 * (`parent`, `start`, `import`): placed as the next plan places them. A
 * guest that fits nowhere is left out.
 */
export function placedView(manifest: Manifest, state: State | undefined): Manifest {
  return manifest.unplaced ? placeUnplaced(manifest, state, placementPolicy(manifest)).manifest : manifest;
}

/**
 * The options every placement of this code uses (the plan, `placedView`,
 * rebuild), so they all place alike: `base` and, under the Fleet's
 * `nPlusOne: 'require'`, only hosts where the fleet stays N+1.
 * @param base the caller's options (measured load) @default none
 */
export function placementPolicy(manifest: Manifest, base: PlaceOptions = {}): PlaceOptions {
  if (manifest.nPlusOne !== 'require' || !manifest.unplaced) return base;
  return { ...base, accept: keepsNPlusOne(asksOf(manifest.hosts, manifest)) };
}

/**
 * The memory each host can be counted on for while its DIMMs change: what it
 * last reported, never more than code gives it (lib/plan/order.ts counts the
 * same), so placement never fills memory a host does not have yet.
 */
export function installedInForce(hosts: Manifest['hosts'], state: State | undefined): Record<string, number> {
  return Object.fromEntries(hosts.map((h) => [h.name, memoryInForce(h.memory.totalMiB, own(state?.hosts, h.name)?.installedMiB)]));
}

function weighedAsk(g: UnplacedGuestSpec, m: PlaceOptions['measured']): UnplacedGuestSpec {
  return weighed(g, m) as UnplacedGuestSpec;
}

/** The guest as placed (host and disks filled in) with the load its code declares, not the load it was weighed by. */
function declared(placedGuest: GuestSpec, code: GuestSpec): GuestSpec {
  return placedGuest.load === code.load ? placedGuest : { ...placedGuest, load: code.load };
}

function askOf(g: UnplacedGuestSpec) {
  return { guest: g, provider: g.placement.provider, selector: g.placement.selector };
}

/** The record of a guest in state, under its name or the name it had (`movedFrom`). */
function recordedSpec(state: State | undefined, g: GuestSpec): GuestSpec | undefined {
  return (own(state?.guests, g.name) ?? (g.movedFrom !== null ? own(state?.guests, g.movedFrom) : undefined))?.spec;
}

/** Disks code leaves to placement stay on the host disk state records, so keeping a guest never moves its images. */
function withRecordedDisks(g: UnplacedGuestSpec, recorded: GuestSpec): UnplacedGuestSpec {
  if (!g.disks.some((d, i) => d.on === '' && recorded.disks[i]?.on)) return g;
  return { ...g, disks: g.disks.map((d, i) => (d.on === '' && recorded.disks[i]?.on ? { ...d, on: recorded.disks[i].on } : d)) };
}

/** The GuestSpec downstream sees: host and disks filled in, no `placement`, keys in the manifest's sorted order. */
function plain(g: GuestSpec): GuestSpec {
  if (!('placement' in g)) return g;
  const { placement: _, ...spec } = g as UnplacedGuestSpec;
  return spec;
}

function decision(g: GuestSpec, code: PlacementDecision['code'], c: Extract<Choice, { ok: true }>, from?: PlacementDecision['from']): PlacementDecision {
  const w = c.why;
  const a = w.after;
  // Written out, keys in the order of `PlacementWhy` and `Utilization`: the plan's JSON and saved plans keep their bytes.
  const after = { memory: fraction(a.memory), vcpus: fraction(a.vcpus), disk: fraction(a.disk), cpu: fraction(a.cpu), iops: fraction(a.iops), network: fraction(a.network) };
  const why = { sticky: w.sticky, inUse: w.inUse, uses: w.uses, after, softCrossed: w.softCrossed, candidates: w.candidates };
  return from ? { code, guest: g.name, host: c.host, path: g.path, why, from } : { code, guest: g.name, host: c.host, path: g.path, why };
}

/** A utilization as plan data: 4 decimals, and finite (a resource the host lacks but the guest uses is "over", JSON has no Infinity). */
function fraction(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : 1e6;
}

/** Why a guest's recorded host cannot keep it: asked of that host alone (rare: only for a guest that moves). */
function whyNotKept(packing: Packing, guest: UnplacedGuestSpec, host: string, hosts: ReadonlySet<string>): DisplacedCause {
  const others = new Set([...hosts].filter((h) => h !== host));
  const c = packing.choose(askOf(guest), { exclude: others });
  // The sticky try asks the same question of the same host: a different answer is a bug, not a cause.
  if (c.ok) throw new Error(`placement did not keep ${guest.name} on ${host}, which admits it`);
  return displaced(c.failure);
}

function displaced(f: PlacementFailure): DisplacedCause {
  switch (f.code) {
    case 'no-candidates': return { code: 'not-selected' };
    case 'no-fit': return { code: 'no-longer-fits', short: f.detail.short };
    case 'not-accepted': return { code: 'not-accepted' };
    default: return assertNever(f, 'placement failure');
  }
}

/**
 * "; host-a would take it without big, placed there by this plan: pin
 * pinned-ish there (…), give big a hostSelector that keeps it off host-a, or
 * add capacity" — when true: a host of the guest would admit it without
 * guests this plan put there (the fewest, largest first). The closest host
 * if it is one, else the first in name order of at most REPAIR_HOSTS hosts in
 * use looked at; up to three guests named.
 */
function roomTaken(packing: Packing, ask: PlacementAsk, f: PlacementFailure, movable: ReadonlyMap<string, unknown>): string {
  if (f.code !== 'no-fit') return '';
  // The fewest of them, largest first, without which the host admits the guest.
  const took = (h: string) => {
    const mine = movableOn(packing, h, movable).map((g) => g.name);
    if (!mine.length || !packing.admitsWithout(h, ask.guest, mine)) return undefined;
    let k = 1;
    while (!packing.admitsWithout(h, ask.guest, mine.slice(0, k))) k++;
    return mine.slice(0, k);
  };
  let names = took(f.detail.closest);
  let host = f.detail.closest;
  let looked = 0;
  for (const h of names ? [] : packing.matchingHostNames(ask.provider, ask.selector)) {
    if (h === f.detail.closest || !packing.inUse(h)) continue;
    if (++looked > REPAIR_HOSTS) break;
    names = took(h);
    if (names) {
      host = h;
      break;
    }
  }
  if (!names) return '';
  const shown = names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
  const them = names.length === 1 ? names[0] : 'one of them';
  return `; ${host} would take it without ${shown}, placed there by this plan: pin ${ask.guest.name} there (declare it in Host ${host}: pinned guests go first), give ${them} a hostSelector that keeps it off ${host}, or add capacity`;
}

/** "web-09 fits no host: needs 6GiB memory, best host db-host-02 has 4300MiB free". */
export function fitsNowhere(g: UnplacedGuestSpec, f: PlacementFailure, tagKeys: readonly string[] = []): string {
  switch (f.code) {
    case 'no-candidates':
      return `${g.name} fits no host: no host of provider ${f.detail.provider}${tagsText(f.detail.selector)}${unknownTags(f.detail.selector, tagKeys)}; add one, or change the guest's ${g.placement.group ? 'HostGroup selector or hostSelector' : 'hostSelector'}`;
    case 'no-fit':
      return `${g.name} fits no host: ${shortfallText(f.detail.short, `best host ${f.detail.closest}`)}`;
    case 'not-accepted':
      return `${g.name} fits no host the fleet's policy accepts: ${f.detail.candidates} host${f.detail.candidates === 1 ? '' : 's'} could take it, but none keeps the fleet N+1`;
    default:
      return assertNever(f, 'placement failure');
  }
}

/** Every tag key the fleet's hosts carry, for did-you-mean hints. */
function hostTagKeys(hosts: Manifest['hosts']): string[] {
  return [...new Set(hosts.flatMap((h) => Object.keys(h.tags)))].sort();
}

/** " (no host has a tag 'sdd'; did you mean 'ssd'?)": a selector key no host carries is most likely a typo. */
function unknownTags(selector: Readonly<Record<string, string>>, tagKeys: readonly string[]): string {
  const known = new Set(tagKeys);
  const hints = Object.keys(selector).sort().filter((k) => !known.has(k)).map((k) => {
    const near = nearestName(k, tagKeys);
    return `no host has a tag '${k}'${near ? `; did you mean '${near}'?` : ''}`;
  });
  return hints.length ? ` (${hints.join('; ')})` : '';
}

function tagsText(selector: Readonly<Record<string, string>>): string {
  const tags = Object.keys(selector).sort().map((k) => `${k}=${selector[k]}`);
  return tags.length ? ` carries tags ${tags.join(', ')}` : '';
}

/**
 * What a host lacks to take a guest: "needs 6GiB memory, best host db-host-02
 * has 4300MiB free"; `host` names the host ("best host db-host-02", "db-host-01").
 */
export function shortfallText(short: readonly Shortfall[], host: string): string {
  const sized = short.filter((s) => s.resource !== 'anti-affinity');
  const groups = short.filter((s) => s.resource === 'anti-affinity').map((s) => `already runs a guest of anti-affinity group ${s.detail}`);
  if (!sized.length) return `${host} ${groups.join(' and ') || 'does not admit it'}`;
  const one = sized.length === 1;
  const needs = sized.map((s) => amount(s, s.need, true, sizeUnit(s))).join(' and ');
  const free = sized.map((s) => `${amount(s, s.free, !one, sizeUnit(s))} free`).join(' and ');
  return `needs ${needs}, ${host} has ${free}${groups.length ? ` and ${groups.join(' and ')}` : ''}`;
}

type SizeUnit = 'MiB' | 'GiB' | 'TiB';

/**
 * One unit for a shortfall's need and free size, so they read side by side
 * ("needs 6.29GiB, … has 1.25GiB free", not "6446MiB … 1.25GiB"): the unit
 * the larger needs (GiB from 1 GiB, TiB from 1 TiB), unless two decimals would show different
 * sizes as equal, then MiB.
 */
function sizeUnit(s: Shortfall): SizeUnit {
  const big = Math.max(Math.abs(s.need), Math.abs(s.free));
  const unit: SizeUnit = big >= 1024 * 1024 ? 'TiB' : big >= 1024 ? 'GiB' : 'MiB';
  return unit !== 'MiB' && s.need !== s.free && inUnit(s.need, unit) === inUnit(s.free, unit) ? 'MiB' : unit;
}

function inUnit(mib: number, unit: SizeUnit): string {
  switch (unit) {
    case 'MiB': return `${Number(mib.toFixed(2))}MiB`;
    case 'GiB': return `${Number((mib / 1024).toFixed(2))}GiB`;
    case 'TiB': return `${Number((mib / (1024 * 1024)).toFixed(2))}TiB`;
    default: return assertNever(unit, 'size unit');
  }
}

/** An amount of a resource in its unit (`unit` for sizes); `noun`: name the resource where the unit does not. */
function amount(s: Shortfall, n: number, noun: boolean, unit: SizeUnit): string {
  switch (s.resource) {
    case 'memory': return `${inUnit(n, unit)}${noun ? ' memory' : ''}`;
    case 'vcpus': return `${n} vCPU${n === 1 ? '' : 's'}`;
    case 'disk': return `${inUnit(n, unit)}${noun ? ` on disk ${s.detail}` : ''}`;
    case 'cpu-load': return `${n} cores${noun ? ' of CPU load' : ''}`;
    case 'iops': return `${n} IOPS`;
    case 'network': return `${n} Mbit/s${noun ? ' of network' : ''}`;
    case 'anti-affinity': return '';
    default: return assertNever(s.resource, 'shortfall');
  }
}

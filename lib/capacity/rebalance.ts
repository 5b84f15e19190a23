import type { GuestDisk, GuestSpec, ProviderName } from '../manifest/types';
import type { HostUsage } from './admit';
import { Packing, type PackingSnapshot } from './placement';
import { DISK, fillUtilization, IOPS, MEMORY, NETWORK, VCPUS, CPU } from './weigh';

/**
 * Rebalancing (Ganeti's hbal, on hvkit's placement): moves of guests hvkit
 * placed that empty hosts and lower the capacity left stranded. Every move
 * is chosen by `Packing.choose` (so `admit` decides fit, anti-affinity and
 * selectors hold, and the guest stays with its provider) against the packing
 * as it is after the moves before it: applied in order, the moves never
 * over-commit a host. Pure: the caller's packing is not changed.
 */

/** Which hosts may take a guest the rebalancer may move (the guest's placement: provider and selector). */
export interface MovableAsk {
  provider: ProviderName;
  /** Host tags a target must carry, every one. @default {} */
  selector?: Readonly<Record<string, string>>;
  /**
   * The guest's disks as code declares them, for a disk not yet on a host
   * disk: one code puts `on` a host disk goes on a disk of that name; one
   * code leaves '' goes where placement picks. A disk already on a host disk
   * stays on one of that name (a live migration cannot move it).
   * @default every such disk goes where placement picks
   */
  disks?: readonly GuestDisk[];
}

/** Guests the rebalancer may move, by name: those hvkit placed. Every other guest is pinned where it is. */
export type Movable = ReadonlyMap<string, MovableAsk>;

/** Hosts in use and stranded capacity (Σ over hosts, in host-fractions of a resource), before and after. */
export interface GainFigures {
  hostsInUse: { before: number; after: number };
  stranded: { before: number; after: number };
}

/** Why a move is worth making: data, rendered elsewhere. */
export type RebalanceGain =
  /** The move is one of those that empty `host` (free to retire or power off once they ran). */
  | { code: 'empties-host'; detail: GainFigures & { host: string } }
  /** The move puts the guest where it uses capacity that sat idle, on its old host and its new one together. */
  | { code: 'lowers-stranded'; detail: GainFigures };

export interface RebalanceMove {
  guest: string;
  from: string;
  to: string;
  gain: RebalanceGain;
}

export interface RebalanceOptions {
  /** At most this many moves. @default no limit */
  maxMoves?: number;
  /** Also make moves that only lower stranded capacity (after emptying hosts). @default true */
  stranded?: boolean;
}

export interface Rebalance {
  /** In the order they must run. */
  moves: RebalanceMove[];
  /** Hosts the moves empty, in the order they empty. */
  emptied: string[];
  /** The whole fleet before the first move and after the last. */
  totals: GainFigures;
  /** The packing after every move. */
  packing: Packing;
}

/** A move as an evacuation plans it: the guest as it will run on its new host. */
export interface EvacuationMove {
  guest: string;
  from: string;
  to: string;
  placed: GuestSpec;
}

export type Evacuation =
  | { ok: true; host: string; moves: EvacuationMove[] }
  /** `pinned`: the guest is not movable; `no-room`: no other host in use takes it without crossing a limit. */
  | { ok: false; host: string; guest: string; code: 'pinned' | 'no-room' };

/** Least gain a stranded-only move must bring (host-fractions), so the plan is not full of nudges. */
const MIN_STRANDED_GAIN = 0.05;
/** Hosts whose guests a stranded-only round looks at: the most stranded, so a round stays cheap on large fleets. */
const STRANDED_HOSTS_PER_ROUND = 8;

/**
 * The moves that lower the hosts in use, then the stranded capacity, of a
 * packing: hosts are emptied least used first, each only if every guest on
 * it is movable and fits on the other hosts in use; then single moves that
 * lower stranded capacity by at least 0.05 of a host, largest gain first.
 */
export function rebalance(packing: Packing, movable: Movable, opts: RebalanceOptions = {}): Rebalance {
  const p = packing.clone();
  const max = opts.maxMoves ?? Infinity;
  const moves: RebalanceMove[] = [];
  const emptied: string[] = [];
  const start = figures(p);
  let now = start;

  const candidates = p.hosts.filter((h) => p.inUse(h) && p.guestsOn(h).every((g) => movable.has(g.name)));
  candidates.sort((a, b) => fullness(p.usage(a)) - fullness(p.usage(b)) || p.guestCount(a) - p.guestCount(b) || (a < b ? -1 : 1));
  for (const host of candidates) {
    if (!p.inUse(host) || moves.length + p.guestCount(host) > max) continue;
    const { ev, undo } = tryEvacuate(p, host, movable);
    if (!ev.ok) continue;
    // Replayed move by move, each admitted against the packing as the moves before it left it,
    // so each gain says where the fleet stands once that move has run.
    p.restore(undo);
    for (const m of ev.moves) {
      const before = now;
      now = moveGuest(p, m);
      moves.push({ guest: m.guest, from: m.from, to: m.to, gain: { code: 'empties-host', detail: { host, hostsInUse: { before: before.hostsInUse, after: now.hostsInUse }, stranded: { before: before.stranded, after: now.stranded } } } });
    }
    emptied.push(host);
  }

  if (opts.stranded !== false) {
    while (moves.length < max) {
      const m = bestStrandedMove(p, movable);
      if (!m) break;
      const before = now;
      now = moveGuest(p, m);
      moves.push({ guest: m.guest, from: m.from, to: m.to, gain: { code: 'lowers-stranded', detail: { hostsInUse: { before: before.hostsInUse, after: now.hostsInUse }, stranded: { before: before.stranded, after: now.stranded } } } });
    }
  }
  return { moves, emptied, totals: { hostsInUse: { before: start.hostsInUse, after: now.hostsInUse }, stranded: { before: start.stranded, after: now.stranded } }, packing: p };
}

/**
 * Whether a host could be emptied: where each of its guests would go (largest
 * first) on the other hosts in use, chosen as placement chooses, counting the
 * guests already sent there. The report's "hosts that could be emptied" and
 * `rebalance` both ask this. Pure.
 */
export function evacuate(packing: Packing, host: string, movable: Movable): Evacuation {
  return evacuateInPlace(packing.clone(), host, movable);
}

/**
 * `evacuate` on the packing itself: when it succeeds the guests have moved;
 * when it fails the packing is as it was (the simulator's rebalancing, where
 * a clone per try would cost too much).
 */
export function evacuateInPlace(p: Packing, host: string, movable: Movable): Evacuation {
  return tryEvacuate(p, host, movable).ev;
}

/** An evacuation on the packing, and the hosts it touched as they were before (restore them to undo it). */
function tryEvacuate(p: Packing, host: string, movable: Movable): { ev: Evacuation; undo: PackingSnapshot } {
  const guests = p.guestsOn(host).sort(largestFirst);
  for (const g of guests) if (!movable.has(g.name)) return { ev: { ok: false, host, guest: g.name, code: 'pinned' }, undo: [] };
  const exclude = new Set<string>([host]);
  for (const h of p.hosts) if (!p.inUse(h)) exclude.add(h);
  const undo = [...p.snapshot([host])];
  const touched = new Set<string>([host]);
  const moves: EvacuationMove[] = [];
  for (const g of guests) {
    const ask = movable.get(g.name)!;
    const r = p.choose({ guest: unplaced(g, ask), provider: ask.provider, selector: ask.selector }, { exclude: withOtherStorage(p, host, g, exclude) });
    if (!r.ok || r.why.softCrossed.length) {
      p.restore(undo);
      return { ev: { ok: false, host, guest: g.name, code: 'no-room' }, undo: [] };
    }
    if (!touched.has(r.host)) {
      touched.add(r.host);
      undo.push(...p.snapshot([r.host]));
    }
    p.remove(host, g.name);
    p.add(r.host, r.guest, r.usage);
    moves.push({ guest: g.name, from: host, to: r.host, placed: r.guest });
  }
  return { ev: { ok: true, host, moves }, undo };
}

/** The single move that lowers stranded capacity the most, by at least MIN_STRANDED_GAIN; undefined when none does. */
function bestStrandedMove(p: Packing, movable: Movable): EvacuationMove | undefined {
  const inUse = p.hosts.filter((h) => p.inUse(h));
  const exclude = new Set(p.hosts.filter((h) => !p.inUse(h)));
  const worst = [...inUse].sort((a, b) => strandedOfHost(p.usage(b)) - strandedOfHost(p.usage(a)) || (a < b ? -1 : 1)).slice(0, STRANDED_HOSTS_PER_ROUND);
  let best: { move: EvacuationMove; gain: number } | undefined;
  for (const from of worst) {
    for (const g of p.guestsOn(from).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const ask = movable.get(g.name);
      if (!ask) continue;
      exclude.add(from);
      const r = p.choose({ guest: unplaced(g, ask), provider: ask.provider, selector: ask.selector }, { exclude: withOtherStorage(p, from, g, exclude) });
      exclude.delete(from);
      if (!r.ok || r.why.softCrossed.length) continue;
      const snap = p.snapshot([from]);
      const fromBefore = strandedOfHost(p.usage(from));
      const toBefore = strandedOfHost(p.usage(r.host));
      p.remove(from, g.name);
      const gain = fromBefore + toBefore - strandedOfHost(p.usage(from)) - strandedOfHost(r.usage);
      p.restore(snap);
      if (gain >= MIN_STRANDED_GAIN && (!best || gain > best.gain + 1e-9)) best = { move: { guest: g.name, from, to: r.host, placed: r.guest }, gain };
    }
  }
  return best?.move;
}

/**
 * The guest as a new host would take it. A move is a live migration, which
 * carries each disk image to the host disk of the same name and the same
 * path: every disk stays `on` the host disk it is on (the planner makes a
 * move that changes one a replace that loses the disk). Only a disk on no
 * host disk yet goes where code puts it, or where placement picks.
 */
function unplaced(g: GuestSpec, ask: MovableAsk): GuestSpec {
  if (!g.disks.some((d) => d.on === '')) return g;
  const code = ask.disks;
  return { ...g, disks: g.disks.map((d, i) => (d.on !== '' ? d : { ...d, on: code?.[i]?.on ?? '' })) };
}

/**
 * `exclude`, and for a guest with disks the hosts whose `storageDir` differs
 * from its host's: a live migration keeps image paths, so it cannot land
 * there. The same set when every host shares one (the common case, no copy).
 */
function withOtherStorage(p: Packing, from: string, g: GuestSpec, exclude: Set<string>): Set<string> {
  if (!g.disks.length) return exclude;
  const dirs = storageDirsOf(p);
  if (dirs.size < 2) return exclude;
  const dir = p.spec(from).storageDir;
  return new Set([...exclude, ...[...dirs].flatMap(([d, hosts]) => (d === dir ? [] : hosts))]);
}

/** Hosts by storageDir, computed once per packing (and again when it gains hosts): a scan per move would cost O(hosts) each. */
const storageCache = new WeakMap<Packing, { hosts: number; dirs: Map<string, string[]> }>();
function storageDirsOf(p: Packing): Map<string, string[]> {
  const hit = storageCache.get(p);
  if (hit && hit.hosts === p.hosts.length) return hit.dirs;
  const dirs = new Map<string, string[]>();
  for (const h of p.hosts) {
    const d = p.spec(h).storageDir;
    const list = dirs.get(d);
    if (list) list.push(h);
    else dirs.set(d, [h]);
  }
  storageCache.set(p, { hosts: p.hosts.length, dirs });
  return dirs;
}

function largestFirst(a: GuestSpec, b: GuestSpec): number {
  return b.memoryMiB - a.memoryMiB || b.vcpus - a.vcpus || (a.name < b.name ? -1 : 1);
}

const util = new Float64Array(6);

/** How full a host is: its fullest of memory and vCPUs. */
function fullness(u: HostUsage): number {
  fillUtilization(u, null, util);
  return Math.max(util[MEMORY], util[VCPUS]);
}

/**
 * Capacity stranded on one host: Σ (free_r − min free) over the resources its
 * guests ask for (memory and vCPUs always; disk, CPU load, IOPS, network when
 * some guest uses them). 0 for an empty host: nothing is stranded on a host
 * that can be powered off.
 */
export function strandedOfHost(u: HostUsage): number {
  const s = u.sums;
  if (s.guests === 0) return 0;
  fillUtilization(u, null, util);
  let disk = false;
  for (const d in s.disks) if (s.disks[d] > 0) disk = true;
  const used = [true, true, disk, s.cpu > 0, s.iops > 0, s.net > 0];
  let min = Infinity;
  for (const r of [MEMORY, VCPUS, DISK, CPU, IOPS, NETWORK]) if (used[r]) min = Math.min(min, 1 - Math.min(1, util[r]));
  let sum = 0;
  for (const r of [MEMORY, VCPUS, DISK, CPU, IOPS, NETWORK]) if (used[r]) sum += 1 - Math.min(1, util[r]) - min;
  return sum;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Hosts in use and stranded capacity of the whole packing (stranded to 0.001, as shown). */
export function figures(p: Packing): { hostsInUse: number; stranded: number } {
  let hostsInUse = 0;
  let stranded = 0;
  for (const h of p.hosts) {
    if (!p.inUse(h)) continue;
    hostsInUse++;
    stranded += strandedOfHost(p.usage(h));
  }
  return { hostsInUse, stranded: round3(stranded) };
}

/** Runs one move on the packing, admitted against it as it is; the fleet's figures after it. */
function moveGuest(p: Packing, m: EvacuationMove): { hostsInUse: number; stranded: number } {
  const g = p.remove(m.from, m.guest)!;
  const r = p.tryPlace(m.to, m.placed);
  if (!r.ok) throw new Error(`rebalance: ${g.name} no longer fits on ${m.to} (${r.breaches.map((b) => b.mode).join(', ')})`);
  p.add(m.to, r.guest, r.usage);
  return figures(p);
}

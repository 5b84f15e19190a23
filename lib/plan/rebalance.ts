import { weighed, type LoadFigures } from '../capacity/measured';
import { Packing } from '../capacity/placement';
import { rebalance, type GainFigures, type MovableAsk, type RebalanceGain } from '../capacity/rebalance';
import { HvkitError } from '../errors';
import { printable } from '../manifest/names';
import type { GuestSpec, Manifest, UnplacedGuestSpec } from '../manifest/types';
import type { PlanRebalance } from './types';

/** `plan --rebalance [--max-moves N]`. */
export interface RebalanceRequest {
  /** At most this many migrations. @default no limit */
  maxMoves?: number;
  /**
   * Measured p95 load per guest name: the rebalancer weighs a guest, per
   * rate, by the larger of it and the declared load (the moved guests keep their declared load in the manifest).
   * @default declared load only
   */
  measured?: Readonly<Record<string, LoadFigures>>;
  /**
   * Memory each host can be counted on for, by host name (lib/plan/placement.ts `installedInForce`):
   * no guest moves into memory a host does not have yet.
   * @default every host's coded memory
   */
  installed?: Readonly<Record<string, number>>;
}

/** One guest's migration as the plan makes it: from its host before the moves to its host after them. */
export interface RebalancedGuest {
  from: string;
  to: string;
  /** The gain of the guest's last move. */
  gain: RebalanceGain;
  /** That move's position (from 1) among the rebalancer's moves, and how many there are: its gain describes the fleet after the moves before it. */
  move: { n: number; of: number };
}

export interface Rebalanced {
  /** The manifest with the moved guests on their new hosts. */
  manifest: Manifest;
  /** By guest name: what the planner turns into `rebalance` reasons. */
  moved: Map<string, RebalancedGuest>;
  /** The plan's `rebalance` data. */
  data: PlanRebalance;
}

/** Plan data keeps four decimals of the stranded figures: readable, and the same on every machine. */
const round4 = (n: number) => Math.round(n * 1e4) / 1e4;
const rounded = (f: GainFigures): GainFigures => ({ hostsInUse: { ...f.hostsInUse }, stranded: { before: round4(f.stranded.before), after: round4(f.stranded.after) } });
function roundedGain(g: RebalanceGain): RebalanceGain {
  return g.code === 'empties-host' ? { code: g.code, detail: { host: g.detail.host, ...rounded(g.detail) } } : { code: g.code, detail: rounded(g.detail) };
}

/**
 * Rebalances a fleet as placement left it (every guest on a host): only the
 * guests hvkit placed may move (`unplaced`, with their provider and
 * selector); code's pinned guests stay. The moves come from the rebalancer
 * (lib/capacity/rebalance.ts), each admitted against the fleet as the moves
 * before it left it; the planner orders their migrations with every other
 * step, so no host is over-committed at any point.
 */
export function rebalancePlaced(placed: Manifest, unplaced: readonly UnplacedGuestSpec[], req: RebalanceRequest = {}): Rebalanced {
  const present = new Set(placed.guests.map((g) => g.name));
  const movable = new Map<string, MovableAsk>(unplaced.filter((u) => present.has(u.name)).map((u) => [u.name, { provider: u.placement.provider, selector: u.placement.selector, disks: u.disks }]));
  const weighedFleet = req.measured ? { ...placed, guests: placed.guests.map((g) => weighed(g, req.measured)) } : placed;
  const r = rebalance(packingWith(weighedFleet, req.installed), movable, { maxMoves: req.maxMoves });
  const moved = new Map<string, RebalancedGuest>();
  r.moves.forEach((m, i) => {
    const first = moved.get(m.guest)?.from ?? m.from;
    moved.set(m.guest, { from: first, to: m.to, gain: roundedGain(m.gain), move: { n: i + 1, of: r.moves.length } });
  });
  // A guest moved away and back again does not move at all.
  for (const [name, m] of moved) if (m.from === m.to) moved.delete(name);
  const after = new Map<string, GuestSpec>();
  for (const [name, m] of moved) after.set(name, r.packing.guestsOn(m.to).find((g) => g.name === name)!);
  // The moved guest as code declares it: the measured load only weighed.
  const guests = placed.guests.map((g) => {
    const a = after.get(g.name);
    return a ? (a.load === g.load ? a : { ...a, load: g.load }) : g;
  });
  const moves = [...moved].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([guest, m]) => ({ guest, from: m.from, to: m.to }));
  return {
    manifest: { ...placed, guests },
    moved,
    data: { ...(req.maxMoves !== undefined ? { maxMoves: req.maxMoves } : {}), moves, emptied: [...r.emptied].sort(), totals: rounded(r.totals) },
  };
}

/** The fleet as a packing, each host at the memory it can be counted on for. */
function packingWith(fleet: Manifest, installed: RebalanceRequest['installed']): Packing {
  const byHost = new Map<string, GuestSpec[]>(fleet.hosts.map((h) => [h.name, []]));
  for (const g of fleet.guests) byHost.get(g.host)?.push(g);
  return new Packing(fleet.hosts.map((h) => ({ spec: h, guests: byHost.get(h.name)!, installed: installed?.[h.name] })));
}

/** `--max-moves N` as a number: a whole number of at least 1, or one line saying so. */
export function parseMaxMoves(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new HvkitError(`--max-moves '${printable(text)}' must be a whole number of at least 1 (the most migrations --rebalance may plan)`);
  return n;
}

import type { Choice, Packing, PackingSnapshot, PlacementAsk } from '../capacity/placement';
import type { GuestSpec } from '../manifest/types';

/**
 * Making room for a guest that fits no host: the guests this plan placed
 * (never one code pins on a host, never one kept on the host state records)
 * may move to other hosts that admit them, so a guest only a few hosts can
 * take is not left out because a guest any host could take got there first.
 * Every verdict of fit comes from the packing (`choose`, `admitsWithout`);
 * this only decides which guests to try moving, and in what order.
 */

/** Hosts tried per guest that fits nowhere: a repair is a last resort, not a search over the fleet. */
export const REPAIR_HOSTS = 16;
/** Guests moved off one host to make room for one guest, at most. */
export const REPAIR_MOVES = 8;
/**
 * Hosts a whole plan tries to make room on: a fleet short of capacity has
 * many guests that fit nowhere, and trying each would cost more than the
 * plan (each try scans the fleet per move); past it the guests are errors.
 */
export const REPAIR_BUDGET = 256;

/** What a plan's repairs may still spend (`hosts`: tries left, see {@link REPAIR_BUDGET}); one per plan. */
export interface RepairBudget {
  hosts: number;
}

type Chosen = Extract<Choice, { ok: true }>;

export interface Repair {
  /** Where the guest went, as `choose` chose it there. */
  choice: Chosen;
  /** The guests moved to make the room, in the order they moved. */
  moves: { guest: string; from: string; choice: Chosen }[];
}

/**
 * Moves guests this plan placed off one of `ask`'s hosts so that it admits
 * the guest, then places the guest there; on success the packing holds the
 * moves and the guest, otherwise it is as it was. Deterministic: hosts in
 * name order, guests in a fixed order (see {@link tryHost}).
 * @param movable the asks of the guests this plan placed, by name: what may move
 * @param budget the plan's tries left, spent here
 * @param accept the plan's further test of a host (N+1 `require`), asked of every move and of the guest
 */
export function makeRoom(packing: Packing, ask: PlacementAsk, movable: ReadonlyMap<string, PlacementAsk>, budget: RepairBudget, accept?: (host: string, guest: GuestSpec) => boolean): Repair | undefined {
  if (budget.hosts <= 0 || !movable.size) return undefined;
  let tried = 0;
  for (const host of packing.matchingHostNames(ask.provider, ask.selector)) {
    const mine = movableOn(packing, host, movable);
    // Even with all of them gone the host would not take it: no move there helps.
    if (!mine.length || !packing.admitsWithout(host, ask.guest, mine.map((g) => g.name))) continue;
    if (++tried > REPAIR_HOSTS || budget.hosts-- <= 0) return undefined;
    const r = tryHost(packing, host, ask, mine, movable, accept);
    if (r) return r;
  }
  return undefined;
}

/**
 * The guests this plan placed on a host, largest memory first, then by name:
 * what {@link makeRoom} may move, and what the error names when it could not.
 */
export function movableOn(packing: Packing, host: string, movable: ReadonlyMap<string, unknown>): GuestSpec[] {
  return packing.guestsOn(host).filter((g) => movable.has(g.name)).sort((a, b) => b.memoryMiB - a.memoryMiB || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * One host: first a single guest whose leaving is enough, smallest first
 * (one small move); failing that, guests largest first until the guest
 * fits, at most {@link REPAIR_MOVES}. Undone unless the guest ends up there.
 */
function tryHost(packing: Packing, host: string, ask: PlacementAsk, mine: readonly GuestSpec[], movable: ReadonlyMap<string, PlacementAsk>, accept: ((host: string, guest: GuestSpec) => boolean) | undefined): Repair | undefined {
  const undo: PackingSnapshot[] = [];
  const moves: Repair['moves'] = [];
  const off = new Set([host]);
  const move = (g: GuestSpec): boolean => {
    // No `explain`: a guest that cannot move is skipped, not described.
    const c = packing.choose(movable.get(g.name)!, { exclude: off, accept, explain: false });
    if (!c.ok) return false;
    undo.push(packing.snapshot(c.host === host ? [host] : [host, c.host]));
    packing.remove(host, g.name);
    packing.add(c.host, c.guest, c.usage);
    moves.push({ guest: g.name, from: host, choice: c });
    return true;
  };
  const fits = () => packing.admits(host, ask.guest);
  for (const g of [...mine].reverse()) {
    if (packing.admitsWithout(host, ask.guest, [g.name]) && move(g)) break;
  }
  if (!fits()) {
    for (const g of mine) {
      if (moves.length >= REPAIR_MOVES) break;
      if (moves.some((m) => m.guest === g.name)) continue;
      if (move(g) && fits()) break;
    }
  }
  if (fits()) {
    const c = packing.choose(ask, { exclude: new Set(packing.hosts.filter((h) => h !== host)), accept });
    if (c.ok) {
      packing.add(c.host, c.guest, c.usage);
      return { choice: c, moves };
    }
  }
  for (let i = undo.length - 1; i >= 0; i--) packing.restore(undo[i]);
  return undefined;
}

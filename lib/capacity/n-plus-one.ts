import { assertNever } from '../errors';
import { formatSize } from '../manifest/size';
import type { GuestDisk, GuestSpec, Manifest } from '../manifest/types';
import { shapeKey } from './verdicts';
import { Packing, type PackingSnapshot, type PlacementAsk, type PlacementFailure, type Shortfall } from './placement';

/**
 * N+1: can the fleet lose any one host and recreate its guests on the others?
 * Guests live on local disks, so a dead host's guests are not failed over but
 * created again from code elsewhere: its capacity is gone, and its guests,
 * largest first, go to the first host that admits them (`Packing.choose`
 * First-Fit, the dead host excluded), each counting the ones re-placed before
 * it. First-Fit Decreasing, not placement's weighing: the question is whether
 * the guests fit at all, and every plan asks it for every host, so the scan
 * stops at the first host with room instead of weighing them all (placement's
 * weighing would make N+1 on 1,000 hosts cost tens of seconds).
 */

/** A guest the fleet could not recreate after losing its host, and why (the placement failure). */
export interface Homeless {
  guest: string;
  failure: PlacementFailure;
}

/** A host whose loss the fleet cannot absorb. */
export interface HostLoss {
  host: string;
  /** Guests the host runs. */
  guests: number;
  /** Those that would find no host, largest first. */
  homeless: Homeless[];
}

/** Which hosts a guest may be recreated on: its provider and, for a guest hvkit placed, its selector. */
export type AskOf = (guest: GuestSpec) => PlacementAsk;

/**
 * The asks of a fleet's guests: a guest code pins to a host may be recreated
 * on any host of the same provider; a guest hvkit places keeps its
 * placement's provider and selector (from `code.unplaced`), and each disk
 * code puts `on` a named host disk stays on one of that name.
 */
export function asksOf(hosts: Manifest['hosts'], code: Pick<Manifest, 'unplaced'>): AskOf {
  const provider = new Map(hosts.map((h) => [h.name, h.provider]));
  const placed = new Map((code.unplaced ?? []).map((g) => [g.name, g]));
  return (guest) => {
    const u = placed.get(guest.name);
    return u ? { guest: withCodeDisks(guest, u.disks), provider: u.placement.provider, selector: u.placement.selector } : { guest, provider: provider.get(guest.host)!, selector: {} };
  };
}

/** A disk code puts `on` a host disk stays on a disk of that name when the guest is recreated elsewhere. */
function withCodeDisks(g: GuestSpec, code: readonly GuestDisk[]): GuestSpec {
  if (g.disks.every((d, i) => code[i] === undefined || code[i].on === '' || d.on === code[i].on)) return g;
  return { ...g, disks: g.disks.map((d, i) => (code[i] && code[i].on !== '' ? { ...d, on: code[i].on } : d)) };
}

/** Largest first (memory, vCPUs, disk), then by name: the hardest guests find room while there is most. */
function largestFirst(a: GuestSpec, b: GuestSpec): number {
  const disk = (g: GuestSpec) => g.disks.reduce((s, d) => s + d.sizeMiB, 0);
  return b.memoryMiB - a.memoryMiB || b.vcpus - a.vcpus || disk(b) - disk(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The guest as it would be created again: new disks, on whichever host disk placement picks. */
function recreated(g: GuestSpec): GuestSpec {
  return g.disks.length ? { ...g, disks: g.disks.map((d) => ({ ...d, on: '' })) } : g;
}

/** What losing a host does: the guests the others could not take, and the hosts that took the rest. */
interface Loss {
  homeless: Homeless[];
  targets: Set<string>;
}

/**
 * Where a First-Fit scan for a guest may start, per shape (provider,
 * selector and what admission reads): every host before it is known to
 * refuse the shape. Adding guests never makes a host admit what it refused
 * (every limit only tightens), so what refused on the fleet as it stands
 * refuses in every loss, and what refused in a loss refuses for the rest of
 * it. Guests with more than one disk are left out: the disk `onHost` picks
 * for each is greedy, and a fuller host could pick a better spread.
 */
interface Cursors {
  /** Hosts' positions in name order. */
  pos: Map<string, number>;
  /** Known to refuse on the fleet as it stands (no loss applied). */
  base: Map<string, number>;
}

function cursorKey(ask: PlacementAsk): string | undefined {
  if (ask.guest.disks.length > 1) return undefined;
  const sel = ask.selector ?? {};
  return `${ask.provider}|${Object.keys(sel).sort().map((k) => `${k}=${sel[k]}`).join('|')}|${shapeKey(ask.guest, 'first-fit')}`;
}

/**
 * Loses `host` on `work`, which is left exactly as it was (every host a guest
 * went to is restored from a snapshot). With `firstOnly`, stops at the first
 * guest that finds no host.
 */
function lose(work: Packing, host: string, askOf: AskOf, firstOnly: boolean, cursors?: Cursors, explain = true): Loss {
  const exclude = new Set([host]);
  const targets = new Set<string>();
  const snaps: PackingSnapshot[] = [];
  const homeless: Homeless[] = [];
  const local = new Map<string, number>();
  const dead = cursors?.pos.get(host) ?? -1;
  for (const g of work.guestsOn(host).sort(largestFirst)) {
    const ask = askOf(recreated(g));
    const key = cursors && cursorKey(ask);
    const startAt = key ? Math.max(cursors.base.get(key) ?? 0, local.get(key) ?? 0) : 0;
    const c = work.choose(ask, { exclude, weigh: 'first-fit', startAt, explain });
    if (c.ok) {
      if (key) {
        const at = cursors.pos.get(c.host)!;
        local.set(key, at);
        // Untouched by this loss yet: the fleet as it stands, but for the dead host, which was skipped, not refused.
        if (targets.size === 0) cursors.base.set(key, startAt <= dead && dead < at ? dead : at);
      }
      if (!targets.has(c.host)) snaps.push(work.snapshot([c.host]));
      targets.add(c.host);
      work.add(c.host, c.guest, c.usage);
      continue;
    }
    homeless.push({ guest: g.name, failure: c.failure });
    if (firstOnly) break;
  }
  for (const snap of snaps) work.restore(snap);
  return { homeless, targets };
}

/**
 * Every host whose loss the fleet cannot absorb, in name order, with the
 * guests that would be left without a host. An empty list: the fleet is N+1.
 * @param opts.skipRefused start each scan past hosts known to refuse the guest (same answer, faster); @default true
 */
export function nPlusOne(packing: Packing, askOf: AskOf, opts: { skipRefused?: boolean } = {}): HostLoss[] {
  const out: HostLoss[] = [];
  const cursors = opts.skipRefused === false ? undefined : { pos: new Map(packing.hosts.map((h, i) => [h, i])), base: new Map<string, number>() };
  for (const h of packing.hosts) {
    if (!packing.inUse(h)) continue;
    // Each loss is tried on the packing itself and undone exactly: no copy of the fleet per host.
    const { homeless } = lose(packing, h, askOf, false, cursors);
    if (homeless.length) out.push({ host: h, guests: packing.guestsOn(h).length, homeless });
  }
  return out;
}

/**
 * The hosts whose loss the fleet cannot absorb, in name order, without saying
 * why (each loss stops at its first homeless guest, and no closest host is
 * looked for): the same hosts as `nPlusOne`, for questions that only need yes
 * or no, asked many times ("how many more fit" keeping N+1).
 * @param stopAtFirst stop at the first such host; @default false
 */
export function hostsBeyondNPlusOne(packing: Packing, askOf: AskOf, stopAtFirst = false): string[] {
  const out: string[] = [];
  const cursors = { pos: new Map(packing.hosts.map((h, i) => [h, i])), base: new Map<string, number>() };
  for (const h of packing.hosts) {
    if (!packing.inUse(h)) continue;
    if (lose(packing, h, askOf, true, cursors, false).homeless.length) {
      out.push(h);
      if (stopAtFirst) break;
    }
  }
  return out;
}

/**
 * Keeps a fleet N+1 while guests are added one at a time ("how many more
 * fit" with N+1, placement under `nPlusOne: 'require'`). It remembers which
 * hosts took each host's guests in its loss: adding a guest to a host can
 * only break the loss of that host, and of the hosts whose guests it took
 * (any other recreation still stands as it was), so only those are run again.
 * Hosts whose loss was beyond the fleet when the watch began are not held to it.
 */
export class NPlusOneWatch {
  private readonly work: Packing;
  /** Hosts that took a host's guests in its loss; absent: not in use, or beyond the fleet from the start. */
  private readonly took = new Map<string, Set<string>>();
  /** Hosts whose loss was beyond the fleet when the watch began. */
  readonly beyond: readonly string[];
  private readonly beyondSet: ReadonlySet<string>;
  /** False once a host the fleet absorbed is beyond it after all (a guest added that `keeps` would have refused). */
  private held = true;
  /** The last trial `keeps` accepted, and the hosts that took each loss it ran: what `catchUp` takes in if that guest is placed there. */
  private tried: { host: string; guest: GuestSpec; took: Map<string, Set<string>> } | undefined;

  constructor(packing: Packing, private readonly askOf: AskOf) {
    this.work = packing.clone();
    const beyond: string[] = [];
    for (const h of this.work.hosts) {
      if (!this.work.inUse(h)) continue;
      const loss = lose(this.work, h, askOf, true);
      if (loss.homeless.length) beyond.push(h);
      else this.took.set(h, loss.targets);
    }
    this.beyond = beyond;
    this.beyondSet = new Set(beyond);
  }

  /** The fleet as the watch holds it (with every guest `add`ed). */
  get packing(): Packing {
    return this.work;
  }

  /** Whether every host the fleet absorbed when the watch began, and every host in use since, is still absorbed. */
  get holds(): boolean {
    return this.held;
  }

  /** Whether the fleet would still absorb the loss of every host it absorbed before, with `guest` on `host`. */
  keeps(host: string, guest: GuestSpec): boolean {
    this.tried = undefined;
    const r = this.work.tryPlace(host, guest);
    if (!r.ok) return false;
    const snap = this.work.snapshot([host]);
    this.work.add(host, r.guest, r.usage);
    const took = new Map<string, Set<string>>();
    let ok = true;
    for (const h of this.affected([host])) {
      const loss = lose(this.work, h, this.askOf, true);
      if (loss.homeless.length) {
        ok = false;
        break;
      }
      took.set(h, loss.targets);
    }
    this.work.restore(snap);
    if (ok) this.tried = { host, guest, took };
    return ok;
  }

  /** Adds a guest (as `Packing.choose` or `tryPlace` returned it) and brings what the watch knows up to date. */
  add(host: string, guest: GuestSpec): void {
    this.tried = undefined;
    const affected = this.affected([host]);
    this.work.add(host, guest);
    this.rerun(affected);
  }

  /**
   * Takes in what changed on `live` (the packing the watch was made from)
   * since its `version` read `mark`: false, changing nothing, when a host
   * lost a guest the watch holds or a host was opened (only guests added
   * can be caught up on).
   */
  catchUp(live: Packing, mark: number): boolean {
    // A host opened since: the watch's losses never counted it.
    if (live.hosts.length !== this.work.hosts.length) return false;
    const changed = live.changedSince(mark);
    for (const h of changed) {
      const now = new Set(live.guestsOn(h).map((g) => g.name));
      if (this.work.guestsOn(h).some((g) => !now.has(g.name))) return false;
    }
    const tried = this.tried;
    this.tried = undefined;
    if (!changed.length) return true;
    if (tried && changed.length === 1 && changed[0] === tried.host && this.onlyAdded(live, tried.host, tried.guest)) {
      // The guest `keeps` last accepted, placed where it was tried: the losses the trial ran are the fleet's now.
      this.work.restore(live.snapshot([tried.host]));
      for (const [h, targets] of tried.took) this.took.set(h, targets);
      return true;
    }
    const affected = this.affected(changed);
    for (const h of changed) this.work.restore(live.snapshot([h]));
    this.rerun(affected);
    return true;
  }

  /** Whether `live` runs on `host` exactly the watch's guests and `guest` (that very object, as placement adds what it was offered). */
  private onlyAdded(live: Packing, host: string, guest: GuestSpec): boolean {
    const now = live.guestsOn(host);
    return now.length === this.work.guestCount(host) + 1 && now.includes(guest);
  }

  private rerun(hosts: readonly string[]): void {
    for (const h of hosts) {
      const loss = lose(this.work, h, this.askOf, true);
      if (loss.homeless.length) this.held = false;
      this.took.set(h, loss.targets);
    }
  }

  /**
   * The hosts whose loss a guest added to `hosts` can change: those hosts
   * (but for the ones beyond from the start) and the hosts whose guests they
   * took; any other recreation still stands as it was.
   */
  private affected(hosts: readonly string[]): string[] {
    const touched = new Set(hosts);
    const out = hosts.filter((h) => !this.beyondSet.has(h));
    for (const [h, targets] of this.took) {
      if (touched.has(h)) continue;
      for (const t of targets) {
        if (!touched.has(t)) continue;
        out.push(h);
        break;
      }
    }
    return out;
  }
}

/**
 * Placement's `accept` for `nPlusOne: 'require'` on a packing placement
 * changes itself (lib/plan/placement.ts): a guest may go on a host only if no
 * host whose loss the fleet absorbed before would then be beyond it. Hosts
 * already beyond it when placement first asks (pinned guests' doing, an error
 * of its own) do not refuse every placement. The packing is not changed.
 *
 * It keeps an {@link NPlusOneWatch} in step with the packing (the guests
 * placement added since the last ask), so an ask runs again only the losses
 * the guest can change, not every host's: the same answers as
 * {@link keepsNPlusOneByFullCheck}, which it falls back on where the watch
 * cannot follow (a guest taken away, a host absorbed before now beyond).
 */
export function keepsNPlusOne(askOf: AskOf): (host: string, guest: GuestSpec, packing: Packing) => boolean {
  let beyond: ReadonlySet<string> | undefined;
  let watch: NPlusOneWatch | undefined;
  let live: Packing | undefined;
  let mark = 0;
  return (host, guest, packing) => {
    if (watch === undefined || live !== packing || !watch.catchUp(packing, mark)) {
      watch = new NPlusOneWatch(packing, askOf);
      live = packing;
    }
    mark = packing.version;
    beyond ??= new Set(watch.beyond);
    const same = watch.beyond.length === beyond.size && watch.beyond.every((h) => beyond!.has(h));
    return same && watch.holds ? watch.keeps(host, guest) : keepsAll(packing, host, guest, askOf, beyond);
  };
}

/**
 * `keepsNPlusOne` by definition: with the guest tried on the host, every host
 * in use (but those beyond N+1 when first asked) has its loss run again. The
 * packing is tried on and put back exactly as it was.
 */
export function keepsNPlusOneByFullCheck(askOf: AskOf): (host: string, guest: GuestSpec, packing: Packing) => boolean {
  let beyond: ReadonlySet<string> | undefined;
  return (host, guest, packing) => {
    beyond ??= new Set(new NPlusOneWatch(packing, askOf).beyond);
    return keepsAll(packing, host, guest, askOf, beyond);
  };
}

/** With `guest` on `host`, whether every host in use but those `beyond` has its loss absorbed, run again one by one. */
function keepsAll(packing: Packing, host: string, guest: GuestSpec, askOf: AskOf, beyond: ReadonlySet<string>): boolean {
  const r = packing.tryPlace(host, guest);
  if (!r.ok) return false;
  const snap = packing.snapshot([host]);
  packing.add(host, r.guest, r.usage);
  const ok = packing.hosts.every((h) => !packing.inUse(h) || beyond.has(h) || lose(packing, h, askOf, true).homeless.length === 0);
  packing.restore(snap);
  return ok;
}

/** A fleet as it will be: its hosts (coded memory) and guests, for N+1 and "how many more fit". */
export function packingOf(manifest: Pick<Manifest, 'hosts' | 'guests'>): Packing {
  const byHost = new Map<string, GuestSpec[]>(manifest.hosts.map((h) => [h.name, []]));
  for (const g of manifest.guests) byHost.get(g.host)?.push(g);
  return new Packing(manifest.hosts.map((h) => ({ spec: h, guests: byHost.get(h.name)! })));
}

/** `needs 5.5GiB memory, 4.2GiB free`: what one resource lacks, in words. */
export function shortfallText(s: Shortfall): string {
  switch (s.resource) {
    case 'memory': return `needs ${formatSize(s.need)} memory, ${formatSize(s.free)} free`;
    case 'vcpus': return `needs ${s.need} vCPUs, ${s.free} free`;
    case 'disk': return `needs ${formatSize(s.need)} on disk ${s.detail}, ${formatSize(s.free)} free`;
    case 'anti-affinity': return `already runs a guest of anti-affinity group ${s.detail}`;
    case 'cpu-load': return `needs ${s.need} cores of CPU load, ${s.free} left`;
    case 'iops': return `needs ${s.need} IOPS, ${s.free} left`;
    case 'network': return `needs ${s.need} Mbit/s, ${s.free} left`;
    default: return assertNever(s.resource, 'shortfall');
  }
}

/** Why one guest would be left without a host, in words. */
export function homelessText(h: Homeless): string {
  const f = h.failure;
  switch (f.code) {
    case 'no-fit': return `${h.guest} (closest ${f.detail.closest}: ${f.detail.short.map(shortfallText).join('; ')})`;
    case 'no-candidates': {
      const sel = Object.entries(f.detail.selector).map(([k, v]) => `${k}=${v}`).join(', ');
      return `${h.guest} (no other ${f.detail.provider} host${sel ? ` with ${sel}` : ''})`;
    }
    case 'not-accepted': return `${h.guest} (no host would keep the fleet N+1)`;
    default: return assertNever(f, 'placement failure');
  }
}

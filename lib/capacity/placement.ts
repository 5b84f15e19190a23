import type { GuestSpec, HostSpec, ProviderName } from '../manifest/types';
import { admit, hostUsage, release, type Breach, type HostUsage } from './admit';
import { assertNever } from '../errors';
import { admits, admitsFigures, crossesSoft, crossesSoftFigures, F_CFG, onHost, F_IN_USE, F_SIMPLE, fillHostFigures, HOST_FIGURES } from './fits';
import { gapOf, shortfalls, whyOf } from './placement-why';
import { heapPop, heapPush, ranksBefore, Verdicts, type HeapEntry, type ShapeVerdicts } from './verdicts';
import { bestFitScore, hvkitScore, hvkitScoreFigures, type WeighPolicy } from './weigh';
import { guestOverheadMiB } from './usage';

export type { WeighPolicy };
export type { ChooseOptions, Choice, PackHost, PackingSnapshot, PlacementAsk, PlacementFailure, PlacementWhy, Shortfall, Utilization, WeighedResource } from './placement-types';
import type { ChooseOptions, Choice, PackHost, PackingSnapshot, PlacementAsk, PlacementFailure, Shortfall } from './placement-types';

/**
 * Placement: where a guest without a host goes (Nova's filter–weigh, on
 * Ganeti's `Node.addPri`). Every verdict of "fits" comes from `admit`; this
 * file only chooses among the hosts `admit` accepts. docs/placement.md
 * describes the scoring and how it differs from Ganeti, Nova and Kubernetes.
 */

interface Slot {
  name: string;
  /** Position in name order. */
  index: number;
  spec: HostSpec;
  usage: HostUsage;
  guests: Map<string, GuestSpec>;
}

/** The hvkit order for one host: soft limits crossed, empty, then the score (lower first). */
interface Rank {
  soft: number;
  empty: number;
  score: number;
}

/**
 * A fleet's hosts and the guests on them, changed one guest at a time:
 * placement, N+1, "how many more fit", rebalancing and the simulator all
 * work on one of these. Hosts are kept in name order, so every scan (and
 * every tie) is deterministic.
 */
export class Packing {
  private slots = new Map<string, Slot>();
  /** Slots in name order: the scan `choose` runs on every host. */
  private list: Slot[] = [];
  /** Admission and rank per host and guest shape, re-worked only where a host's usage changed. */
  private verdicts = new Verdicts();
  /** When each host's usage last changed (a clock tick; by position): what tells the verdicts they are stale. */
  private stamps: number[] = [];
  private clock = 0;
  /** Positions of hosts whose usage changed, in order: what a shape's verdicts catch up on. */
  private log: number[] = [];
  /** Hosts (by position) of a provider carrying a selector's tags, per provider and selector. */
  private matching = new Map<string, { match: Uint8Array; key: string; count: number }>();
  /** Each host's usage as flat numbers (fits.ts `fillHostFigures`), a row of `HOST_FIGURES` per position: what the scan reads. */
  private figures = new Float64Array(0);
  /** The capacity configs of the hosts, each once, as `F_CFG` numbers them. */
  private cfgs: HostSpec['capacity'][] = [];
  private cfgIndex = new Map<string, number>();
  /** Position of the host the last successful `choose` returned (-1: none): the scan weighs it first. */
  private lastChosen = -1;
  /** Host names in order. */
  hosts: readonly string[];

  constructor(hosts: readonly PackHost[]) {
    const sorted = [...hosts].sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0));
    for (const h of sorted) {
      const slot = { name: h.spec.name, index: this.list.length, spec: h.spec, usage: hostUsage(h.spec, h.guests, h.installed), guests: new Map(h.guests.map((g) => [g.name, g])) };
      this.slots.set(h.spec.name, slot);
      this.list.push(slot);
      this.stamps.push(++this.clock);
    }
    this.hosts = sorted.map((h) => h.spec.name);
    this.fillFigures();
  }

  /** A copy that can be changed without changing this one (N+1 and what-if runs). */
  clone(): Packing {
    const c = Object.create(Packing.prototype) as Packing;
    const slots = new Map<string, Slot>();
    const list: Slot[] = [];
    for (const s of this.list) {
      const copy = { name: s.name, index: s.index, spec: s.spec, usage: s.usage, guests: new Map(s.guests) };
      slots.set(s.name, copy);
      list.push(copy);
    }
    Object.assign(c, { slots, list, hosts: this.hosts, verdicts: new Verdicts(), stamps: [...this.stamps], clock: this.clock, matching: new Map(), log: [], figures: this.figures.slice(), lastChosen: -1, cfgs: [...this.cfgs], cfgIndex: new Map(this.cfgIndex) });
    return c;
  }

  /**
   * Adds a host (the simulator opens hosts as demand grows); it takes its
   * place in name order. Throws when a host of that name is already there.
   */
  addHost(h: PackHost): void {
    if (this.slots.has(h.spec.name)) throw new Error(`host '${h.spec.name}' is already in the packing`);
    const slot = { name: h.spec.name, index: 0, spec: h.spec, usage: hostUsage(h.spec, h.guests, h.installed), guests: new Map(h.guests.map((g) => [g.name, g])) };
    let i = this.list.length;
    while (i > 0 && this.list[i - 1].name > slot.name) i--;
    this.list.splice(i, 0, slot);
    this.stamps.splice(i, 0, ++this.clock);
    for (let k = i; k < this.list.length; k++) this.list[k].index = k;
    this.verdicts.clear();
    this.matching.clear();
    this.lastChosen = -1;
    this.log = [];
    this.slots.set(slot.name, slot);
    this.hosts = this.list.map((s) => s.name);
    this.fillFigures();
  }

  /**
   * `addHost` for a host whose name sorts after every host's (the simulator
   * buys hosts in name order): no host moves, so only the new host's row of
   * figures is worked out, and opening the 10,000th host costs no more than
   * the first. Any other name goes through `addHost`.
   */
  appendHost(h: PackHost): void {
    const n = this.list.length;
    if (this.slots.has(h.spec.name) || (n > 0 && this.list[n - 1].name > h.spec.name)) return this.addHost(h);
    const slot = { name: h.spec.name, index: n, spec: h.spec, usage: hostUsage(h.spec, h.guests, h.installed), guests: new Map(h.guests.map((g) => [g.name, g])) };
    this.list.push(slot);
    this.stamps.push(++this.clock);
    this.verdicts.clear();
    this.matching.clear();
    this.lastChosen = -1;
    this.log = [];
    this.slots.set(slot.name, slot);
    this.hosts = [...this.hosts, slot.name];
    // Room for twice the hosts: rows past the last host are never read.
    if (this.figures.length < (n + 1) * HOST_FIGURES) {
      const grown = new Float64Array(Math.max(16, 2 * (n + 1)) * HOST_FIGURES);
      grown.set(this.figures.subarray(0, n * HOST_FIGURES));
      this.figures = grown;
    }
    this.fillFigure(slot);
  }

  spec(host: string): HostSpec {
    return this.slot(host).spec;
  }

  usage(host: string): HostUsage {
    return this.slot(host).usage;
  }

  guestsOn(host: string): GuestSpec[] {
    return [...this.slot(host).guests.values()];
  }

  /** How many guests the host runs. */
  guestCount(host: string): number {
    return this.slot(host).guests.size;
  }

  /** Whether the host runs at least one guest. */
  inUse(host: string): boolean {
    return this.slot(host).guests.size > 0;
  }

  /**
   * Ganeti's `Node.addPri` on this packing: the guest as it would run there
   * (disks without `on` given a host disk) and the host's new usage, or the
   * limits it breaks. Changes nothing.
   */
  tryPlace(host: string, guest: GuestSpec): { ok: true; guest: GuestSpec; usage: HostUsage; warnings: Breach[] } | { ok: false; breaches: Breach[]; guest: GuestSpec } {
    const s = this.slot(host);
    const placed = onHost(guest, s.usage);
    const r = admit(s.usage, placed);
    return r.ok ? { ok: true, guest: placed, usage: r.usage, warnings: r.warnings } : { ok: false, breaches: r.breaches, guest: placed };
  }

  /** Whether the host admits the guest (`tryPlace(...).ok`), from the allocation-free pre-check. */
  admits(host: string, guest: GuestSpec): boolean {
    return admits(this.slot(host).usage, guest);
  }

  /**
   * Whether the host would admit the guest were the named guests it runs
   * gone (names it does not run are ignored). Changes nothing: placement's
   * repair asks it before moving anything, and its error whether guests
   * placed in the same plan took a guest's room.
   */
  admitsWithout(host: string, guest: GuestSpec, without: readonly string[]): boolean {
    const s = this.slot(host);
    let u = s.usage;
    for (const name of without) {
      const g = s.guests.get(name);
      if (g) u = release(u, g);
    }
    return admits(u, guest);
  }

  /** How many hosts of the provider carry every tag of the selector: the hosts a guest could go on at all, whatever they run. */
  matchingCount(provider: ProviderName, selector: Readonly<Record<string, string>> = {}): number {
    return this.matchingHosts(provider, selector).count;
  }

  /** The hosts (in name order) of the provider that carry every tag of the selector. */
  matchingHostNames(provider: ProviderName, selector: Readonly<Record<string, string>> = {}): string[] {
    const { match } = this.matchingHosts(provider, selector);
    return this.list.filter((_, i) => match[i] === 1).map((s) => s.name);
  }

  /** A mark of the changes so far, for {@link changedSince}. */
  get version(): number {
    return this.clock;
  }

  /** Hosts whose guests may have changed since {@link version} read `mark` (restored ones too), in name order. */
  changedSince(mark: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.list.length; i++) if (this.stamps[i] > mark) out.push(this.list[i].name);
    return out;
  }

  /** Puts a guest (as `tryPlace` returned it) on a host, whatever it breaks: callers check first. */
  add(host: string, guest: GuestSpec, usage?: HostUsage): void {
    const s = this.slot(host);
    const placed = guest.host === host ? guest : { ...guest, host };
    s.usage = usage ?? hostUsage(s.spec, [...s.guests.values(), placed], s.usage.capacities.memory);
    this.changed(s);
    s.guests.set(placed.name, placed);
  }

  /** The hosts' guests and usage as they are now, for {@link restore} (a trial that may be undone). */
  snapshot(hosts: readonly string[]): PackingSnapshot {
    return hosts.map((h) => {
      const s = this.slot(h);
      return { host: h, usage: s.usage, guests: new Map(s.guests) };
    });
  }

  /** Puts hosts back exactly as a {@link snapshot} saw them (usage figures included, to the last bit). */
  restore(snap: PackingSnapshot): void {
    for (const e of snap) {
      const s = this.slot(e.host);
      s.usage = e.usage;
      this.changed(s);
      s.guests = new Map(e.guests);
    }
  }

  /** Takes a guest off its host; returns it, or undefined when the host does not run it. */
  remove(host: string, name: string): GuestSpec | undefined {
    const s = this.slot(host);
    const g = s.guests.get(name);
    if (!g) return undefined;
    s.usage = release(s.usage, g);
    this.changed(s);
    s.guests.delete(name);
    return g;
  }

  /**
   * Filter–weigh: the host a guest should go on. Filters: provider, selector,
   * `exclude`, every hard limit and anti-affinity (`admit`), `accept`. Then,
   * best first: the sticky host if it still admits the guest; hosts where no
   * soft limit is crossed; hosts already in use; the lowest
   * {@link hvkitScore} (free capacity left plus capacity left stranded); the
   * host name. `weigh` swaps the ranking for First-Fit or Best-Fit (the
   * simulator's reference rows). The scan runs the allocation-free
   * pre-check (`admits`) on every host and `admit` on the winner only.
   */
  choose(ask: PlacementAsk, opts: ChooseOptions = {}): Choice {
    const selector = ask.selector ?? {};
    const policy = opts.weigh ?? 'hvkit';
    if (opts.sticky && this.slots.has(opts.sticky) && !opts.exclude?.has(opts.sticky) && this.matches(this.slot(opts.sticky), ask.provider, selector)) {
      const r = this.tryPlace(opts.sticky, ask.guest);
      if (r.ok && (!opts.accept || opts.accept(opts.sticky, r.guest))) {
        return { ok: true, host: opts.sticky, guest: r.guest, usage: r.usage, why: whyOf(this.slot(opts.sticky).usage, r.guest, r.usage, r.warnings, true, 1) };
      }
    }
    let matching = 0;
    let candidates = 0;
    let best = -1;
    let start = 0;
    // With `accept`, every admitting host is kept so the next best can be offered.
    const all: { slot: Slot; rank: HeapEntry }[] | undefined = opts.accept ? [] : undefined;
    const exclude = opts.exclude;
    const list = this.list;
    const stamps = this.stamps;
    const g = ask.guest;
    const { match, key, count } = this.matchingHosts(ask.provider, selector);
    // A shape seen for the first time is scanned without keeping verdicts: most guests of a real fleet have a shape of their own.
    const v = this.verdicts.of(g, policy, list.length, key);
    if (v === undefined) {
      const r = this.scan(g, policy, match, exclude, all);
      matching = r.matching;
      candidates = r.candidates;
      best = r.best;
    } else if (!exclude && !all && policy !== 'first-fit') {
      // The common case: the shape's heap, caught up on the hosts that changed since it was last asked.
      this.catchUp(v, g, policy, match);
      matching = count;
      candidates = v.okCount;
      const h = v.heap;
      while (h.length && h[0].stamp !== stamps[h[0].i]) heapPop(h);
      if (h.length) best = h[0].i;
    } else {
      start = policy === 'first-fit' && !all ? opts.startAt ?? 0 : 0;
      for (let i = start; i < list.length; i++) {
        if (match[i] === 0 || (exclude !== undefined && exclude.has(list[i].name))) continue;
        matching++;
        if (v.stamp[i] !== stamps[i]) this.refresh(v, i, g, policy);
        if (!v.ok[i]) continue;
        candidates++;
        if (policy === 'first-fit' && !all) {
          best = i;
          break;
        }
        const e: HeapEntry = { i, stamp: 0, soft: v.soft[i], empty: v.empty[i], score: v.score[i] };
        if (all) all.push({ slot: list[i], rank: e });
        else if (best < 0 || ranksBefore(e, { i: best, stamp: 0, soft: v.soft[best], empty: v.empty[best], score: v.score[best] })) best = i;
      }
    }
    if (best < 0 && start > 0) return this.choose(ask, { ...opts, startAt: 0 });
    if (matching === 0) return { ok: false, failure: { code: 'no-candidates', detail: { provider: ask.provider, selector: { ...selector } } } };
    if (candidates === 0) return { ok: false, failure: opts.explain === false ? { code: 'no-fit', detail: { candidates: matching, closest: '', short: [] } } : this.noFit(ask, opts, matching) };
    const order = all ? all.sort((a, b) => (ranksBefore(a.rank, b.rank) ? -1 : 1)).map((c) => c.slot) : [list[best]];
    for (const s of order) {
      const r = this.tryPlace(s.name, ask.guest);
      // The pre-check computes admit's own inequalities; a disagreement is a bug, not a fit verdict.
      if (!r.ok) throw new Error(`placement pre-check admitted ${ask.guest.name} on ${s.name} but admit refused it (${r.breaches.map((b) => b.mode).join(', ')})`);
      if (opts.accept && !opts.accept(s.name, r.guest)) continue;
      this.lastChosen = s.index;
      return { ok: true, host: s.name, guest: r.guest, usage: r.usage, why: whyOf(s.usage, r.guest, r.usage, r.warnings, false, candidates) };
    }
    return { ok: false, failure: { code: 'not-accepted', detail: { candidates } } };
  }

  /**
   * `choose(ask, { weigh: policy })` restricted to `hosts` (names, any
   * order), for a caller that has proved every other host either does not
   * admit the guest or ranks after one of these (host-index.ts, the
   * simulator's index): the same filter (`admits`), the same order
   * (`rankOf`, `ranksBefore`, ties by name order) and the winner confirmed
   * with `admit`. No sticky host, exclusions, `accept` or explanation;
   * provider and selector are the caller's to have checked. Undefined when
   * none of them admits the guest.
   */
  chooseAmong(guest: GuestSpec, hosts: readonly string[], policy: WeighPolicy): { host: string; guest: GuestSpec; usage: HostUsage } | undefined {
    let best: Slot | undefined;
    for (const h of hosts) {
      const s = this.slot(h);
      if (!admits(s.usage, guest)) continue;
      rankOf(s.usage, guest, policy, RANK);
      AMONG_E.i = s.index;
      AMONG_E.soft = RANK.soft;
      AMONG_E.empty = RANK.empty;
      AMONG_E.score = RANK.score;
      if (best === undefined || ranksBefore(AMONG_E, AMONG_B)) {
        best = s;
        AMONG_B.i = s.index;
        AMONG_B.soft = RANK.soft;
        AMONG_B.empty = RANK.empty;
        AMONG_B.score = RANK.score;
      }
    }
    if (best === undefined) return undefined;
    const r = this.tryPlace(best.name, guest);
    if (!r.ok) throw new Error(`placement pre-check admitted ${guest.name} on ${best.name} but admit refused it (${r.breaches.map((b) => b.mode).join(', ')})`);
    this.lastChosen = best.index;
    return { host: best.name, guest: r.guest, usage: r.usage };
  }

  /**
   * One pass over the matching hosts with no verdicts kept: the choice the
   * verdict heap would make, for a shape not seen before. Hosts that cannot
   * beat the best so far on soft limits or being in use are only counted
   * (`admits`), not weighed.
   */
  private scan(g: GuestSpec, policy: WeighPolicy, match: Uint8Array, exclude: ReadonlySet<string> | undefined, all: { slot: Slot; rank: HeapEntry }[] | undefined): { matching: number; candidates: number; best: number } {
    const list = this.list;
    const f = this.figures;
    let matching = 0;
    let candidates = 0;
    let best = -1;
    let bSoft = 0;
    let bEmpty = 0;
    let bScore = 0;
    // Hosts and a guest the row of figures answers for exactly; any other pair goes through `admits` and `rankOf`.
    let quickGuest = true;
    for (const d of g.disks) if (d.on !== '') quickGuest = false;
    // The guest's overhead under each capacity config the hosts have: worked out once, not per host.
    const overheads = this.cfgs.map((c) => guestOverheadMiB(g, c));
    // The last host chosen is weighed first: guests tend to follow one another there, and a low best lets the scan skip weighing most hosts.
    const seed = this.lastChosen;
    if (policy === 'hvkit' && !all && quickGuest && seed >= 0 && seed < list.length && match[seed] === 1 && !exclude?.has(list[seed].name)) {
      const at = seed * HOST_FIGURES;
      const overhead = overheads[f[at + F_CFG]];
      if (f[at + F_SIMPLE] === 1 && admitsFigures(f, at, g, overhead)) {
        best = seed;
        bSoft = crossesSoftFigures(f, at, g) ? 1 : 0;
        bEmpty = f[at + F_IN_USE] === 1 ? 0 : 1;
        bScore = hvkitScoreFigures(f, at, g, overhead, Infinity, false);
      }
    }
    for (let i = 0; i < list.length; i++) {
      if (match[i] === 0 || (exclude !== undefined && exclude.has(list[i].name))) continue;
      matching++;
      const slot = list[i];
      const at = i * HOST_FIGURES;
      const quick = quickGuest && f[at + F_SIMPLE] === 1;
      const overhead = quick ? overheads[f[at + F_CFG]] : 0;
      if (!(quick ? admitsFigures(f, at, g, overhead) : admits(slot.usage, g))) continue;
      candidates++;
      if (policy === 'first-fit') {
        if (all) all.push({ slot, rank: { i, stamp: 0, soft: 0, empty: 0, score: 0 } });
        else {
          best = i;
          break;
        }
        continue;
      }
      if (all || !quick || policy !== 'hvkit') {
        rankOf(slot.usage, g, policy, RANK);
      } else {
        RANK.empty = f[at + F_IN_USE] === 1 ? 0 : 1;
        // Lexicographic order: a host worse on soft limits or on being in use loses whatever its score.
        if (best >= 0 && bSoft === 0 && bEmpty === 0 && RANK.empty === 1) continue;
        RANK.soft = crossesSoftFigures(f, at, g) ? 1 : 0;
        if (best >= 0 && (RANK.soft > bSoft || (RANK.soft === bSoft && RANK.empty > bEmpty))) continue;
        if (i === best) continue;
        RANK.score = hvkitScoreFigures(f, at, g, overhead, best >= 0 && RANK.soft === bSoft && RANK.empty === bEmpty ? bScore : Infinity, i < best);
        if (RANK.score === Infinity) continue;
      }
      if (all) {
        all.push({ slot, rank: { i, stamp: 0, soft: RANK.soft, empty: RANK.empty, score: RANK.score } });
        continue;
      }
      // A tie goes to the earlier position (the seed may come after this host).
      if (best < 0 || RANK.soft < bSoft || (RANK.soft === bSoft && (RANK.empty < bEmpty || (RANK.empty === bEmpty && (RANK.score < bScore || (RANK.score === bScore && i < best)))))) {
        best = i;
        bSoft = RANK.soft;
        bEmpty = RANK.empty;
        bScore = RANK.score;
      }
    }
    return { matching, candidates, best };
  }

  /** The host short by the least, and what it lacks: only worked out when no host admits the guest. */
  private noFit(ask: PlacementAsk, opts: ChooseOptions, matching: number): PlacementFailure {
    let closest: { host: string; short: Shortfall[]; gap: number } | undefined;
    for (const s of this.list) {
      if (opts.exclude?.has(s.name) || !this.matches(s, ask.provider, ask.selector ?? {})) continue;
      const r = this.tryPlace(s.name, ask.guest);
      if (r.ok) continue;
      const short = shortfalls(s.usage, r.guest, r.breaches);
      const gap = gapOf(short, s.usage);
      if (!closest || gap < closest.gap) closest = { host: s.name, short, gap };
    }
    return { code: 'no-fit', detail: { candidates: matching, closest: closest!.host, short: closest!.short } };
  }

  private changed(s: Slot): void {
    this.stamps[s.index] = ++this.clock;
    this.log.push(s.index);
    // A host's spec (and so its config number, F_CFG) never changes; only its usage figures do.
    fillHostFigures(s.usage, this.figures, s.index * HOST_FIGURES);
  }

  private fillFigures(): void {
    this.figures = new Float64Array(this.list.length * HOST_FIGURES);
    this.cfgs = [];
    this.cfgIndex = new Map();
    for (const s of this.list) this.fillFigure(s);
  }

  private fillFigure(s: Slot): void {
    const at = s.index * HOST_FIGURES;
    fillHostFigures(s.usage, this.figures, at);
    const cfg = s.spec.capacity;
    // Hosts mostly carry copies of one config: numbered by what the overhead reads, not by identity.
    const key = `${cfg.overheadPerVcpuMiB}|${cfg.overheadMemoryDivisor}|${cfg.overheadHvmMiB}`;
    let c = this.cfgIndex.get(key);
    if (c === undefined) {
      c = this.cfgs.push(cfg) - 1;
      this.cfgIndex.set(key, c);
    }
    this.figures[at + F_CFG] = c;
  }

  /** Works a host's verdict for the shape out again, and offers it to the shape's heap. */
  private refresh(v: ShapeVerdicts, i: number, g: GuestSpec, policy: WeighPolicy): void {
    const u = this.list[i].usage;
    const ok = admits(u, g) ? 1 : 0;
    v.okCount += ok - v.ok[i];
    v.ok[i] = ok;
    v.stamp[i] = this.stamps[i];
    if (!ok || policy === 'first-fit') return;
    rankOf(u, g, policy, RANK);
    v.soft[i] = RANK.soft;
    v.empty[i] = RANK.empty;
    v.score[i] = RANK.score;
    if (v.primed) heapPush(v.heap, { i, stamp: v.stamp[i], soft: RANK.soft, empty: RANK.empty, score: RANK.score });
  }

  /** Brings a shape's verdicts and heap up to date: from the change log, or all hosts again when that is shorter. */
  private catchUp(v: ShapeVerdicts, g: GuestSpec, policy: WeighPolicy, match: Uint8Array): void {
    const n = this.list.length;
    // Stale entries pile up in the heap; past a few per host it is cheaper to build it again.
    if (!v.primed || this.log.length - v.logPos > n || v.heap.length > 4 * n + 64) {
      v.primed = false;
      for (let i = 0; i < n; i++) if (match[i] && v.stamp[i] !== this.stamps[i]) this.refresh(v, i, g, policy);
      const heap: HeapEntry[] = [];
      for (let i = 0; i < n; i++) if (match[i] && v.ok[i]) heapPush(heap, { i, stamp: v.stamp[i], soft: v.soft[i], empty: v.empty[i], score: v.score[i] });
      v.heap = heap;
      v.primed = true;
    } else {
      for (let k = v.logPos; k < this.log.length; k++) {
        const i = this.log[k];
        if (match[i] && v.stamp[i] !== this.stamps[i]) this.refresh(v, i, g, policy);
      }
    }
    v.logPos = this.log.length;
  }

  private matchingHosts(provider: ProviderName, selector: Readonly<Record<string, string>>): { match: Uint8Array; key: string; count: number } {
    let empty = true;
    for (const _ in selector) {
      empty = false;
      break;
    }
    // JSON, not joined text: tags may hold any character, so `rack=a|zone=b` and `{rack: 'a', zone: 'b'}` must not share a key.
    // Most guests have no selector: their key is built once per provider, not once per ask.
    const key = empty ? (EMPTY_SELECTOR_KEYS[provider] ??= JSON.stringify([provider, []])) : JSON.stringify([provider, Object.keys(selector).sort().map((k) => [k, selector[k]])]);
    let m = this.matching.get(key);
    if (!m) {
      const match = new Uint8Array(this.list.length);
      let count = 0;
      for (let i = 0; i < this.list.length; i++) if (this.matches(this.list[i], provider, selector)) {
        match[i] = 1;
        count++;
      }
      m = { match, key, count };
      this.matching.set(key, m);
    }
    return m;
  }

  private matches(s: Slot, provider: ProviderName, selector: Readonly<Record<string, string>>): boolean {
    const spec = s.spec;
    if (spec.provider !== provider) return false;
    for (const k in selector) if (spec.tags[k] !== selector[k]) return false;
    return true;
  }

  private slot(host: string): Slot {
    const s = this.slots.get(host);
    if (!s) throw new Error(`no host '${host}' in the packing`);
    return s;
  }
}

/** A host's rank under a policy, into `out` (First-Fit ranks every host alike: the first in name order wins). */
function rankOf(u: HostUsage, g: GuestSpec, policy: WeighPolicy, out: Rank): void {
  switch (policy) {
    case 'hvkit':
      out.soft = crossesSoft(u, g) ? 1 : 0;
      out.empty = u.sums.guests > 0 ? 0 : 1;
      out.score = hvkitScore(u, g);
      return;
    case 'best-fit':
      out.soft = 0;
      out.empty = 0;
      out.score = bestFitScore(u, g);
      return;
    case 'first-fit':
      out.soft = 0;
      out.empty = 0;
      out.score = 0;
      return;
    default:
      assertNever(policy, 'weigh policy');
  }
}

const RANK: Rank = { soft: 0, empty: 0, score: 0 };
/** `chooseAmong`'s entry under test and best so far, reused so a call allocates nothing for ranking. */
const AMONG_E: HeapEntry = { i: 0, stamp: 0, soft: 0, empty: 0, score: 0 };
const AMONG_B: HeapEntry = { i: 0, stamp: 0, soft: 0, empty: 0, score: 0 };

/** `matchingHosts` keys of a provider with no selector. */
const EMPTY_SELECTOR_KEYS: Partial<Record<ProviderName, string>> = {};

export { onHost } from './fits';
export { strandedAfter, utilization } from './placement-why';

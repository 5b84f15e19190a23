import { assertNever } from '../errors';
import { formatSize } from '../manifest/size';
import type { GuestMode, PowerState, ProviderName } from '../manifest/types';
import type { RebalanceGain } from '../capacity/rebalance';
import { describeDimms } from './diff';

/** No detail: the code says it all. */
export type NoDetail = Record<string, never>;

/**
 * A change the hypervisor cannot make to an existing domain, so the guest is
 * destroyed and created again. `disk` is the index of the guest's disk.
 */
export type ReplaceCause =
  | { kind: 'mode'; from: GuestMode; to: GuestMode }
  | { kind: 'uuid' }
  | { kind: 'disk-removed'; disk: number; sizeMiB: number; on: string }
  | { kind: 'disk-moved'; disk: number; from: string; to: string }
  | { kind: 'disk-shrinks'; disk: number; fromMiB: number; toMiB: number }
  /** The image path changes (host `storageDir`, guest name): hvkit does not copy images, so the guest would boot on a new, empty one. */
  | { kind: 'disk-path'; disk: number; from: string; to: string }
  /** The host's provider changes: the guest is created again through the other one. */
  | { kind: 'provider'; from: ProviderName; to: ProviderName }
  /** A disk grows while the guest changes host: a live migration copies the image as it is (only with `cannot-migrate`). */
  | { kind: 'disk-grows'; disk: number; fromMiB: number; toMiB: number }
  /** A disk is added while the guest changes host: a live migration moves the domain as it is (only with `cannot-migrate`). */
  | { kind: 'disk-added'; disk: number; sizeMiB: number; on: string };

/** A disk's I/O limits; null is unlimited. */
export interface DiskLimits {
  iops: number | null;
  mbps: number | null;
}

/**
 * A change a running guest takes without a restart (memory and vCPUs within
 * their maximum, CPU cap and weight, disk I/O limits). `null` is "none": no
 * cap, the hypervisor's default weight.
 */
export type LiveChange =
  | { field: 'memoryMiB' | 'vcpus'; from: number; to: number }
  | { field: 'cpuCap' | 'cpuWeight'; from: number | null; to: number | null }
  /** `on`: the host disk the guest's disk `disk` is on, to name it as data-loss text does. */
  | { field: 'diskLimits'; disk: number; on: string; from: DiskLimits; to: DiskLimits };

export type LiveField = LiveChange['field'];

/** Whether a rebuilt guest's rendered config is byte-identical to the one last applied. */
export type RebuildConfig = 'same' | 'changed';

export interface MemoryChange {
  dimmsBeforeMiB: number[];
  dimmsAfterMiB: number[];
  totalBeforeMiB: number;
  totalAfterMiB: number;
}

/** Why a guest changes as it does: a closed set of codes, with the data a reader needs. */
export type GuestReason =
  | { code: 'new-guest'; detail: NoDetail }
  | { code: 'removed-from-code'; detail: NoDetail }
  | { code: 'moves-host'; detail: { from: string; to: string } }
  | { code: 'cannot-update'; detail: { causes: ReplaceCause[] } }
  /**
   * Code moves the guest to another host and changes what a live migration
   * cannot carry (a disk's host disk, image path or size, the disk count, mode,
   * UUID, provider): it is destroyed on `from`, with its disks, and created
   * again on `to` with empty ones.
   */
  | { code: 'cannot-migrate'; detail: { from: string; to: string; causes: ReplaceCause[] } }
  /**
   * `stopped`: the guest is recorded shut off, so the changes go into its
   * config only and take effect when it next starts; absent when it runs.
   */
  | { code: 'live-update'; detail: { changes: LiveChange[]; stopped?: true } }
  | { code: 'restart-update'; detail: { fields: string[] } }
  /** Only the rendered config differs (the renderer or the provider changed): restart to be safe. */
  | { code: 'config-changed'; detail: NoDetail }
  /** Only fields the hypervisor never sees (role, load, tags) change. */
  | { code: 'record-only'; detail: { fields: string[] } }
  /** `hvkit rebuild HOST`, or `--to TARGET` for a host that is down. */
  | { code: 'rebuild-requested'; detail: { host: string; to?: string; config: RebuildConfig } }
  /** `hvkit rebuild HOST --to TARGET --force-while-up` of a guest still running on HOST. */
  | { code: 'rebuild-forced'; detail: { host: string; to: string; config: RebuildConfig } }
  | { code: 'moved-outside-hvkit'; detail: { guest: string; from: string; to: string } }
  /** `--replace GUEST`: destroyed and created again although code may not have changed it. */
  | { code: 'replace-requested'; detail: NoDetail }
  /** Only the power state differs: code's `power` (to) against the one last recorded or seen (from). */
  | { code: 'power'; detail: { from: PowerState; to: PowerState } }
  /**
   * `movedFrom`: the guest recorded as `from` is renamed `to`, keeping its
   * domain, UUID, MACs and disks. `stops`: its provider renames only a
   * stopped domain, so it shuts down and starts again. `then`: why the change
   * planned on top of the rename (a separate step after it) is made; absent
   * when the rename is all.
   */
  | { code: 'renamed'; detail: { from: string; to: string; stops: boolean; then?: GuestReason } }
  /** `plan --rebalance`: a guest hvkit placed migrates to empty a host or use stranded capacity (figures as plan data, rounded). */
  | { code: 'rebalance'; detail: { from: string; to: string; gain: RebalanceGain; /** The move's place in the rebalancer's order (its gain follows the moves before it). @default absent in plans saved before it was recorded */ move?: { n: number; of: number } } }
  | { code: 'noop'; detail: NoDetail };

/** Why a host changes as it does. */
export type HostReason =
  | { code: 'new-host'; detail: NoDetail }
  | { code: 'host-retired'; detail: NoDetail }
  | { code: 'memory-upgrade'; detail: MemoryChange }
  | { code: 'memory-downgrade'; detail: MemoryChange }
  | { code: 'host-record-only'; detail: { fields: string[] } }
  | { code: 'noop'; detail: NoDetail };

export type ChangeReason = GuestReason | HostReason;
export type ReasonCode = ChangeReason['code'];

/** A reason whose code needs no detail. */
export function bare<C extends Extract<ChangeReason, { detail: NoDetail }>['code']>(code: C): { code: C; detail: NoDetail } {
  return { code, detail: {} };
}

function causeText(c: ReplaceCause): string {
  switch (c.kind) {
    case 'mode': return `mode ${c.from} → ${c.to} cannot change on an existing domain`;
    case 'uuid': return 'uuid changed';
    case 'disk-removed': return `disk ${c.disk} (${formatSize(c.sizeMiB)} on ${c.on}) removed`;
    case 'disk-moved': return `disk ${c.disk} moves from host disk ${c.from} to ${c.to}`;
    case 'disk-shrinks': return `disk ${c.disk} shrinks ${formatSize(c.fromMiB)} → ${formatSize(c.toMiB)} (images cannot shrink safely)`;
    case 'disk-path': return `disk ${c.disk} image path ${c.from} → ${c.to} (hvkit does not copy images)`;
    case 'provider': return `provider ${c.from} → ${c.to}: created again through ${c.to}`;
    case 'disk-grows': return `disk ${c.disk} grows ${formatSize(c.fromMiB)} → ${formatSize(c.toMiB)}`;
    case 'disk-added': return `disk ${c.disk} (${formatSize(c.sizeMiB)} on ${c.on}) added`;
    default: return assertNever(c, 'replace cause');
  }
}

function liveText(c: LiveChange): string {
  switch (c.field) {
    case 'memoryMiB': return `memory ${formatSize(c.from)} → ${formatSize(c.to)}`;
    case 'vcpus': return `vcpus ${c.from} → ${c.to}`;
    case 'cpuCap': return `cpu cap ${capText(c.from)} → ${capText(c.to)}`;
    case 'cpuWeight': return `cpu weight ${c.from ?? 'default'} → ${c.to ?? 'default'}`;
    case 'diskLimits': return `disk ${c.disk} (${c.on}) I/O limit ${diskLimitsText(c.from)} → ${diskLimitsText(c.to)}`;
    default: return assertNever(c, 'live change');
  }
}

/** Cap 0 is Xen's "no cap", as is an absent one. */
function capText(cap: number | null): string {
  return cap === null || cap === 0 ? 'none' : `${cap}%`;
}

function diskLimitsText(l: DiskLimits): string {
  const parts = [...(l.iops !== null ? [`${l.iops} IOPS`] : []), ...(l.mbps !== null ? [`${l.mbps} MB/s`] : [])];
  return parts.join(' + ') || 'none';
}

function rebuildConfigText(config: RebuildConfig): string {
  switch (config) {
    case 'same': return 'config byte-identical to the one last applied';
    case 'changed': return 'config differs from the one last applied: code changed since (diff below)';
    default: return assertNever(config, 'rebuild config');
  }
}

/** `memory upgrade: 4×1GiB → 4×2GiB (4GiB → 8GiB)`: the first words of a memory change, also used by its diagnostic. */
export function memoryHeadline(r: Extract<HostReason, { code: 'memory-upgrade' | 'memory-downgrade' }>): string {
  const d = r.detail;
  const sizes = `${describeDimms(d.dimmsBeforeMiB)} → ${describeDimms(d.dimmsAfterMiB)} (${formatSize(d.totalBeforeMiB)} → ${formatSize(d.totalAfterMiB)})`;
  return `${r.code === 'memory-upgrade' ? 'memory upgrade' : 'memory downgrade'}: ${sizes}`;
}

/** Spec fields named as code writes them: plans are read by people who wrote props, not the manifest. */
const PROP_WORDS: Readonly<Record<string, string>> = { memoryMiB: 'memory', maxMemoryMiB: 'maxMemory', cpuCap: 'cpu.cap', cpuWeight: 'cpu.weight' };
const propWord = (field: string): string => PROP_WORDS[field] ?? field;

/**
 * The reason in words, as every renderer and step description shows it;
 * empty for a noop. It lives beside the codes, not in lib/render, because
 * the planner writes step descriptions and diagnostics with the same words.
 */
export function reasonText(r: ChangeReason): string {
  switch (r.code) {
    case 'new-guest': return 'new guest';
    case 'new-host': return 'new host';
    case 'removed-from-code':
    case 'host-retired': return 'no longer in code';
    case 'moves-host': return `moves ${r.detail.from} → ${r.detail.to}`;
    case 'cannot-update': return r.detail.causes.map(causeText).join('; ');
    case 'cannot-migrate': {
      const { from, to, causes } = r.detail;
      return `cannot migrate ${from} → ${to} with its data (a live migration carries each disk unchanged to the same host disk and path): ${causes.map(causeText).join('; ')}; so destroyed on ${from} and created again on ${to}`;
    }
    case 'live-update': return `${r.detail.changes.map(liveText).join(', ')} ${r.detail.stopped ? 'in its config; takes effect at next start' : 'while running'}`;
    case 'restart-update': return `${r.detail.fields.map(propWord).join(', ')} changed: needs a restart`;
    case 'config-changed': return 'rendered config changed: needs a restart';
    case 'record-only': return `${r.detail.fields.map(propWord).join(', ')} (state only, no hypervisor change)`;
    case 'host-record-only': return `${r.detail.fields.join(', ')} (state only)`;
    case 'rebuild-requested': {
      const { host, to, config } = r.detail;
      return `${to ? `rebuild on ${to}: ${host} is down, so recreated from code, not migrated` : 'rebuild'}; ${rebuildConfigText(config)}`;
    }
    case 'rebuild-forced': {
      const { host, to, config } = r.detail;
      return `rebuild on ${to}: ${host} is up: forced, recreated from code, then its copy on ${host} destroyed; ${rebuildConfigText(config)}`;
    }
    case 'replace-requested': return 'replace requested (--replace)';
    case 'renamed': {
      const { from, stops, then } = r.detail;
      const why = then ? reasonText(then) : '';
      return `renamed from ${from} (movedFrom): same domain, UUID, MACs and disks${stops ? '; its provider renames only a stopped domain, so it shuts down and starts again' : ''}${why ? `; then ${why}` : ''}`;
    }
    case 'moved-outside-hvkit': return `${r.detail.guest} runs on ${r.detail.to} (moved outside hvkit), where code places it: recorded there`;
    case 'power': return r.detail.to === 'stopped' ? `power ${r.detail.from} → stopped: shut down (disks and memory reservation kept)` : `power ${r.detail.from} → running: start`;
    case 'memory-upgrade': return `${memoryHeadline(r)}; a person fits the DIMMs, apply checks the host's real memory`;
    case 'memory-downgrade': return `${memoryHeadline(r)}; guests shrink or leave first, a person takes the DIMMs out, apply checks the host reports exactly ${formatSize(r.detail.totalAfterMiB)}`;
    case 'rebalance': return rebalanceText(r.detail);
    case 'noop': return '';
    default: return assertNever(r, 'change reason');
  }
}

/** Stranded capacity as shown: host-fractions with two decimals. */
const stranded = (n: number) => n.toFixed(2);

function rebalanceText(d: Extract<GuestReason, { code: 'rebalance' }>['detail']): string {
  const g = d.gain;
  const { hostsInUse: h, stranded: st } = g.detail;
  // Each move's own figures: only what this move changes (the first moves that empty a host change nothing yet).
  const figures = [
    ...(h.before !== h.after ? [`hosts in use ${h.before} → ${h.after}`] : []),
    ...(stranded(st.before) !== stranded(st.after) ? [`stranded capacity ${stranded(st.before)} → ${stranded(st.after)}`] : []),
  ];
  const tail = figures.length ? ` (${figures.join(', ')})` : '';
  const head = d.move ? `rebalance, move ${d.move.n} of ${d.move.of}` : 'rebalance';
  switch (g.code) {
    case 'empties-host': return `${head}: moves ${d.from} → ${d.to} to empty ${g.detail.host}${tail}`;
    case 'lowers-stranded': return `${head}: moves ${d.from} → ${d.to} where it uses capacity left stranded${tail}`;
    default: return assertNever(g, 'rebalance gain');
  }
}

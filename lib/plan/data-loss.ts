import { assertNever } from '../errors';
import { formatSize } from '../manifest/size';
import type { GuestSpec } from '../manifest/types';
import type { Change, GuestChange } from './types';

/** One guest disk whose data a change loses. */
export interface LostDisk {
  /** Index of the disk in the guest's `disks`. */
  disk: number;
  sizeMiB: number;
  /** The host disk the image lives on (`sda`). */
  hostDisk: string;
  /** The host the image lives on. */
  host: string;
}

/**
 * How a change loses a guest's data:
 * - `destroyed`: the provider's `destroy` deletes the domain and every disk
 *   image of it (delete, replace, rebuild in place, the copy a forced
 *   `rebuild --to` leaves behind, a move to another host that cannot be a
 *   live migration);
 * - `left-behind`: the guest is created again with empty disks on another host
 *   (`rebuild --to` of a host that is down), or at other image paths or
 *   through another provider (a host's `storageDir` or `provider` changed);
 *   the old images are not carried over.
 */
export type DataLossKind = 'destroyed' | 'left-behind';

/** What of a guest's data a change loses: the planner decides it, renderers show it. */
export interface DataLoss {
  kind: DataLossKind;
  /** Every disk of the guest as recorded in state, in order; empty for a guest without disks. */
  disks: LostDisk[];
  /** Σ disks[].sizeMiB. */
  totalMiB: number;
}

/** Reasons of a change that destroys the guest and creates it again on the same host. */
const REPLACES: ReadonlySet<string> = new Set(['cannot-update', 'cannot-migrate', 'replace-requested', 'rebuild-requested', 'rebuild-forced']);

function lossOf(kind: DataLossKind, spec: GuestSpec): DataLoss {
  const disks = spec.disks.map((d, disk) => ({ disk, sizeMiB: d.sizeMiB, hostDisk: d.on, host: spec.host }));
  return { kind, disks, totalMiB: disks.reduce((a, d) => a + d.sizeMiB, 0) };
}

/**
 * What a guest change loses of the guest's data, from the change alone (not
 * from how it was asked for), so a delete planned by `hvkit destroy` or a
 * rename's fallback is marked as every other delete. A replace is provider
 * `destroy` then `create` (`virsh undefine --remove-all-storage`, `rm -f` of
 * the images): every disk the guest had is lost, not only one that shrinks.
 * Undefined for changes that keep the guest's disks (updates, migrations).
 */
export function dataLossOf(c: GuestChange): DataLoss | undefined {
  switch (c.action) {
    case 'delete': return lossOf('destroyed', c.before!);
    case 'replace': {
      const b = c.before!;
      // A replace onto another host is `rebuild --to`: a forced one destroys the copy it leaves, else the images stay on the down host.
      // A guest that cannot migrate is destroyed on its host, disks and all, before it is created on the other one.
      if (c.reason.code === 'cannot-migrate') return lossOf('destroyed', b);
      const elsewhere = c.after !== null && c.after.host !== b.host;
      return lossOf((elsewhere && c.reason.code !== 'rebuild-forced') || leavesImages(c) ? 'left-behind' : 'destroyed', b);
    }
    // A rename keeps the disks; a replace planned on top of it (mode change, --replace) does not.
    case 'rename': return c.reason.code === 'renamed' && c.reason.detail.then && REPLACES.has(c.reason.detail.then.code) ? lossOf('destroyed', c.before!) : undefined;
    case 'create':
    case 'update':
    case 'migrate':
    case 'noop': return undefined;
    default: return assertNever(c.action, 'guest action');
  }
}

/**
 * A replace that creates the guest at other image paths or through another
 * provider: the destroy before it runs against the host as code now declares
 * it, so whether it deletes the old images depends on the provider (libvirt's
 * `--remove-all-storage` does, xen's `rm -f` of the new paths does not); what
 * is sure is that they are not carried over.
 */
function leavesImages(c: GuestChange): boolean {
  return c.reason.code === 'cannot-update' && c.reason.detail.causes.some((x) => x.kind === 'disk-path' || x.kind === 'provider');
}

/** The changes with their data loss marked on each guest change that loses data. */
export function markDataLoss(changes: Change[]): Change[] {
  return changes.map((c) => {
    if (c.kind !== 'guest') return c;
    const loss = dataLossOf(c);
    return loss ? { ...c, dataLoss: loss } : c;
  });
}

function where(loss: DataLoss): string {
  const host = loss.disks[0].host;
  if (loss.disks.length === 1) return `${formatSize(loss.totalMiB)} on ${loss.disks[0].hostDisk} of ${host}`;
  return `${formatSize(loss.totalMiB)} on ${host}: ${loss.disks.map((d) => `disk ${d.disk} (${formatSize(d.sizeMiB)} on ${d.hostDisk})`).join(', ')}`;
}

/**
 * The loss in words, as every renderer and the preventDestroy error show it:
 * `destroys 20GiB on sda of web-host-01`. It lives beside the type, as
 * reasonText does, because the planner's diagnostics use the same words.
 */
export function dataLossText(loss: DataLoss): string {
  switch (loss.kind) {
    case 'destroyed': return loss.disks.length ? `destroys ${where(loss)}` : 'destroys the domain (it has no disks)';
    case 'left-behind': return loss.disks.length ? `recreated with empty disks: ${where(loss)} not carried over` : 'recreated from code (it has no disks to carry over)';
    default: return assertNever(loss.kind, 'data loss kind');
  }
}

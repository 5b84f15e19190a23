import * as crypto from 'node:crypto';
import type { ProviderName } from './types';

const MAC_PREFIX: Record<ProviderName, string> = { local: '52:54:00', libvirt: '52:54:00', xen: '00:16:3e' };
/** Retries before a derived MAC gives up; 23 bits leave room for millions of NICs, so this is never reached in practice. */
const MAX_ATTEMPTS = 1000;

// One-shot hashing (Node ≥ 20.12) skips building a Hash object: a tenth of deriving 10,000 guests' identities.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'buffer') => Buffer }).hash;

function hash(text: string): Buffer {
  return oneShot ? oneShot('sha256', text, 'buffer') : crypto.createHash('sha256').update(text).digest();
}

function uuidOf(bytes: Buffer): string {
  const u = Buffer.from(bytes.subarray(0, 16));
  u[6] = (u[6] & 0x0f) | 0x50;
  u[8] = (u[8] & 0x3f) | 0x80;
  const x = u.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function macOf(provider: ProviderName, b: Buffer, at: number): string {
  // The top bit of the fourth byte stays clear: Xen keeps 00:16:3e:80:… and above for itself.
  return `${MAC_PREFIX[provider]}:${HEX[b[at] & 0x7f]}:${HEX[b[at + 1]]}:${HEX[b[at + 2]]}`;
}

/**
 * A guest's identities, derived from the fleet and guest names: the first
 * try of the UUID and the first five NICs' MACs come from one SHA-256, later
 * tries (after a collision) and further NICs from their own. Fleet and guest
 * names are DNS labels, so `/` cannot make two different pairs hash alike.
 */
export class DerivedIds {
  private first?: Buffer;
  constructor(readonly provider: ProviderName, readonly fleet: string, readonly guest: string) {}

  uuid(attempt: number): string {
    if (attempt === 0) return uuidOf(this.base());
    return uuidOf(hash(`hvkit-uuid/2:${this.fleet}/${this.guest}#${attempt}`));
  }

  mac(nic: number, attempt: number): string {
    if (attempt === 0 && nic < 5) return macOf(this.provider, this.base(), 16 + nic * 3);
    return macOf(this.provider, hash(`hvkit-mac/2:${this.fleet}/${this.guest}/${nic}#${attempt}`), 0);
  }

  private base(): Buffer {
    return (this.first ??= hash(`hvkit-id/2:${this.fleet}/${this.guest}`));
  }
}

/**
 * The MACs and UUIDs taken in one fleet. Callers claim fixed identities first
 * (MACs written in code, identities recorded in state) and then derive the
 * rest in a stable order; a derived identity that is taken moves to its next
 * try, so no two guests share one and the same inputs give the same result.
 */
export class IdentityRegistry {
  private readonly macs = new Map<string, string>();
  private readonly uuids = new Map<string, string>();

  /** The owner that already holds `mac`, or undefined after claiming it for `owner`. */
  claimMac(mac: string, owner: string): string | undefined {
    const prev = this.macs.get(mac);
    if (prev !== undefined) return prev;
    this.macs.set(mac, owner);
    return undefined;
  }

  claimUuid(uuid: string, owner: string): string | undefined {
    const prev = this.uuids.get(uuid);
    if (prev !== undefined) return prev;
    this.uuids.set(uuid, owner);
    return undefined;
  }

  hasMac(mac: string): boolean {
    return this.macs.has(mac);
  }

  hasUuid(uuid: string): boolean {
    return this.uuids.has(uuid);
  }

  /** The first free derived MAC of NIC `nic`, claimed; undefined if every try is taken. */
  deriveMac(ids: DerivedIds, nic: number, owner: string): string | undefined {
    for (let k = 0; k < MAX_ATTEMPTS; k++) {
      const mac = ids.mac(nic, k);
      if (this.claimMac(mac, owner) === undefined) return mac;
    }
    return undefined;
  }

  deriveUuid(ids: DerivedIds, owner: string): string {
    for (let k = 0; ; k++) {
      const uuid = ids.uuid(k);
      if (this.claimUuid(uuid, owner) === undefined) return uuid;
    }
  }
}

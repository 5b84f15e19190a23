import { createHash } from 'node:crypto';
import type { ProviderName } from './types';

/**
 * What may appear in names and paths that reach domain XML, xl configs, shell
 * argument vectors and HTML. Anything else is refused before rendering.
 */
export const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const ROLE = /^[a-z][a-z0-9-]{0,31}$/;
export const BRIDGE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
export const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
/** Paths and URIs: no quotes, spaces, `$`, backticks, `<>`, `;`, `|`, `\` or control characters. */
export const SAFE_PATH = /^[A-Za-z0-9_./:@+=,?&%~-]{1,255}$/;
export const TAG_KEY = /^[a-z][a-z0-9_.-]{0,62}$/;
export const TAG_VALUE = /^[^\u0000-\u001f\u007f]{0,255}$/;

export function checkDnsLabel(kind: string, name: string): string | undefined {
  if (DNS_LABEL.test(name)) return undefined;
  return `${kind} name '${printable(name)}' is not a DNS label: use 1–63 lowercase letters, digits and '-', not starting or ending with '-'`;
}

export function checkPath(what: string, value: string): string | undefined {
  if (SAFE_PATH.test(value)) return undefined;
  return `${what} '${printable(value)}' has characters hvkit does not pass to hypervisors: use letters, digits and _ . / : @ + = , ? & % ~ -`;
}

/** Shows a hostile value on one line, control characters escaped. */
export function printable(value: string): string {
  const s = JSON.stringify(value).slice(1, -1);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

const MAC_PREFIX: Record<ProviderName, string> = { local: '52:54:00', libvirt: '52:54:00', xen: '00:16:3e' };

/**
 * A guest's UUID (RFC 4122 version 5 layout) and NIC MACs, all derived from
 * its name with one SHA-256, so a rebuilt guest is the same guest.
 */
export function deriveIds(provider: ProviderName, guest: string): { uuid: string; mac: (index: number) => string } {
  const h = createHash('sha256').update(`hvkit-id:${guest}`).digest();
  const u = Buffer.from(h.subarray(0, 16));
  u[6] = (u[6] & 0x0f) | 0x50;
  u[8] = (u[8] & 0x3f) | 0x80;
  const x = u.toString('hex');
  return {
    uuid: `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`,
    mac: (index) => {
      const bytes = index < 5 ? h.subarray(16 + index * 3, 19 + index * 3) : createHash('sha256').update(`hvkit-mac:${guest}:${index}`).digest().subarray(0, 3);
      return `${MAC_PREFIX[provider]}:${[bytes[0] & 0x7f, bytes[1], bytes[2]].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
    },
  };
}

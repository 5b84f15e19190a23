import { hasControl, hasDotSegment, printable } from './names';
import type { ProviderName } from './types';

/** libvirt URI schemes hvkit passes to `virsh -c`; `+ext` (runs a local command) is left out on purpose. */
export const LIBVIRT_SCHEMES = ['qemu', 'qemu+ssh', 'qemu+tcp', 'qemu+tls', 'qemu+unix', 'qemu+libssh', 'qemu+libssh2', 'xen', 'xen+ssh', 'xen+tcp', 'xen+tls', 'xen+unix'] as const;
/**
 * libvirt URI query parameters hvkit allows. Others (`command`, `netcat`,
 * `socket`…) name programs or files on a host and are refused.
 */
const LIBVIRT_PARAMS = ['keyfile', 'known_hosts', 'known_hosts_verify', 'mode', 'no_tty', 'no_verify', 'pkipath', 'sshauth'];

const HOSTNAME = String.raw`[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*`;
const HOST = String.raw`(?:${HOSTNAME}|\[[0-9A-Fa-f:.]{2,45}\])`;
const USER = '[a-z_][a-z0-9_.-]{0,31}';
const PORT = '[0-9]{1,5}';
const SSH_TARGET = new RegExp(`^(?:${USER}@)?${HOST}(?::(${PORT}))?$`);
const LIBVIRT_URI = new RegExp(String.raw`^([a-z+0-9]+)://(?:(?:${USER}@)?${HOST}(?::(${PORT}))?)?(/[A-Za-z0-9_.-]*)(?:\?([A-Za-z0-9_.,/=&-]*))?$`);
/** Storage folders: absolute, letters, digits and `. _ / -` only (they reach remote shells on xen hosts). */
export const STORAGE_DIR = /^\/[A-Za-z0-9._/-]{0,254}$/;
const LOCAL_PATH = /^[A-Za-z0-9_.][A-Za-z0-9._/-]{0,254}$/;

export const ADDRESS_HINTS: Record<ProviderName, string> = {
  local: "use a folder inside the project such as '.hvkit/local/host-01' (relative, no '..')",
  libvirt: `use a libvirt URI such as 'qemu+ssh://root@host-01/system' with a scheme of ${LIBVIRT_SCHEMES.join(', ')}`,
  xen: "use an ssh target [user@]host[:port] such as 'root@host-01'",
};

/** Why a host address is refused for its provider, or undefined. */
export function checkAddress(provider: ProviderName, value: unknown): string | undefined {
  if (typeof value !== 'string') return `address must be a string: ${ADDRESS_HINTS[provider]}`;
  const bad = (why: string) => `address '${printable(value)}' ${why}: ${ADDRESS_HINTS[provider]}`;
  if (hasControl(value)) return bad('has control characters');
  if (value.startsWith('-')) return bad("starts with '-', which tools read as an option");
  switch (provider) {
    case 'local':
      if (!LOCAL_PATH.test(value) || hasDotSegment(value)) return bad('is not a relative path inside the project');
      return undefined;
    case 'xen': {
      const m = SSH_TARGET.exec(value);
      if (!m) return bad('is not an ssh target');
      if (m[1] !== undefined && !validPort(m[1])) return bad('has a port outside 1–65535');
      return undefined;
    }
    case 'libvirt': {
      const m = LIBVIRT_URI.exec(value);
      if (!m) return bad('is not a libvirt URI');
      if (!(LIBVIRT_SCHEMES as readonly string[]).includes(m[1])) return bad(`has scheme '${printable(m[1])}'`);
      if (m[2] !== undefined && !validPort(m[2])) return bad('has a port outside 1–65535');
      if (m[3].split('/').includes('..')) return bad("has a '..' segment");
      for (const pair of (m[4] ?? '').split('&').filter(Boolean)) {
        const name = pair.split('=')[0];
        if (!LIBVIRT_PARAMS.includes(name)) return bad(`has query parameter '${printable(name)}' (allowed: ${LIBVIRT_PARAMS.join(', ')})`);
      }
      return undefined;
    }
  }
}

/** Why a storage folder is refused, or undefined. */
export function checkStorageDir(value: unknown): string | undefined {
  const hint = "use an absolute path of letters, digits and . _ / - such as '/var/lib/hvkit/images', without '..'";
  if (typeof value !== 'string') return `storageDir must be a string: ${hint}`;
  if (!STORAGE_DIR.test(value) || value.split('/').includes('..')) return `storageDir '${printable(value)}' is refused: ${hint}`;
  return undefined;
}

function validPort(p: string): boolean {
  const n = Number(p);
  return n >= 1 && n <= 65535;
}

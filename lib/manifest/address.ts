import { hasControl, hasDotSegment, printable } from './names';
import type { ProviderName } from './types';

// One definition shared with the provider scripts (providers/lib/checks.mjs), so
// an address that passes plan is never refused inside a provider.
import rules from '../../providers/lib/address-rules.json' with { type: 'json' };

/** libvirt URI schemes hvkit passes to `virsh -c`; `+ext` (runs a local command) is left out on purpose. */
export const LIBVIRT_SCHEMES: readonly string[] = rules.libvirtSchemes;
/**
 * libvirt URI query parameters hvkit allows. Others (`command`, `netcat`,
 * `socket`…) name programs or files on a host and are refused.
 */
const LIBVIRT_PARAMS: readonly string[] = rules.libvirtQueryKeys;
const SSH_TARGET = new RegExp(rules.sshTarget);
const LIBVIRT_URI = new RegExp(rules.libvirtUri);
/** Storage folders: absolute, segments of letters, digits and `. _ -` not starting with `.` (they reach remote shells on xen hosts). */
export const STORAGE_DIR = new RegExp(rules.storageDir);
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
      if (m[3] !== undefined && !validPort(m[3])) return bad('has a port outside 1–65535');
      return undefined;
    }
    case 'libvirt': {
      const m = LIBVIRT_URI.exec(value);
      if (!m) return bad('is not a libvirt URI');
      if (!LIBVIRT_SCHEMES.includes(m[1])) return bad(`has scheme '${printable(m[1])}'`);
      if (m[2] !== undefined && !validPort(m[2])) return bad('has a port outside 1–65535');
      for (const pair of m[3]?.split('&') ?? []) {
        const name = pair.split('=')[0];
        if (!LIBVIRT_PARAMS.includes(name)) return bad(`has query parameter '${printable(name)}' (allowed: ${LIBVIRT_PARAMS.join(', ')})`);
      }
      return undefined;
    }
  }
}

/** Why a storage folder is refused, or undefined. */
export function checkStorageDir(value: unknown): string | undefined {
  const hint = "use an absolute path of letters, digits and . _ / - such as '/var/lib/hvkit/images', with no segment that is empty or starts with '.' and no trailing '/'";
  if (typeof value !== 'string') return `storageDir must be a string: ${hint}`;
  if (!STORAGE_DIR.test(value)) return `storageDir '${printable(value)}' is refused: ${hint}`;
  return undefined;
}

function validPort(p: string): boolean {
  const n = Number(p);
  return n >= 1 && n <= 65535;
}

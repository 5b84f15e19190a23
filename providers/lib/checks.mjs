// Defence in depth at the provider boundary: hvkit validates the manifest, but
// a provider script is the last code before a shell on a host, so it checks
// every value it passes on itself, with allow-lists, and quotes what a remote
// shell will read. See "What hvkit trusts" in the README.
import { readFileSync } from 'node:fs';
import { ProviderError } from './contract.mjs';

// The address rules hvkit validates manifests with (lib/manifest/address.ts
// imports the same file), so a provider accepts every address that passes plan.
// Read, not imported: JSON modules still warn on stderr under Node 20.
const RULES = JSON.parse(readFileSync(new URL('./address-rules.json', import.meta.url), 'utf8'));

/** Words a POSIX shell reads literally; anything else is single-quoted. `=` and `~` are out (assignments, tilde expansion). */
const SHELL_SAFE = /^[A-Za-z0-9_./:@%+,-]+$/;

/**
 * One word for a POSIX shell: single-quoted, with each `'` written as `'\''`.
 * Inside single quotes sh interprets nothing, so this is the whole quoter.
 */
export function shQuote(word) {
  const s = String(word);
  if (SHELL_SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A remote command line: ssh joins its remote arguments with spaces and the remote shell parses the result. */
export function remoteCommand(words) {
  return words.map(shQuote).join(' ');
}

const SSH_ADDRESS = new RegExp(RULES.sshTarget);

/**
 * Parses an ssh address `[user@]host[:port]`. The host starts with a letter or
 * digit, so an address can never be read as an ssh option (`-oProxyCommand=…`).
 */
export function sshTarget(address, what = 'host address') {
  const m = typeof address === 'string' ? SSH_ADDRESS.exec(address) : null;
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (!m || (port !== undefined && (port < 1 || port > 65535))) {
    throw new ProviderError(`refusing ${what} ${JSON.stringify(address)}: it must be [user@]host[:port] (host a DNS name or [IPv6])`, 2);
  }
  return { dest: m[1] ? `${m[1]}@${m[2]}` : m[2], port };
}

/** Absolute paths of plain segments only: no shell metacharacters, no `..`, no empty or dot segments. */
const PATH_SEGMENT = /^[A-Za-z0-9_+,~-][A-Za-z0-9_.+,~-]*$/;

export function safePath(path, what = 'path') {
  const ok = typeof path === 'string' && path.length < 1024 && path.startsWith('/') &&
    path.slice(1).split('/').every((seg, i, all) => (seg === '' ? i === all.length - 1 && i > 0 : PATH_SEGMENT.test(seg)) && seg !== '..');
  if (!ok && path !== '/') throw new ProviderError(`refusing ${what} ${JSON.stringify(path)}: it must be an absolute path of letters, digits and . _ + , ~ - (no '..')`, 2);
  return path;
}

/** A DNS label, as hvkit validates every host and guest name. */
export function safeName(name, what = 'name') {
  if (typeof name !== 'string' || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) throw new ProviderError(`refusing ${what} ${JSON.stringify(name)}: it must be a DNS label`, 2);
  return name;
}

const LIBVIRT_URI = new RegExp(RULES.libvirtUri);
const LIBVIRT_SCHEMES = new Set(RULES.libvirtSchemes);
/** Query parameters that only tune a connection; `command`, `netcat`, `proxy` and `socket` would run or reach something else. */
const LIBVIRT_QUERY_KEYS = new Set(RULES.libvirtQueryKeys);

/**
 * A libvirt connection URI such as qemu+ssh://root@host/system or
 * qemu:///system: a known driver and transport (no `ext`), a host that cannot
 * be read as an option, and only query parameters that run nothing.
 */
export function libvirtUri(uri, what = 'host address') {
  const m = typeof uri === 'string' ? LIBVIRT_URI.exec(uri) : null;
  const port = m?.[2] === undefined ? undefined : Number(m[2]);
  const badKey = m?.[3]?.split('&').map((kv) => kv.split('=')[0]).find((k) => !LIBVIRT_QUERY_KEYS.has(k));
  if (!m || !LIBVIRT_SCHEMES.has(m[1]) || (port !== undefined && (port < 1 || port > 65535)) || badKey !== undefined) {
    throw new ProviderError(`refusing ${what} ${JSON.stringify(uri)}: it must be a libvirt URI such as qemu+ssh://root@host/system${badKey !== undefined ? ` (query parameter '${badKey}' is not allowed)` : ''}`, 2);
  }
  return uri;
}

import { printable } from './names';

/**
 * Sizes are written as strings with binary units (`'512MiB'`, `'5.5GiB'`) or
 * as plain numbers of MiB, and stored as whole MiB.
 */
export type Size = string | number;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : typeof v;
}

const UNITS: Record<string, number> = { kib: 1 / 1024, mib: 1, gib: 1024, tib: 1024 * 1024, pib: 1024 * 1024 * 1024 };
/** Largest size hvkit takes (1 PiB): larger is a typing mistake, and sums of sizes stay exact. */
export const MAX_SIZE_MIB = 1024 * 1024 * 1024;
const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*([KMGTP]iB)\s*$/i;

export type SizeResult = { ok: true; mib: number } | { ok: false; error: string };

export function parseSize(value: unknown): SizeResult {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return { ok: false, error: `size ${value} must be a non-negative number of MiB` };
    if (!Number.isInteger(value)) return { ok: false, error: `size ${value} must be a whole number of MiB` };
    if (value > MAX_SIZE_MIB) return { ok: false, error: `size ${value} MiB is more than 1PiB` };
    return { ok: true, mib: value };
  }
  if (typeof value !== 'string') return { ok: false, error: `size must be a string like '4GiB' or a number of MiB, got ${describe(value)}` };
  const m = SIZE_RE.exec(value);
  if (!m) {
    const hint = /\d\s*[kmgtp]b\s*$/i.test(value) ? ` (hvkit uses binary units: write '${printable(value.replace(/([kmgtp])b/i, '$1iB'))}')` : '';
    return { ok: false, error: `size '${printable(value)}' is not a size like '512MiB' or '5.5GiB'${hint}` };
  }
  const mib = Number(m[1]) * UNITS[m[2].toLowerCase()];
  if (!Number.isInteger(mib)) return { ok: false, error: `size '${value}' is not a whole number of MiB` };
  if (mib > MAX_SIZE_MIB) return { ok: false, error: `size '${value}' is more than 1PiB` };
  return { ok: true, mib };
}

/** Formats MiB for people: `8GiB`, `5.5GiB`, `700MiB`. */
export function formatSize(mib: number): string {
  const sign = mib < 0 ? '-' : '';
  const abs = Math.abs(mib);
  if (abs >= 1024 * 1024 && (abs * 100) % (1024 * 1024) === 0) return `${sign}${trim(abs / (1024 * 1024))}TiB`;
  if (abs >= 1024 && (abs * 100) % 1024 === 0) return `${sign}${trim(abs / 1024)}GiB`;
  if (abs >= 10240) return `${sign}${trim(Math.round((abs / 1024) * 10) / 10)}GiB`;
  return `${sign}${abs}MiB`;
}

function trim(n: number): string {
  return Number(n.toFixed(2)).toString();
}

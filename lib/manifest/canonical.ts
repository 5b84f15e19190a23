import { createHash } from 'node:crypto';

/** Recursively sorts object keys so the same data always gives the same bytes. */
export function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalize);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = canonicalize(v);
    }
    return out;
  }
  return value;
}

/** Canonical JSON text: sorted keys, two-space indent, trailing newline. */
export function canonicalJson(value: unknown, indent = 2): string {
  return JSON.stringify(canonicalize(value), null, indent) + '\n';
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Digest of a value's canonical form; short enough to show, long enough not to collide. */
export function digestOf(value: unknown): string {
  return sha256(JSON.stringify(canonicalize(value)));
}

/**
 * Digest of a manifest. buildManifest writes every key in sorted order and
 * manifest files are canonical, so plain JSON.stringify is the canonical form
 * (a test holds buildManifest to that).
 */
export function manifestDigest(m: object): string {
  return sha256(JSON.stringify(m));
}

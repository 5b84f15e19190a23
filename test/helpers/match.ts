import { expect } from 'vitest';

/**
 * Patterns for the plan and manifest assertions, after aws-cdk's `Match`
 * (aws-cdk-lib/assertions). vitest's asymmetric matchers do the matching, so a
 * pattern can also be any `expect.*` matcher. At the top level of an
 * assertion the pattern is object-like (keys not named are ignored); a nested
 * plain object or array must match exactly unless wrapped in `Match.objectLike`
 * / `Match.arrayWith`, as in aws-cdk.
 */
export const Match = {
  /** An object with at least these keys, each matching. */
  objectLike: (pattern: Record<string, unknown>): unknown => expect.objectContaining(pattern),
  /** An array containing these items, in any order. */
  arrayWith: (items: unknown[]): unknown => expect.arrayContaining(items),
  /** Any value but null and undefined. */
  anyValue: (): unknown => expect.anything(),
  /** A string matching this regular expression. */
  stringLikeRegexp: (re: RegExp | string): unknown => expect.stringMatching(re),
  /** The key is missing or undefined (top level of an assertion's pattern only). */
  absent: (): unknown => ABSENT,
  /** Exactly this value (a plain value already means that when nested; spelled out for the top level). */
  exact: (value: unknown): unknown => value,
};

const ABSENT = Object.freeze({
  asymmetricMatch: (v: unknown) => v === undefined,
  toString: () => 'Absent',
  toAsymmetricMatcher: () => 'Match.absent()',
});

type Matcher = { asymmetricMatch(v: unknown): boolean; toAsymmetricMatcher?(): string; toString(): string; sample?: unknown };
const isMatcher = (v: unknown): v is Matcher => typeof v === 'object' && v !== null && typeof (v as Matcher).asymmetricMatch === 'function';

/** Whether `actual` matches `pattern` the way `toEqual` would, asymmetric matchers included. */
export function matches(actual: unknown, pattern: unknown): boolean {
  if (pattern === ABSENT) return actual === undefined;
  if (isMatcher(pattern)) return pattern.asymmetricMatch(actual);
  // objectContaining over a one-key wrapper is vitest's own deep equality, with matchers nested anywhere.
  return (expect.objectContaining({ v: pattern }) as unknown as Matcher).asymmetricMatch({ v: actual });
}

/** The keys of an object-like `pattern` that `actual` does not match. */
export function mismatchedKeys(actual: Record<string, unknown>, pattern: Record<string, unknown>): string[] {
  return Object.keys(pattern).filter((k) => !matches(actual?.[k], pattern[k]));
}

/** A short, readable rendering of a value or pattern for failure messages. */
export function show(v: unknown, depth = 0): string {
  if (isMatcher(v)) {
    const name = v.toAsymmetricMatcher?.() ?? v.toString();
    return v.sample !== undefined && typeof name === 'string' && !name.includes('{') && !name.includes('[') ? `${name}(${show(v.sample, depth)})` : String(name);
  }
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v.length > 120 ? `${v.slice(0, 117)}...` : v);
  if (typeof v !== 'object' || v === null) return String(v);
  if (depth >= 2) return Array.isArray(v) ? `[…${v.length}]` : '{…}';
  if (Array.isArray(v)) return `[${v.slice(0, 6).map((x) => show(x, depth + 1)).join(', ')}${v.length > 6 ? `, …${v.length - 6} more` : ''}]`;
  const entries = Object.entries(v);
  return `{ ${entries.slice(0, 8).map(([k, x]) => `${k}: ${show(x, depth + 1)}`).join(', ')}${entries.length > 8 ? ', …' : ''} }`;
}

/**
 * Finds the record that matches `pattern` among `candidates`, or fails with
 * the nearest ones (fewest mismatched keys) and what each has instead.
 */
export function findMatching<T extends Record<string, unknown>>(what: string, candidates: T[], pattern: Record<string, unknown>, label: (c: T) => string): T {
  const scored = candidates.map((c) => ({ c, bad: mismatchedKeys(c, pattern) }));
  const hit = scored.find((s) => s.bad.length === 0);
  if (hit) return hit.c;
  if (candidates.length === 0) throw new Error(`expected ${what} matching ${show(pattern)}, but there are none at all`);
  const nearest = [...scored].sort((a, b) => a.bad.length - b.bad.length).slice(0, 3);
  const lines = nearest.map((s) => `  ${label(s.c)}: ${s.bad.map((k) => `${k} is ${show(s.c[k])}, want ${show(pattern[k])}`).join('; ')}`);
  throw new Error(`expected ${what} matching ${show(pattern)}; none of ${candidates.length} does. Nearest:\n${lines.join('\n')}`);
}

import type { Problem } from '../errors';
import { escapeControl, nearest, printable } from './names';
import { parseSize } from './size';

/** A value as a message shows it: numbers as they are, the type of anything else, strings quoted. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return `the string '${printable(v)}'`;
  if (typeof v === 'bigint') return `the bigint ${v}n`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (Array.isArray(v)) return 'a list';
  return 'an object';
}

/** A value for a message: a string quoted as it is (control characters escaped), anything else described. */
export function shown(v: unknown): string {
  return typeof v === 'string' ? `'${printable(v)}'` : describeValue(v);
}

/**
 * A copy of a list by index: a list with an own `constructor` or a changed
 * prototype cannot steer `map` or `slice` (species) or hide items.
 */
export function plainList(value: readonly unknown[]): unknown[] {
  if (Object.getPrototypeOf(value) === Array.prototype && !Object.hasOwn(value, 'constructor')) return value as unknown[];
  const out: unknown[] = [];
  for (let i = 0; i < value.length; i++) out.push(value[i]);
  return out;
}

/** A plain `{ key: value }` object (not a list, a function or null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The known name a mistyped one most likely meant, or undefined when none is close. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  return nearest(name, known)[0];
}

const KNOWN = new WeakMap<readonly string[], ReadonlySet<string>>();

/** Collects problems against construct paths; buildManifest throws them all at once. */
export class Collector {
  readonly problems: Problem[] = [];

  add(path: string, message: string): void {
    this.problems.push({ path: typeof path === 'string' ? escapeControl(path) : '(no path)', message });
  }

  /**
   * Own keys of `obj` that are not props: an error each, with the nearest
   * known name. `prefix` names the level (`memory.`, `disks[0].`).
   */
  keys(path: string, obj: object, known: readonly string[], prefix = ''): void {
    let set = KNOWN.get(known);
    if (!set) KNOWN.set(known, (set = new Set(known)));
    for (const k of Object.keys(obj)) if (!set.has(k)) this.unknownKey(path, k, known, prefix);
    for (const k of Object.getOwnPropertySymbols(obj)) this.unknownKey(path, k.toString(), known, prefix);
  }

  private unknownKey(path: string, key: string, known: readonly string[], prefix: string): void {
    const near = nearestName(key, known);
    this.add(path, `unknown prop '${prefix}${printable(key)}': ${near ? `did you mean '${prefix}${near}'?` : `use one of ${known.map((x) => prefix + x).join(', ')}`}`);
  }

  /** `value` as an object of props, or undefined (with a problem unless it is absent and optional). */
  record(path: string, what: string, value: unknown, example: string, optional = true): Record<string, unknown> | undefined {
    if (value === undefined && optional) return undefined;
    if (isRecord(value)) return value;
    this.add(path, `${what} must be an object like ${example}, got ${describeValue(value)}`);
    return undefined;
  }

  /** `value` as a list, or [] with a problem. */
  list(path: string, what: string, value: unknown, example: string): unknown[] {
    if (Array.isArray(value)) return plainList(value);
    this.add(path, `${what} must be a list like ${example}, got ${describeValue(value)}`);
    return [];
  }

  size(path: string, what: string, value: unknown): number {
    const r = parseSize(value);
    if (r.ok) return r.mib;
    this.add(path, `${what}: ${r.error}`);
    return 0;
  }

  /**
   * A whole number in [min, max]; a number written as a string is named as such.
   * @param maxWhy where max comes from when it is worked out, e.g. `100 × maxVcpus (2)`
   * @default maxWhy: none
   */
  count(path: string, what: string, value: unknown, min: number, max = MAX_COUNT, maxWhy?: string): number {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    const range = max === MAX_COUNT ? `≥ ${min}` : `from ${min} to ${max}${maxWhy ? ` = ${maxWhy}` : ''}`;
    this.add(path, `${what} must be a whole number ${range}, got ${describeValue(value)}${quotedNumberHint(value)}`);
    return min;
  }

  /** A finite number in [0, max]; absent is 0. */
  nonNegative(path: string, what: string, value: unknown, max = MAX_AMOUNT): number {
    if (value === undefined) return 0;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= max) return value;
    const range = max === MAX_AMOUNT ? '≥ 0' : `from 0 to ${max}`;
    this.add(path, `${what} must be a number ${range}, got ${describeValue(value)}${quotedNumberHint(value)}`);
    return 0;
  }

  pattern(path: string, what: string, value: unknown, re: RegExp, hint: string): string {
    if (typeof value === 'string' && re.test(value)) return value;
    if (typeof value !== 'string') this.add(path, `${what} must be a string, got ${describeValue(value)}: ${hint}`);
    else this.add(path, `${what} '${printable(value)}' is invalid: ${hint}`);
    return typeof value === 'string' ? value : '';
  }
}

/** Counts (vCPUs, cores, slots) above this are typing mistakes, not hardware. */
export const MAX_COUNT = 65536;
/** Loads, IOPS, link speeds: large enough for any hardware, small enough that sums stay finite. */
export const MAX_AMOUNT = 1e12;

function quotedNumberHint(value: unknown): string {
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return `: write ${value.trim()} without quotes`;
  return '';
}

import { describeValue, nearestName, type Collector } from './check';
import { printable } from './names';
import { PROP_KEYS } from './props';
import type { GuestLifecycle, GuestSpec, IgnorableProp } from './types';

/**
 * The spec fields each prop `lifecycle.ignoreChanges` may name stands for:
 * the user writes props (`memory`), the planner compares spec fields (`memoryMiB`).
 */
export const IGNORABLE: Readonly<Record<IgnorableProp, readonly (keyof GuestSpec)[]>> = {
  // `cpu: { cap, weight }` is the prop code writes; the flat names stay for code written before it.
  cpu: ['cpuCap', 'cpuWeight'],
  cpuCap: ['cpuCap'],
  cpuWeight: ['cpuWeight'],
  load: ['load'],
  maxMemory: ['maxMemoryMiB'],
  maxVcpus: ['maxVcpus'],
  memory: ['memoryMiB'],
  role: ['role'],
  tags: ['tags'],
  vcpus: ['vcpus'],
};
const NAMES: readonly string[] = [...Object.keys(IGNORABLE), 'all'];

/** The lifecycle a guest has when nothing sets one. */
export const DEFAULT_LIFECYCLE: GuestLifecycle = { ignoreChanges: [], preventDestroy: false };

/** The spec fields a lifecycle's `ignoreChanges` keeps at their recorded value. */
export function ignoredFields(l: GuestLifecycle): (keyof GuestSpec)[] {
  const props = l.ignoreChanges.includes('all') ? (Object.keys(IGNORABLE) as IgnorableProp[]) : (l.ignoreChanges as IgnorableProp[]);
  return [...new Set(props.flatMap((p) => IGNORABLE[p]))];
}

/**
 * A `lifecycle` prop of a fleet, host or guest, checked where it is written
 * (so a fleet's typo is one error, not one per guest): only its valid keys.
 */
export function lifecycleProps(c: Collector, path: string, raw: unknown): Partial<GuestLifecycle> {
  const l = c.record(path, 'lifecycle', raw, "{ preventDestroy: true, ignoreChanges: ['memory'] }") ?? {};
  c.keys(path, l, PROP_KEYS.lifecycle, 'lifecycle.');
  const out: Partial<GuestLifecycle> = {};
  if (l.preventDestroy !== undefined) {
    if (typeof l.preventDestroy === 'boolean') out.preventDestroy = l.preventDestroy;
    else c.add(path, `lifecycle.preventDestroy must be true or false, got ${describeValue(l.preventDestroy)}`);
  }
  if (l.ignoreChanges !== undefined) {
    const names = c.list(path, 'lifecycle.ignoreChanges', l.ignoreChanges, "['memory', 'vcpus']").filter((v, i) => {
      if (typeof v === 'string' && NAMES.includes(v)) return true;
      c.add(path, `lifecycle.ignoreChanges[${i}] ${whyNot(v)}`);
      return false;
    }) as GuestLifecycle['ignoreChanges'];
    out.ignoreChanges = [...new Set(names)].sort();
  }
  return out;
}

function whyNot(v: unknown): string {
  if (typeof v !== 'string') return `must be a prop name such as 'memory', got ${describeValue(v)}`;
  if ((PROP_KEYS.guest as readonly string[]).includes(v)) return `'${v}' cannot be ignored: a change of it replaces or restarts the guest and must be planned (ignorable: ${NAMES.join(', ')})`;
  const near = nearestName(v, NAMES);
  return `'${printable(v)}' is not a prop hvkit can ignore: ${near ? `did you mean '${near}'?` : `use one of ${NAMES.join(', ')}`}`;
}

/** A guest's lifecycle: each key from the guest, else its host, else the fleet, else the default. */
export function resolveLifecycle(...levels: Partial<GuestLifecycle>[]): GuestLifecycle {
  const pick = <K extends keyof GuestLifecycle>(k: K): GuestLifecycle[K] => levels.find((l) => l[k] !== undefined)?.[k] ?? DEFAULT_LIFECYCLE[k];
  return { ignoreChanges: [...pick('ignoreChanges')], preventDestroy: pick('preventDestroy') };
}

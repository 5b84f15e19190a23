import type { Diagnostic } from '../diagnostics';
import { ignoredFields } from '../manifest/lifecycle';
import { formatSize } from '../manifest/size';
import { renderConfig } from '../hypervisor/render';
import type { GuestSpec, HostSpec, Manifest } from '../manifest/types';
import { own, type State } from '../state/types';
import { dataLossText } from './data-loss';
import { reasonText } from './reason';
import type { Change } from './types';

/** Limits in code that a kept (recorded) value must still respect: [value field, prop, limit field, limit prop]. */
const BOUNDS: readonly [keyof GuestSpec, string, keyof GuestSpec, string][] = [
  ['memoryMiB', 'memory', 'maxMemoryMiB', 'maxMemory'],
  ['vcpus', 'vcpus', 'maxVcpus', 'maxVcpus'],
];

/**
 * The manifest as the planner applies it: for a deployed guest, the fields
 * its `lifecycle.ignoreChanges` names keep the value state records
 * (Terraform's `ignore_changes`), so their differences are not planned and
 * fit, configs and steps all use what the guest really keeps. A kept value
 * that no longer fits the code's limit (memory above a lowered maxMemory) is
 * an error naming the guest.
 */
export function withIgnoredChanges(m: Manifest, state: State | undefined): KeptChanges {
  const diagnostics: Diagnostic[] = [];
  const code = new Map<string, GuestSpec>();
  let changed = false;
  const guests = m.guests.map((g) => {
    const rec = own(state?.guests, g.name)?.spec;
    const fields = rec ? ignoredFields(g.lifecycle) : [];
    if (!rec || fields.length === 0) return g;
    const kept: GuestSpec = { ...g };
    for (const f of fields) (kept as unknown as Record<string, unknown>)[f] = rec[f];
    // A maximum left to its default follows its value in code: ignoring the value ignores the maximum it drags along.
    for (const [value, , limit] of BOUNDS) if (fields.includes(value) && g[limit] === g[value]) (kept as unknown as Record<string, unknown>)[limit] = rec[limit];
    for (const [value, prop, limit, limitProp] of BOUNDS) {
      if ((kept[value] as number) <= (kept[limit] as number)) continue;
      const show = (f: keyof GuestSpec) => (f.endsWith('MiB') ? formatSize(kept[f] as number) : String(kept[f]));
      diagnostics.push({
        severity: 'error', code: 'ignore-changes', path: g.path,
        message: `lifecycle.ignoreChanges keeps the recorded ${prop} ${show(value)}, above ${limitProp} ${show(limit)}: raise ${limitProp}, or ignore it too, or stop ignoring ${prop}`,
      });
    }
    changed = true;
    code.set(g.name, g);
    return kept;
  });
  return { manifest: changed ? { ...m, guests } : m, diagnostics, code };
}

/** The manifest the planner applies, and what keeping recorded values found. */
export interface KeptChanges {
  manifest: Manifest;
  diagnostics: Diagnostic[];
  /** The code's own spec of each guest that keeps a recorded value. */
  code: ReadonlyMap<string, GuestSpec>;
}

/**
 * Whether a guest's applied config differs from its config in code only by
 * values `ignoreChanges` keeps: `hvkit refresh` records a memory set by hand,
 * but the config file on the host is still the one hvkit rendered. That is
 * no change to plan (no restart to rewrite it).
 */
export function configMatchesCode(kept: KeptChanges, host: HostSpec, name: string, applied: string): boolean {
  const code = kept.code.get(name);
  return code !== undefined && renderConfig(host, code).text === applied;
}

/**
 * An error for each change that would destroy the data of a guest with
 * `lifecycle.preventDestroy` (Terraform's prevent_destroy). The setting in
 * `code` decides for a guest code has, applied or not (`hvkit destroy`
 * deletes guests code still has), under its name or renamed from it
 * (movedFrom); for a guest gone from code, the one state
 * records does, so removing a protected guest from code does not remove its
 * protection.
 */
export function preventDestroyDiagnostics(changes: readonly Change[], code: Manifest): Diagnostic[] {
  // A guest code renames (movedFrom) is still in code: its new name's setting protects the old record.
  const inCode = new Map<string, GuestSpec>();
  for (const g of code.guests) if (g.movedFrom !== null && !inCode.has(g.movedFrom)) inCode.set(g.movedFrom, g);
  for (const g of code.guests) inCode.set(g.name, g);
  const out: Diagnostic[] = [];
  for (const c of changes) {
    if (c.kind !== 'guest' || !c.dataLoss) continue;
    const coded = inCode.get(c.name);
    if (!(coded ?? c.after ?? c.before)!.lifecycle.preventDestroy) continue;
    // Only `hvkit destroy` deletes a guest code still has: its reason (removed-from-code) would say otherwise.
    const destroyed = coded?.name === c.name && c.action === 'delete';
    const what = `${c.action === 'delete' ? 'destroy' : c.action}: ${destroyed ? 'hvkit destroy' : reasonText(c.reason)}; ${dataLossText(c.dataLoss)}`;
    // For `hvkit destroy` the way out is to unprotect the guest in code first.
    const fix = coded
      ? (destroyed ? 'set lifecycle.preventDestroy: false in code and apply, then destroy' : 'remove the setting or change the plan')
      : 'to delete it, put it back in code with lifecycle.preventDestroy: false and apply, then remove it';
    out.push({ severity: 'error', code: 'prevent-destroy', path: coded?.path ?? c.address, message: `${c.name} has lifecycle.preventDestroy: this plan would destroy its data (${what}); ${fix}` });
  }
  return out;
}

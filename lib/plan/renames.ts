import type { Diagnostic } from '../diagnostics';
import { renderConfig } from '../hypervisor/render';
import { movedFromConflict } from '../manifest/moved-from';
import type { GuestSpec, HostSpec, Manifest, ProviderName } from '../manifest/types';
import { own, type State } from '../state/types';
import type { GuestChange, Step } from './types';

/** What the fleet's providers can do, as the caller found their scripts. */
export interface Capabilities {
  /** Providers with a `rename` verb; a guest on another one is destroyed and created under its new name. */
  rename: ReadonlySet<ProviderName>;
}

/** Providers that rename only a stopped domain (`virsh domrename`): the guest shuts down and starts again. */
const RENAME_STOPS: ReadonlySet<ProviderName> = new Set<ProviderName>(['libvirt']);

export interface Renames {
  /** The state as the planner compares it: a renamed guest's record under its new name (its spec keeps the old one). */
  state: State | undefined;
  /** New name → the name state records it under, for the renames to plan. */
  from: Map<string, string>;
  diagnostics: Diagnostic[];
}

/**
 * Reads the guests' `movedFrom` against state, as Terraform reads `moved`
 * blocks: a guest recorded under its old name and not its new one is renamed;
 * a rename already applied, or from a name state never had, is nothing to do.
 * Pure: `capabilities` says which providers can rename.
 * @param capabilities @default every provider can rename
 * @param kept guests a `--target`ed plan leaves as recorded: in its manifest, though not targeted
 */
export function findRenames(m: Manifest, state: State | undefined, capabilities?: Capabilities, kept: ReadonlySet<string> = new Set()): Renames {
  const from = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const inCode = new Map(m.guests.map((g) => [g.name, g]));
  const claimed = new Map<string, GuestSpec>();
  const say = (severity: Diagnostic['severity'], g: GuestSpec, message: string) => diagnostics.push({ severity, code: 'rename', path: g.path, message: `movedFrom '${g.movedFrom}': ${message}` });
  for (const g of m.guests) {
    const old = g.movedFrom;
    if (old === null) continue;
    const first = claimed.get(old);
    const rec = own(state?.guests, old);
    // The manifest build refuses these conflicts of code alone; asked again here of manifests made another way.
    const conflict = movedFromConflict(g, inCode, claimed);
    if (inCode.has(old) && kept.has(old)) {
      say('error', g, `${old} is not targeted, so this plan keeps it as recorded: target ${old} too to rename it into ${g.name}`);
    } else if (conflict) {
      say('error', g, conflict);
    } else if (rec && own(state?.guests, g.name)) {
      say('error', g, `state records both ${old} and ${g.name}, so there is nothing to rename into: remove movedFrom (the plan then destroys ${old}), or forget the stale record with \`hvkit state rm ${old}\``);
    } else if (rec && capabilities && !capabilities.rename.has(rec.provider)) {
      say('warning', g, `provider ${rec.provider} cannot rename: ${old} will be destroyed and created as ${g.name} (its data is lost)`);
    } else if (rec) {
      from.set(g.name, old);
    } else if (!own(state?.guests, g.name)) {
      say('note', g, `state records no guest ${old}, so there is nothing to rename: ${g.name} is created (as Terraform ignores a moved block from an address it does not know)`);
    }
    claimed.set(old, first ?? g);
  }
  if (diagnostics.some((d) => d.severity === 'error')) from.clear();
  if (!state || from.size === 0) return { state, from, diagnostics };
  const guests = { ...state.guests };
  for (const [name, old] of from) {
    guests[name] = guests[old];
    delete guests[old];
  }
  return { state: { ...state, guests }, from, diagnostics };
}

/** The recorded guest under its new name: what the rename step leaves, before any change on top. */
export function renamedSpec(recorded: GuestSpec, code: GuestSpec): GuestSpec {
  return { ...recorded, name: code.name, path: code.path, movedFrom: code.movedFrom };
}

/**
 * The rename step of a recorded guest on its (recorded) host. Its `after`
 * carries `movedFrom`, which is how recovery and state name the old record.
 */
export function renameStep(recorded: GuestSpec, renamed: GuestSpec, host: HostSpec): Step {
  const config = renderConfig(host, renamed);
  return {
    id: `rename:${renamed.name}`, kind: 'rename', provider: host.provider, host: host.name, guest: renamed.name,
    dependsOn: [], hostSpec: host, before: recorded, after: renamed, config,
    description: `rename ${recorded.name} → ${renamed.name} on ${host.name} (same domain, UUID and disks${RENAME_STOPS.has(host.provider) ? '; shuts down and starts again' : ''})`,
  };
}

/**
 * The one change a reviewer reads for a renamed guest: the rename, with
 * whatever is planned on top of it (`then`) folded into its reason and fields.
 */
export function renameChange(onTop: GuestChange, recorded: GuestSpec, provider: ProviderName): GuestChange {
  const stops = RENAME_STOPS.has(provider);
  const then = onTop.action === 'noop' ? undefined : onTop.reason;
  return {
    ...onTop, action: 'rename', before: recorded,
    reason: { code: 'renamed', detail: { from: recorded.name, to: onTop.name, stops, ...(then ? { then } : {}) } },
    restart: stops || onTop.restart, recordOnly: false,
    fields: [{ field: 'name', before: recorded.name, after: onTop.name }, ...onTop.fields],
  };
}

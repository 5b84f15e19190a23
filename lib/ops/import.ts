import { randomUUID } from 'node:crypto';
import { Packing } from '../capacity/placement';
import { HvkitError } from '../errors';
import { renderConfig } from '../hypervisor/render';
import { candidateHosts, describeCandidates } from '../manifest/build-unplaced';
import { nearestName } from '../manifest/check';
import type { GuestSpec, HostSpec, Manifest, UnplacedGuestSpec } from '../manifest/types';
import { placementPolicy, placeUnplaced } from '../plan/placement';
import { placementLine } from '../render/placement-text';
import { emptyState, own, powerRecord, type ObservedDomain, type ObservedHost, type State } from '../state/types';
import { withStateLock, type LockRelease } from '../state/with-lock';
import { runnerFor } from './prepare';
import { observeAll, type OpsOptions } from './refresh';

export interface ImportOptions extends OpsOptions {
  guest: string;
  /**
   * The host that runs a guest code declares without a host (`--host`):
   * asked alone. Must be one of the hosts of the guest's provider that carry
   * its selector's tags.
   * @default every such host is asked, and the one that runs the guest is taken
   */
  host?: string;
}

export interface Imported extends LockRelease {
  state: State;
  domain: ObservedDomain;
  host: string;
  /** Said on stderr: the next plan moves the guest after all, or a host asked did not answer. */
  warnings: string[];
}

/**
 * Adopts a domain that already runs into state, when code declares it:
 * recorded as it runs, so the next plan shows what to change rather than
 * creating it again. A guest code places on a Host is looked for there; one
 * code leaves to placement is looked for on every host it may run on (its
 * provider, its selector's tags), or on `host` alone, and recorded there, so
 * placement keeps it there (sticky) as long as that host admits it.
 */
export async function importGuest(opts: ImportOptions): Promise<Imported> {
  const pinned = opts.manifest.guests.find((g) => g.name === opts.guest);
  const unplaced = pinned ? undefined : opts.manifest.unplaced?.find((g) => g.name === opts.guest);
  if (!pinned && !unplaced) throw new HvkitError(`guest '${opts.guest}' is not declared in code: declare it in its Host (or in the Fleet, for hvkit to place it), then import it`);
  if (pinned && opts.host !== undefined && opts.host !== pinned.host) {
    throw new HvkitError(`${pinned.name} is declared on ${pinned.host} in code (${pinned.path}), so import looks for it there: --host is for guests hvkit places; leave it out, or move the guest in code`);
  }
  const asked = pinned ? [hostNamed(opts.manifest, pinned.host)] : hostsToAsk(opts.manifest, unplaced!, opts.host);
  const { value, unlockWarning } = await withStateLock(opts.store, 'import', async () => {
    const stored = await opts.store.read();
    const state = stored ? structuredClone(stored) : emptyState(opts.manifest.fleet, randomUUID());
    const already = own(state.guests, opts.guest);
    if (already) throw new HvkitError(`${opts.guest} is already in state (on ${already.spec.host}); nothing to import`);
    const seen = await observeAll(runnerFor(opts.projectDir, opts.env), opts.manifest.fleet, asked, opts.timeoutMs);
    const { host, obs, domain, warnings } = whereItRuns(opts.guest, asked, seen, Boolean(pinned || opts.host));
    const recorded = pinned ? asRun(pinned, domain) : placedRecord(opts.manifest, state, unplaced!, host, domain, warnings);
    state.hosts[host.name] ??= { spec: host, ...(obs.memoryMiB !== undefined ? { installedMiB: obs.memoryMiB } : {}) };
    // Recorded as the provider's list sees it, so a plan starts a shut-off domain that code wants running.
    const power = powerRecord(domain.running ? 'running' : 'stopped', false, 'refresh');
    state.guests[recorded.name] = { spec: recorded, provider: host.provider, config: renderConfig(host, recorded).text, ...(power ? { power } : {}) };
    state.serial = await opts.store.write(state);
    return { state, domain, host: host.name, warnings };
  });
  return { ...value, ...(unlockWarning ? { unlockWarning } : {}) };
}

function hostNamed(m: Manifest, name: string): HostSpec {
  const h = m.hosts.find((x) => x.name === name);
  // The manifest build refuses a guest on a host code does not have.
  if (!h) throw new Error(`host ${name} of a guest in code is not in code`);
  return h;
}

/** The hosts a guest hvkit places may run on (or `--host`, checked to be one of them), in name order. */
function hostsToAsk(m: Manifest, g: UnplacedGuestSpec, named: string | undefined): HostSpec[] {
  const { provider, selector } = g.placement;
  const candidates = candidateHosts(m.hosts, provider, selector);
  if (named !== undefined) {
    const h = m.hosts.find((x) => x.name === named);
    if (!h) {
      const near = nearestName(named, m.hosts.map((x) => x.name));
      throw new HvkitError(`--host ${named} is not a host in code${near ? `; did you mean '${near}'?` : ''}`);
    }
    if (!candidates.includes(h)) {
      throw new HvkitError(`--host ${named} cannot run ${g.name}: ${g.path} may run only on ${describeCandidates(provider, selector)}, and ${named} is of provider ${h.provider}${tagsText(h.tags)}`);
    }
    return [h];
  }
  if (!candidates.length) throw new HvkitError(`${g.name} may run only on ${describeCandidates(provider, selector)}, and code has none: nothing to ask (fix the guest's hostSelector or HostGroup, or add such a host)`);
  return [...candidates].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function tagsText(tags: Readonly<Record<string, string>>): string {
  const t = Object.keys(tags).sort().map((k) => `${k}=${tags[k]}`);
  return t.length ? ` with tags ${t.join(', ')}` : ' with no tags';
}


/** The one host of `asked` that runs the guest, or an error saying none or which several do. */
function whereItRuns(name: string, asked: readonly HostSpec[], seen: readonly ObservedHost[], oneHost: boolean): { host: HostSpec; obs: ObservedHost; domain: ObservedDomain; warnings: string[] } {
  const found = asked.flatMap((host, i) => {
    const domain = seen[i].domains.find((d) => d.name === name);
    return domain ? [{ host, obs: seen[i], domain }] : [];
  });
  const silent = asked.filter((_, i) => !seen[i].reachable);
  if (oneHost && silent.length) throw new HvkitError(`cannot ask ${asked[0].name} what it runs: ${seen[0].error}`);
  if (oneHost && !found.length) throw new HvkitError(`no domain named ${name} runs on ${asked[0].name}: nothing to import; \`hvkit apply\` creates it`);
  const silentText = silent.map((h) => `${h.name} (${seen[asked.indexOf(h)].error ?? 'no answer'})`).join(', ');
  if (found.length > 1) {
    throw new HvkitError(`${name} runs on ${found.map((f) => f.host.name).join(' and ')}: import one with --host HOST (the copy with the current data), and destroy the other by hand`);
  }
  if (!found.length) {
    const none = `no domain named ${name} runs on the hosts it may run on (asked ${asked.map((h) => h.name).join(', ')})`;
    if (silent.length) throw new HvkitError(`${none}, but ${silentText} did not answer: run import again when ${silent.length === 1 ? 'it is' : 'they are'} back, or pass --host HOST`);
    throw new HvkitError(`${none}: nothing to import; \`hvkit apply\` creates it`);
  }
  const warnings = silent.length ? [`${silentText} did not answer, so import could not check that ${name} runs nowhere else; \`hvkit refresh\` shows a second copy if there is one`] : [];
  return { ...found[0], warnings };
}

/** Code's guest with the memory and vCPUs the domain runs with: the next plan shows what differs. */
function asRun(spec: GuestSpec, domain: ObservedDomain): GuestSpec {
  return {
    ...spec,
    memoryMiB: domain.memoryMiB,
    maxMemoryMiB: domain.maxMemoryMiB ?? spec.maxMemoryMiB,
    vcpus: domain.vcpus,
    maxVcpus: domain.maxVcpus ?? spec.maxVcpus,
  };
}

/**
 * The record of a guest hvkit places, on the host that runs it: its disks
 * on the host disks placement gives it there. Placement is asked as the next
 * plan asks it (placeUnplaced on the state with this record): when it would
 * not keep the guest there (the host cannot take it beside its other guests),
 * the record is still written, for the domain does run there, and `warnings`
 * says what the next plan does instead.
 */
function placedRecord(m: Manifest, state: State, g: UnplacedGuestSpec, host: HostSpec, domain: ObservedDomain, warnings: string[]): GuestSpec {
  const { placement: _, ...code } = g;
  const trial = structuredClone(state);
  const provisional: GuestSpec = { ...code, host: host.name };
  trial.guests[g.name] = { spec: provisional, provider: host.provider, config: '' };
  const placed = placeUnplaced(m, trial, placementPolicy(m));
  const decision = placed.placements.find((d) => d.guest === g.name);
  const spec = placed.manifest.guests.find((x) => x.name === g.name);
  if (decision?.code === 'kept' && spec?.host === host.name) return asRun(spec, domain);
  const unplaceable = placed.diagnostics.find((d) => d.path === g.path);
  warnings.push(decision && decision.code !== 'kept'
    ? `${g.name} is recorded on ${host.name}, where it runs, but the next plan moves it: ${placementLine(decision)}`
    : `${g.name} is recorded on ${host.name}, where it runs, but ${host.name} cannot keep it: ${unplaceable?.message ?? 'placement does not keep it there'}`);
  // Disks left to placement stay unnamed in code: the record puts them where the capacity engine would on this host.
  if (spec?.host === host.name) return asRun(spec, domain);
  const beside = Object.values(state.guests).filter((r) => r.spec.host === host.name).map((r) => r.spec);
  return asRun(new Packing([{ spec: host, guests: beside }]).tryPlace(host.name, provisional).guest, domain);
}

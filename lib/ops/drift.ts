import type { Diagnostic } from '../diagnostics';
import { formatSize } from '../manifest/size';
import type { Manifest } from '../manifest/types';
import type { DriftItem } from '../plan/types';
import { own, recordedPower, type ObservedDomain, type State } from '../state/types';

/**
 * Compares state with what `hvkit refresh` last saw on the hypervisors.
 * Returns the drift and the state as the hypervisors really have it, so the
 * planner's ordinary diff plans the convergence.
 */
export function driftOf(manifest: Manifest, state: State | undefined, covered?: ReadonlySet<string>): { state: State | undefined; items: DriftItem[]; diagnostics: Diagnostic[] } {
  if (!state?.observed) return { state, items: [], diagnostics: [] };
  const next = structuredClone(state);
  const items: DriftItem[] = [];
  const diagnostics: Diagnostic[] = [];
  const inCode = new Map(manifest.guests.map((g) => [g.name, g]));
  // Guests code leaves to placement (refresh reads code before placement: their `host` is ''), declared all the same.
  const unplaced = new Map((manifest.unplaced ?? []).map((g) => [g.name, g]));
  // Looked up for every observed domain: a Map, not a scan of the hosts each time.
  const hostsInCode = new Map(manifest.hosts.map((h) => [h.name, h]));
  const hostPath = (h: string) => hostsInCode.get(h)?.path ?? own(state.hosts, h)?.spec.path ?? h;
  const observed = state.observed.hosts;
  const observedAt = state.observed.at;
  /** Every reachable host that reports a domain of that name. */
  const seenOn = new Map<string, { host: string; d: ObservedDomain }[]>();
  const machineOf = (h: string) => {
    const spec = hostsInCode.get(h) ?? own(state.hosts, h)?.spec;
    return spec ? `${spec.provider} ${spec.address}` : h;
  };
  const guestPath = (name: string) => inCode.get(name)?.path ?? unplaced.get(name)?.path ?? own(state.guests, name)?.spec.path ?? name;
  const guestDrift = (name: string) => {
    const g = state.guests[name]; // name comes from Object.keys(state.guests)
    const home = g.spec.host;
    // Two host names for one hypervisor (the same address) see the same domains: that is not a copy.
    const where = (seenOn.get(name) ?? []).filter((w, i, all) => all.findIndex((x) => machineOf(x.host) === machineOf(w.host)) === i || w.host === home);
    const atHome = where.find((w) => w.host === home) ?? where.find((w) => machineOf(w.host) === machineOf(home));
    const elsewhere = where.filter((w) => machineOf(w.host) !== machineOf(home)).map((w) => w.host);
    const homeAnswered = observed[home]?.reachable === true;
    if (elsewhere.length && (atHome || elsewhere.length > 1 || !homeAnswered)) {
      const hosts = [...(atHome ? [home] : []), ...elsewhere];
      const copies = atHome ? `on ${hosts.join(' and ')}` : `on ${hosts.join(' and ')}${homeAnswered ? '' : ` (state records it on ${home}, which did not answer)`}`;
      items.push({ kind: 'guest-duplicate', host: home, guest: name, message: `${name} runs ${copies} at once (a migration cut between its halves, or a copy made outside hvkit)` });
      diagnostics.push({
        severity: 'error', code: 'drift', path: guestPath(name),
        message: `${name} runs ${copies}; state records it on ${home}. hvkit will not choose which copy to keep: check which one has the current data, destroy the other on its host by hand, then run \`hvkit refresh\``,
      });
      return;
    }
    if (elsewhere.length === 1 && !atHome) {
      const [{ host: there, d }] = where;
      const codeHost = inCode.get(name)?.host;
      items.push({ kind: 'guest-moved', host: home, guest: name, message: `${name} runs on ${there}, not on ${home} where state records it: moved outside hvkit` });
      diagnostics.push({
        severity: 'warning', code: 'drift', path: guestPath(name),
        message: codeHost === there
          ? `${name} was moved to ${there} outside hvkit, where code places it: the plan records it there and leaves it running`
          : `${name} was moved to ${there} outside hvkit; the plan ${codeHost ? `migrates it back to ${codeHost}, where code places it` : 'destroys it there, as code no longer has it'} (or place it on ${there} in code)`,
      });
      next.guests[name] = { ...g, spec: { ...g.spec, host: there, memoryMiB: d.memoryMiB, vcpus: d.vcpus } };
      return;
    }
    if (!atHome) {
      if (!homeAnswered) return;
      // xl forgets a domain once it shuts down: a xen guest hvkit stopped is not missing, only not running.
      if (recordedPower(g) === 'stopped' && machineOf(home).startsWith('xen ')) return;
      items.push({ kind: 'guest-missing', host: home, guest: name, message: `${name} is recorded on ${home} but the hypervisor does not run it (deleted by hand?)` });
      delete next.guests[name];
      return;
    }
    const d = atHome.d;
    const codeHost = inCode.get(name)?.host;
    // What should run: code's power where code keeps the guest here, else what state recorded.
    const wanted = codeHost === home ? inCode.get(name)!.power : recordedPower(g);
    const seen = d.running === false ? 'stopped' : 'running';
    // Recorded as seen, so the plan starts or stops the guest only where code wants otherwise (lib/plan/power.ts).
    if (seen !== recordedPower(g)) next.guests[name] = { ...g, power: { state: seen, at: observedAt, by: 'refresh' } };
    if (seen === 'running' && wanted === 'stopped') {
      items.push({ kind: 'guest-running', host: home, guest: name, message: `${name} on ${home} runs; ${codeHost === home ? "code says power: 'stopped'" : 'state records it stopped'} (started outside hvkit?)` });
      if (codeHost === home) diagnostics.push({ severity: 'warning', code: 'drift', path: guestPath(name), message: `${name} runs on ${home}, but code says power: 'stopped': the plan shuts it down` });
    }
    if (d.running === false && wanted === 'running') {
      items.push({ kind: 'guest-stopped', host: home, guest: name, message: `${name} on ${home} is shut off; ${recordedPower(g) === 'stopped' ? 'code wants it running' : 'state records it running (stopped outside hvkit, or it crashed)'}` });
      if (codeHost !== home) {
        // Code removed or moved it: keep the record, so the plan destroys or migrates the domain rather than orphaning it.
        diagnostics.push({
          severity: 'warning', code: 'drift', path: guestPath(name),
          message: codeHost
            ? `${name} is shut off on ${home}; code places it on ${codeHost}: the plan migrates it there (a hypervisor that cannot migrate a shut-off domain fails that step: start it on ${home} first)`
            : `${name} is shut off on ${home} and code no longer has it: the plan destroys it`,
        });
        return;
      }
      diagnostics.push({ severity: 'warning', code: 'drift', path: guestPath(name), message: `${name} is shut off on ${home}: the plan starts it again (its config and disks are kept)` });
    }
    // A stopped domain reports the memory and vCPUs it would boot with: comparing them still finds changes made by hand,
    // before the plan starts it with them.
    if (d.memoryMiB !== g.spec.memoryMiB || d.vcpus !== g.spec.vcpus) {
      items.push({ kind: 'guest-changed', host: home, guest: name, message: `${name} on ${home} ${d.running === false ? 'would boot' : 'runs'} with ${formatSize(d.memoryMiB)} and ${d.vcpus} vCPUs; state says ${formatSize(g.spec.memoryMiB)} and ${g.spec.vcpus} (changed by hand?)` });
      next.guests[name] = { ...next.guests[name], spec: { ...g.spec, memoryMiB: d.memoryMiB, vcpus: d.vcpus } };
    }
  };
  for (const [host, obs] of Object.entries(observed).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!obs.reachable) {
      items.push({ kind: 'host-unreachable', host, message: `${host} did not answer refresh (${obs.error ?? 'no reason given'}); its guests are planned from state` });
      diagnostics.push({ severity: 'warning', code: 'unreachable', path: hostPath(host), message: `${host} did not answer the last refresh; run \`hvkit refresh\` when it is back` });
      continue;
    }
    const rec = own(state.hosts, host);
    const code = hostsInCode.get(host);
    // A host step (add, memory change) reads the facts again when it runs: an earlier refresh's memory would be stale.
    const recheckedByStep = code && (!rec || JSON.stringify(rec.spec.memory.dimmsMiB) !== JSON.stringify(code.memory.dimmsMiB));
    if (obs.memoryMiB !== undefined && code && !recheckedByStep && obs.memoryMiB !== code.memory.totalMiB) {
      items.push({ kind: 'host-memory', host, message: `${host} reports ${formatSize(obs.memoryMiB)} installed, code says ${formatSize(code.memory.totalMiB)}` });
      if (rec) next.hosts[host] = { ...rec, installedMiB: obs.memoryMiB };
      diagnostics.push({
        severity: obs.memoryMiB < code.memory.totalMiB ? 'warning' : 'note', code: 'drift', path: code.path,
        message: obs.memoryMiB < code.memory.totalMiB
          ? `${host} has ${formatSize(obs.memoryMiB)} installed but code expects ${formatSize(code.memory.totalMiB)}: fit the missing DIMMs (or a DIMM failed)`
          : `${host} has ${formatSize(obs.memoryMiB)} installed, more than the ${formatSize(code.memory.totalMiB)} code describes: update memory.dimms`,
      });
    }
    for (const d of obs.domains) {
      const list = seenOn.get(d.name);
      if (list) list.push({ host, d });
      else seenOn.set(d.name, [{ host, d }]);
      if (own(state.guests, d.name)) continue;
      const declared = inCode.get(d.name) ?? unplaced.get(d.name);
      const how = declared ? (declared.host === '' ? ' but code declares (without a host: hvkit places it)' : ' but code declares') : ' and code does not declare';
      items.push({ kind: 'unknown-domain', host, guest: d.name, message: `${host} runs ${d.name}, which state does not know${how}` });
      diagnostics.push(declared
        ? { severity: 'error', code: 'drift', path: declared.path, message: `a domain named ${d.name} already runs on ${host}: adopt it with \`hvkit import ${d.name}\` instead of creating it again` }
        : { severity: 'warning', code: 'drift', path: hostPath(host), message: `${host} runs ${d.name}, which hvkit does not manage: declare it in code and \`hvkit import\` it, or remove it by hand` });
    }
  }
  for (const name of Object.keys(state.guests).sort()) {
    const [i, d] = [items.length, diagnostics.length];
    guestDrift(name);
    if (covered && !covered.has(name)) leaveOut(name, items.slice(i), diagnostics, d, guestPath(name));
  }
  return { state: next, items, diagnostics };
}

/**
 * Marks the drift of a guest a `--target`ed plan leaves out (`covered` of
 * driftOf): the plan keeps it as refresh saw it, so the warnings from index
 * `from` on, which say how the plan converges it, give way to one that says
 * it does not. Errors stay: they block any plan.
 */
function leaveOut(name: string, found: DriftItem[], diagnostics: Diagnostic[], from: number, path: string): void {
  if (found.length === 0) return;
  for (const item of found) item.leftOut = true;
  const kept = diagnostics.splice(from).filter((d) => d.severity === 'error');
  diagnostics.push(...kept);
  if (kept.length) return;
  diagnostics.push({
    severity: 'warning', code: 'drift', path,
    message: `${name} has drifted (${found.map((x) => x.message).join('; ')}); --target leaves it out, so this plan does not converge it: plan without --target, or with --target ${name}`,
  });
}

/**
 * Copies the power state the last refresh saw into the guest records (mutates
 * `state`). Apply calls it before it drops the refresh's observations, so a
 * guest found stopped, which code wants stopped and no step touches, stays
 * recorded as stopped rather than planned as a stop again.
 */
export function keepObservedPower(state: State, manifest: Manifest): void {
  const seen = driftOf(manifest, state).state;
  for (const [name, rec] of Object.entries(state.guests)) {
    const power = own(seen?.guests, name)?.power;
    if (power && JSON.stringify(power) !== JSON.stringify(rec.power)) state.guests[name] = { ...rec, power };
  }
}

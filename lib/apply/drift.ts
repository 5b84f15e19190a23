import type { Diagnostic } from '../diagnostics';
import { formatSize } from '../manifest/size';
import type { Manifest } from '../manifest/types';
import type { DriftItem } from '../plan/types';
import type { State } from '../state/types';

/**
 * Compares state with what `hvkit refresh` last saw on the hypervisors.
 * Returns the drift and the state as the hypervisors really have it, so the
 * planner's ordinary diff plans the convergence.
 */
export function driftOf(manifest: Manifest, state: State | undefined): { state: State | undefined; items: DriftItem[]; diagnostics: Diagnostic[] } {
  if (!state?.observed) return { state, items: [], diagnostics: [] };
  const next = structuredClone(state);
  const items: DriftItem[] = [];
  const diagnostics: Diagnostic[] = [];
  const inCode = new Map(manifest.guests.map((g) => [g.name, g]));
  const hostPath = (h: string) => manifest.hosts.find((x) => x.name === h)?.path ?? state.hosts[h]?.spec.path ?? h;
  for (const [host, obs] of Object.entries(state.observed.hosts).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!obs.reachable) {
      items.push({ kind: 'host-unreachable', host, message: `${host} did not answer refresh (${obs.error ?? 'no reason given'}); its guests are planned from state` });
      diagnostics.push({ severity: 'warning', code: 'unreachable', path: hostPath(host), message: `${host} did not answer the last refresh; run \`hvkit refresh\` when it is back` });
      continue;
    }
    const rec = state.hosts[host];
    const code = manifest.hosts.find((h) => h.name === host);
    if (obs.memoryMiB !== undefined && code && obs.memoryMiB !== code.memory.totalMiB) {
      items.push({ kind: 'host-memory', host, message: `${host} reports ${formatSize(obs.memoryMiB)} installed, code says ${formatSize(code.memory.totalMiB)}` });
      if (rec) next.hosts[host] = { ...rec, installedMiB: obs.memoryMiB };
      diagnostics.push({
        severity: obs.memoryMiB < code.memory.totalMiB ? 'warning' : 'note', code: 'drift', path: code.path,
        message: obs.memoryMiB < code.memory.totalMiB
          ? `${host} has ${formatSize(obs.memoryMiB)} installed but code expects ${formatSize(code.memory.totalMiB)}: fit the missing DIMMs (or a DIMM failed)`
          : `${host} has ${formatSize(obs.memoryMiB)} installed, more than the ${formatSize(code.memory.totalMiB)} code describes: update memory.dimms`,
      });
    }
    const seen = new Set<string>();
    for (const d of obs.domains) {
      seen.add(d.name);
      const g = state.guests[d.name];
      if (!g || g.spec.host !== host) {
        if (g) continue;
        const declared = inCode.get(d.name);
        items.push({ kind: 'unknown-domain', host, guest: d.name, message: `${host} runs ${d.name}, which state does not know${declared ? ' but code declares' : ' and code does not declare'}` });
        diagnostics.push(declared
          ? { severity: 'error', code: 'drift', path: declared.path, message: `a domain named ${d.name} already runs on ${host}: adopt it with \`hvkit import ${d.name}\` instead of creating it again` }
          : { severity: 'warning', code: 'drift', path: hostPath(host), message: `${host} runs ${d.name}, which hvkit does not manage: declare it in code and \`hvkit import\` it, or remove it by hand` });
        continue;
      }
      if (d.memoryMiB !== g.spec.memoryMiB || d.vcpus !== g.spec.vcpus) {
        items.push({ kind: 'guest-changed', host, guest: d.name, message: `${d.name} on ${host} runs with ${formatSize(d.memoryMiB)} and ${d.vcpus} vCPUs; state says ${formatSize(g.spec.memoryMiB)} and ${g.spec.vcpus} (changed by hand?)` });
        next.guests[d.name] = { ...g, spec: { ...g.spec, memoryMiB: d.memoryMiB, vcpus: d.vcpus } };
      }
    }
    for (const [name, g] of Object.entries(state.guests)) {
      if (g.spec.host !== host || seen.has(name)) continue;
      items.push({ kind: 'guest-missing', host, guest: name, message: `${name} is recorded on ${host} but the hypervisor does not run it (deleted by hand?)` });
      delete next.guests[name];
    }
  }
  return { state: next, items, diagnostics };
}

import { fitHost } from '../capacity/fit';
import { isHvkitError, isValidationError } from '../errors';
import { candidateHosts } from '../manifest/build-unplaced';
import type { GuestSpec, Manifest } from '../manifest/types';
import { fitsNowhere, placementPolicy, placeUnplaced } from '../plan/placement';
import type { ValidateDiagnostic, ValidateReport } from '../render/validate';
import { pickFleet, runApp } from '../synth/run-app';

export interface ValidateOptions {
  /** Project folder holding cdktf.json. */
  readonly projectDir: string;
  /** The command that runs the app. @default cdktf.json's `app` */
  readonly app?: string;
  /** Only this fleet. @default every fleet the app makes */
  readonly fleet?: string;
  /** Environment of the app. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Also check that every host fits the guests code puts on it (the
   * capacity engine's admission check on the code alone, no state).
   * @default false
   */
  readonly fit?: boolean;
}

/**
 * Runs the fleet app for its manifests (no Terraform JSON) and collects
 * every problem: prop types and ranges, unknown props, names, references
 * (host disks a guest names), identities, the manifest schema; with `fit`,
 * the fit of every host. Never reads state and never calls a provider. A
 * problem the user can fix is a diagnostic, not a throw; a bug still throws.
 */
export async function validateApp(opts: ValidateOptions): Promise<ValidateReport> {
  let manifests: Manifest[];
  try {
    const all = await runApp({ projectDir: opts.projectDir, app: opts.app, mode: 'manifest', env: opts.env });
    manifests = opts.fleet ? [pickFleet(all, opts.fleet)] : all;
  } catch (e) {
    if (isValidationError(e)) {
      return { fleets: [], fit: false, diagnostics: e.problems.map((p) => ({ severity: 'error', summary: p.message, address: p.path })) };
    }
    if (!isHvkitError(e)) throw e;
    const [summary, ...rest] = e.message.split('\n');
    return { fleets: [], fit: false, diagnostics: [{ severity: 'error', summary, ...(rest.length ? { detail: rest.map((l) => l.trim()).join('\n') } : {}) }] };
  }
  return {
    fleets: manifests.map((m) => ({ fleet: m.fleet, hosts: m.hosts.length, guests: m.guests.length + (m.unplaced?.length ?? 0) })),
    fit: Boolean(opts.fit),
    // With --fit, placement reports a selector that matches no host among the guests that fit nowhere.
    diagnostics: manifests.flatMap(opts.fit ? fitDiagnostics : selectorDiagnostics),
  };
}

/**
 * Guests hvkit places whose provider and selector no host of code matches:
 * the plan's "fits no host" error whatever state holds, so a question of the
 * code alone (a typo in a hostSelector), checked without placing anything.
 */
function selectorDiagnostics(m: Manifest): ValidateDiagnostic[] {
  const tagKeys = [...new Set(m.hosts.flatMap((h) => Object.keys(h.tags)))].sort();
  const matched = new Map<string, boolean>();
  const out: ValidateDiagnostic[] = [];
  for (const g of m.unplaced ?? []) {
    const { provider, selector } = g.placement;
    // Guests of one group share provider and selector: the hosts are scanned once per pair, not per guest.
    const key = JSON.stringify([provider, selector]);
    let any = matched.get(key);
    if (any === undefined) matched.set(key, (any = candidateHosts(m.hosts, provider, selector).length > 0));
    if (!any) out.push({ severity: 'error', summary: fitsNowhere(g, { code: 'no-candidates', detail: { provider, selector: { ...selector } } }, tagKeys), address: g.path });
  }
  return out;
}

/**
 * The hard (error) and soft (warning) limits code breaks on its own, host by
 * host; notes are the plan's. Guests hvkit places are placed first, as the
 * plan of a fleet with no state places them (the same placement code), and
 * each that fits no host is an error at its construct path.
 */
function fitDiagnostics(code: Manifest): ValidateDiagnostic[] {
  const placed = placeUnplaced(code, undefined, placementPolicy(code));
  const m = placed.manifest;
  const byHost = new Map<string, GuestSpec[]>();
  for (const g of m.guests) {
    const on = byHost.get(g.host);
    if (on) on.push(g);
    else byHost.set(g.host, [g]);
  }
  const out: ValidateDiagnostic[] = placed.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning').map((d) => ({ severity: d.severity as 'error' | 'warning', summary: d.message, address: d.path }));
  for (const host of m.hosts) {
    for (const d of fitHost({ after: host, guestsBefore: [], guestsAfter: byHost.get(host.name) ?? [] }).diagnostics) {
      if (d.severity === 'error' || d.severity === 'warning') out.push({ severity: d.severity, summary: d.message, address: d.path });
    }
  }
  return out;
}

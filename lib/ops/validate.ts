import { fitHost } from '../capacity/fit';
import { isHvkitError, isValidationError } from '../errors';
import type { GuestSpec, Manifest } from '../manifest/types';
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
    diagnostics: opts.fit ? manifests.flatMap(fitDiagnostics) : [],
  };
}

/** The hard (error) and soft (warning) limits code breaks on its own, host by host; notes are the plan's. */
function fitDiagnostics(m: Manifest): ValidateDiagnostic[] {
  const byHost = new Map<string, GuestSpec[]>();
  for (const g of m.guests) byHost.set(g.host, [...(byHost.get(g.host) ?? []), g]);
  const out: ValidateDiagnostic[] = [];
  for (const host of m.hosts) {
    for (const d of fitHost({ after: host, guestsBefore: [], guestsAfter: byHost.get(host.name) ?? [] }).diagnostics) {
      if (d.severity === 'error' || d.severity === 'warning') out.push({ severity: d.severity, summary: d.message, address: d.path });
    }
  }
  return out;
}

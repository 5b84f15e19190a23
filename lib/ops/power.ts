import { existsSync } from 'node:fs';
import { HvkitError } from '../errors';
import { nearest, printable } from '../manifest/names';
import { parseResourceAddress, resolveResource } from '../manifest/resource-address';
import type { GuestSpec, HostSpec, Manifest, PowerState } from '../manifest/types';
import { addressEntries } from '../state/addresses';
import { own, type State, type StateStore } from '../state/types';
import { withStateLock, type LockRelease } from '../state/with-lock';
import type { CallResult } from '../apply/provider';
import { runnerFor } from './prepare';
import { placedView } from '../plan/placement';
import { providerLister } from './recover';

/** What `hvkit start | stop | reboot` asks of a guest's hypervisor. */
export type PowerAction = 'start' | 'stop' | 'reboot';

/** The guest a power command or `hvkit console` acts on, and the host it asks. */
export interface PowerTarget {
  /** The guest as state records it, or as code declares it; only its name reaches these verbs. */
  guest: Pick<GuestSpec, 'name'> & Partial<GuestSpec>;
  host: HostSpec;
  fleet: string;
  /** State records the guest on `host`, so its power state is recorded there. */
  recorded: boolean;
}

/**
 * Finds a guest's host as `hvkit parent` does: where state records it, or
 * `host` when given (a guest state does not know, or one that runs elsewhere).
 * The guest is named as every command names one (`resolveResource`): name,
 * construct path or Terraform resource address. The host's address comes
 * from state, else from code. Unknown names are a one-line error naming the
 * closest known one.
 * @param verb the command, for the one-line error
 */
export function powerTarget(state: State | undefined, code: Manifest | undefined, address: string, host: string | undefined, verb: string): PowerTarget {
  const manifest = code && placedView(code, state);
  const guest = guestNamed(state, manifest, address, verb, host);
  const rec = own(state?.guests, guest);
  const declared = manifest?.guests.find((g) => g.name === guest);
  const hostName = host ?? rec?.spec.host;
  if (!hostName) {
    throw new HvkitError(`${guest} is not deployed (code places it on ${declared!.host}): \`hvkit apply\` creates it; pass --host HOST if it runs there outside hvkit`);
  }
  const spec = own(state?.hosts, hostName)?.spec ?? manifest?.hosts.find((h) => h.name === hostName);
  if (!spec) {
    const near = nearest(hostName, [...Object.keys(state?.hosts ?? {}), ...(manifest?.hosts.map((h) => h.name) ?? [])], { max: 3 });
    throw new HvkitError(`unknown host '${hostName}'${near.length ? `; did you mean ${near.join(', ')}?` : ''}`);
  }
  const fleet = state?.fleet ?? manifest?.fleet ?? '';
  return { guest: rec?.spec ?? declared ?? { name: guest }, host: spec, fleet, recorded: rec?.spec.host === hostName };
}

/**
 * The guest name an address resolves to. With `host` given, an address that
 * names nothing known is taken as the name of a guest outside hvkit.
 */
function guestNamed(state: State | undefined, manifest: Manifest | undefined, address: string, verb: string, host?: string): string {
  const r = resolveResource(address, addressEntries(manifest, state));
  if (r.ok && r.kind === 'host') throw new HvkitError(`${verb} ${printable(address)}: is a host; ${verb} takes a guest`);
  if (r.ok) return r.name;
  if (host !== undefined && !r.error.startsWith('names both')) return parseResourceAddress(address)?.name ?? address;
  throw new HvkitError(`${verb} ${printable(address)}: ${r.error}`);
}

/** Whether looking a guest up needs the code: state alone does not know it, or the host asked for. */
export function needsCode(state: State | undefined, address: string, host?: string): boolean {
  const r = resolveResource(address, addressEntries(undefined, state));
  return !(r.ok && r.kind === 'guest') || (host !== undefined && !own(state?.hosts, host));
}

export interface PowerOptions {
  store: StateStore;
  projectDir: string;
  env: NodeJS.ProcessEnv;
  guest: string;
  /** @default the host state records the guest on */
  host?: string;
  action: PowerAction;
  /** Hard power-off (`stop`) or reset (`reboot`) without asking the guest. @default false */
  force?: boolean;
  /** How long a clean shutdown may take before the provider forces the guest off. @default the provider's own (libvirt 60 s; xl waits) */
  graceMs?: number;
  /** How long the provider script may run at all. @default 600000 */
  timeoutMs?: number;
  /** Reads the code, when state alone cannot say where the guest is. */
  code?: () => Promise<Manifest | undefined>;
  /** @default the current time */
  now?: () => Date;
}

export interface PowerOutcome extends LockRelease {
  guest: string;
  host: string;
  power: PowerState;
  /** Whether state recorded the new power state (it does for a guest it records on that host). */
  recorded: boolean;
  /**
   * The guest was already running (start) or shut off (stop), so nothing was
   * asked of the hypervisor: start and stop are idempotent, as Ganeti's
   * startup and shutdown (not as `virsh start`, which fails).
   * @default absent: the provider was asked
   */
  already?: true;
}

/** The answer for a guest already as asked: no provider call was made. */
const NOTHING_ASKED: CallResult = { ok: true, exitCode: 0, signal: null, timedOut: false, result: undefined, stderrTail: '', ms: 0 };

/**
 * Whether the host's provider lists the guest in the power state `start` or
 * `stop` asks for. A host that does not answer, or a guest it does not list
 * (xl forgets shut-off domains), is left to the verb itself.
 */
async function alreadyThere(opts: PowerOptions, target: PowerTarget): Promise<boolean> {
  if (opts.action === 'reboot') return false;
  const runner = runnerFor(opts.projectDir, opts.env);
  try {
    const seen = (await providerLister(runner, target.fleet)(target.host)).find((d) => d.name === target.guest.name);
    return seen !== undefined && (opts.action === 'start' ? seen.running !== false : seen.running === false);
  } catch {
    return false;
  } finally {
    runner.close();
  }
}

/**
 * Starts, stops or reboots one guest through its host's provider, holding
 * the state lock, and records the power state it leaves the guest in.
 * Stopping never removes anything: the domain, its config and disks stay.
 */
export async function powerGuest(opts: PowerOptions): Promise<PowerOutcome> {
  const { value, unlockWarning } = await withStateLock(opts.store, opts.action, async () => {
    const state = await opts.store.read();
    const manifest = needsCode(state, opts.guest, opts.host) ? await opts.code?.() : undefined;
    const target = powerTarget(state, manifest, opts.guest, opts.host, opts.action);
    const guest = target.guest.name;
    const input = {
      fleet: target.fleet, host: target.host, guest: target.guest,
      ...(opts.force ? { force: true } : {}),
      ...(opts.action === 'stop' && opts.graceMs !== undefined ? { graceMs: opts.graceMs } : {}),
    };
    const already = await alreadyThere(opts, target);
    const runner = runnerFor(opts.projectDir, opts.env);
    let r: CallResult;
    try {
      r = already ? NOTHING_ASKED : await runner.call(target.host.provider, opts.action, input, { timeoutMs: opts.timeoutMs ?? 600_000 });
    } finally {
      runner.close();
    }
    if (!r.ok) throw new HvkitError(`${opts.action} ${guest} on ${target.host.name} failed (${failure(r, opts.action)})`);
    const power: PowerState = opts.action === 'stop' ? 'stopped' : 'running';
    if (state && target.recorded) {
      const at = (opts.now?.() ?? new Date()).toISOString();
      state.guests[guest] = { ...state.guests[guest], power: { state: power, at, by: 'command' } };
      // What an earlier refresh saw is no longer true: drift must not undo what was just done.
      const seen = state.observed?.hosts[target.host.name]?.domains.find((d) => d.name === guest);
      if (seen) seen.running = power === 'running';
      state.serial = await opts.store.write(state);
    }
    return { guest: guest, host: target.host.name, power, recorded: Boolean(state && target.recorded), ...(already ? { already } : {}) };
  });
  return { ...value, ...(unlockWarning ? { unlockWarning } : {}) };
}

/** Why a provider call failed, in one line plus its stderr's last line. */
function failure(r: CallResult, verb: string): string {
  if (r.startError) return `${verb} could not be started: ${r.startError}`;
  if (r.timedOut) return `${verb} timed out and was killed`;
  // Provider scripts prefix their message with the verb (providers/lib/contract.mjs).
  const last = (r.stderrTail.trim().split('\n').pop() ?? '').replace(`${verb}: `, '');
  return `exit ${r.exitCode ?? r.signal}${last ? `: ${last}` : ''}`;
}

export interface ConsoleOptions {
  state: State | undefined;
  manifest?: Manifest;
  projectDir: string;
  env: NodeJS.ProcessEnv;
  guest: string;
  host?: string;
  /** @default 60000 */
  timeoutMs?: number;
}

/**
 * The command that opens a guest's console, as its provider's `console` verb
 * answers it: an argument vector, never a shell string (`virsh --connect=URI
 * console --domain NAME`, `ssh -t HOST xl console NAME`).
 */
export async function consoleCommand(opts: ConsoleOptions): Promise<{ command: string[]; host: string }> {
  const target = powerTarget(opts.state, opts.manifest, opts.guest, opts.host, 'console');
  const guest = target.guest.name;
  const runner = runnerFor(opts.projectDir, opts.env);
  const provider = target.host.provider;
  if (!existsSync(runner.scriptPath(provider, 'console'))) throw new HvkitError(`the ${provider} provider has no console (no ${runner.scriptPath(provider, 'console')})`);
  let r: CallResult;
  try {
    r = await runner.call(provider, 'console', { fleet: target.fleet, host: target.host, guest: target.guest }, { timeoutMs: opts.timeoutMs ?? 60_000 });
  } finally {
    runner.close();
  }
  if (!r.ok) throw new HvkitError(`console of ${guest} on ${target.host.name} failed (${failure(r, 'console')})`);
  const command = r.result?.command;
  if (!Array.isArray(command) || command.length === 0 || !command.every((w) => typeof w === 'string')) {
    throw new HvkitError(`the ${provider} provider answered no console command for ${guest} (providers/README.md: {"command": [argv...]})`);
  }
  return { command: command as string[], host: target.host.name };
}

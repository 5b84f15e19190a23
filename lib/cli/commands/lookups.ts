import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { hostUsage, totalsOf } from '../../capacity/admit';
import { HvkitError } from '../../errors';
import { nearest } from '../../manifest/names';
import { formatSize } from '../../manifest/size';
import type { Manifest } from '../../manifest/types';
import { placedView } from '../../plan/placement';
import { own, recordedPower, type State } from '../../state/types';
import { addFleetOptions, type FleetOptions, type Io } from '../context';
import { elsewhere, loadFleet, schemaHint, stateStore, type StoreTarget } from '../fleet';
import { backendWithoutCode } from '../state-backend';
import { withUsage } from '../help';

/**
 * The fleet a command works on: `--fleet` (or `--state`'s file), else the only
 * state file's when the file backend is chosen, else the code's, running the
 * app: its manifest then comes back, and its Fleet `state` prop chooses the backend too.
 */
export async function fleetTarget(io: Io, opts: FleetOptions): Promise<string | Manifest> {
  if (opts.fleet || opts.state) return opts.fleet ?? '';
  // State files say nothing about a pg fleet: only the code names it.
  if (backendWithoutCode(opts.stateBackend, io.env).kind === 'file') {
    const dir = join(io.cwd, '.hvkit', 'state');
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
    if (files.length === 1) return files[0].replace(/\.json$/, '');
  }
  return loadFleet(io, opts);
}

/** The fleet's name as `fleetTarget` finds it; undefined for `--state` without `--fleet`. */
export function fleetNameOf(target: StoreTarget): string | undefined {
  return (typeof target === 'string' ? target : target.fleet) || undefined;
}

/** Finds the fleet's state without running the app when it is unambiguous. */
async function readState(io: Io, opts: FleetOptions): Promise<{ state: State | undefined; fleet: string; location: string; hint: string; manifest?: Manifest }> {
  const target = await fleetTarget(io, opts);
  const fleet = fleetNameOf(target);
  const store = await stateStore(io, opts, target);
  const state = await store.read();
  return { state, fleet: state?.fleet ?? fleet ?? '', location: store.location, hint: ` ${elsewhere(store)}${schemaHint(store, target)}`, ...(typeof target === 'string' ? {} : { manifest: target }) };
}

function requireState(state: State | undefined, location: string, hint: string): State {
  if (!state) throw new HvkitError(`there is no state at ${location}: nothing is deployed; run \`hvkit apply\` first${hint}`);
  return state;
}

export function parentOf(guest: string, state: State | undefined, code: Manifest | undefined): { text: string; json: Record<string, unknown> } {
  const manifest = code && placedView(code, state);
  const deployed = own(state?.guests, guest)?.spec.host ?? null;
  const inCode = manifest?.guests.find((g) => g.name === guest)?.host ?? null;
  if (!deployed && !inCode) {
    const names = [...new Set([...Object.keys(state?.guests ?? {}), ...(manifest?.guests.map((g) => g.name) ?? [])])];
    const near = nearest(guest, names, { max: 3 });
    throw new HvkitError(`unknown guest '${guest}'${near.length ? `; did you mean ${near.join(', ')}?` : ''}`);
  }
  let text: string;
  if (!deployed) text = `${guest}: not deployed (code places it on ${inCode})`;
  else if (!manifest) text = `${guest}: ${deployed}`;
  else if (!inCode) text = `${guest}: ${deployed} (removed from code: the next apply destroys it)`;
  else if (inCode !== deployed) text = `${guest}: ${deployed} (moving to ${inCode} in code)`;
  else text = `${guest}: ${deployed}`;
  return { text, json: { guest, host: deployed, codeHost: inCode, moving: Boolean(deployed && inCode && deployed !== inCode) } };
}

export { nearest };

/** One host as deployed: what its guests commit of what it offers (the capacity engine's figures). */
export interface HostRow {
  host: string;
  provider: string;
  guests: number;
  memoryUsedMiB: number;
  memoryMiB: number;
  vcpusUsed: number;
  vcpus: number;
  diskUsedMiB: number;
  diskMiB: number;
}

export function hostRows(state: State): HostRow[] {
  return Object.keys(state.hosts).sort().map((name) => {
    const h = state.hosts[name].spec;
    const guests = Object.values(state.guests).filter((g) => g.spec.host === name).map((g) => g.spec);
    const t = totalsOf(hostUsage(h, guests, state.hosts[name].installedMiB));
    return {
      host: name, provider: h.provider, guests: guests.length,
      memoryUsedMiB: t.memory.used, memoryMiB: t.memory.capacity,
      vcpusUsed: t.vcpus.used, vcpus: t.vcpus.capacity, diskUsedMiB: t.disk.used, diskMiB: t.disk.capacity,
    };
  });
}

/** One guest as deployed, with what the last refresh saw of it. */
export interface GuestRow {
  guest: string;
  host: string;
  role: string;
  vcpus: number;
  memoryMiB: number;
  state: string;
}

export function guestRows(state: State, host?: string): GuestRow[] {
  const inflight = new Set(Object.values(state.inflight).map((i) => i.step.guest));
  /** What the last refresh saw of a guest on its recorded host, when that host answered. */
  const seen = (name: string, on: string) => {
    const obs = state.observed?.hosts[on];
    return obs?.reachable ? { domain: obs.domains.find((d) => d.name === name) } : undefined;
  };
  const stateOf = (g: { name: string; host: string }): string => {
    if (inflight.has(g.name)) return 'in flight';
    const s = seen(g.name, g.host);
    // Without a refresh, the power state hvkit last made or saw.
    if (!s) return recordedPower(state.guests[g.name]) === 'stopped' ? 'stopped' : 'deployed';
    if (!s.domain) {
      const other = Object.keys(state.observed!.hosts).sort().find((h) => h !== g.host && state.observed!.hosts[h].domains.some((d) => d.name === g.name));
      return other ? `on ${other} (moved)` : 'missing';
    }
    return s.domain.running === false ? 'stopped' : 'deployed';
  };
  return Object.keys(state.guests).sort()
    .map((n) => state.guests[n].spec)
    .filter((g) => !host || g.host === host)
    .map((g) => ({ guest: g.name, host: g.host, role: g.role, vcpus: g.vcpus, memoryMiB: g.memoryMiB, state: stateOf(g) }));
}

const pct = (a: number, b: number) => (b ? ` (${Math.round((a / b) * 100)}%)` : '');

export async function table(head: string[], rows: string[][]): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const t = new Table({ head, style: { head: [], border: [] } });
  t.push(...rows);
  return t.toString() + '\n';
}

export function registerLookups(program: Command, io: Io, setCode: (code: number) => void): void {
  withUsage(addFleetOptions(program.command('parent <guest>').description('which host a guest is on (deployed, and where code moves it)').option('--json', 'print JSON')), {
    examples: ['hvkit parent web-03          # web-03: db-host-01 (moving to spare-host-01 in code)', 'hvkit parent web-03 --json'],
    exitCodes: { 1: 'neither state nor code knows the guest (the closest names are suggested)' },
  }).action(async (guest: string, opts: FleetOptions & { json?: boolean }) => {
      const found = await readState(io, opts);
      const { state, fleet } = found;
      let manifest: Manifest | undefined = found.manifest;
      try {
        manifest ??= await loadFleet(io, { ...opts, fleet: opts.fleet ?? (state ? fleet : undefined) });
      } catch (e) {
        if (!state) throw e;
        io.err(`note: could not read the code (${(e as Error).message.split('\n')[0]}); showing state only\n`);
      }
      const r = parentOf(guest, state, manifest);
      io.out(opts.json ? JSON.stringify(r.json) + '\n' : r.text + '\n');
      setCode(0);
    });

  withUsage(addFleetOptions(program.command('hosts').description('hosts with memory, vCPUs and disk used of capacity, and guest count (as deployed)').option('--json', 'print JSON')), {
    examples: ['hvkit hosts', 'hvkit hosts --json | jq \'.[] | select(.guests == 0) | .host\''],
    exitCodes: { 1: 'there is no state (nothing applied yet) or it cannot be read' },
  }).action(async (opts: FleetOptions & { json?: boolean }) => {
      const { state, location, hint } = await readState(io, opts);
      const rows = hostRows(requireState(state, location, hint));
      if (opts.json) return io.out(JSON.stringify(rows, null, 2) + '\n');
      io.out(await table(['HOST', 'PROVIDER', 'MEMORY', 'VCPUS', 'DISK', 'GUESTS'], rows.map((r) => [
        r.host, r.provider,
        `${formatSize(r.memoryUsedMiB)} / ${formatSize(r.memoryMiB)}${pct(r.memoryUsedMiB, r.memoryMiB)}`,
        `${r.vcpusUsed} / ${r.vcpus}${pct(r.vcpusUsed, r.vcpus)}`,
        `${formatSize(r.diskUsedMiB)} / ${formatSize(r.diskMiB)}${pct(r.diskUsedMiB, r.diskMiB)}`,
        String(r.guests),
      ])));
    });

  withUsage(addFleetOptions(program.command('guests').description('guests with host, role, vCPUs, memory and state (as deployed)').option('--host <host>', 'only guests on this host').option('--json', 'print JSON')), {
    examples: ['hvkit guests', 'hvkit guests --host db-host-01 --json'],
    exitCodes: { 1: 'there is no state, or --host names a host state does not record' },
  }).action(async (opts: FleetOptions & { json?: boolean; host?: string }) => {
      const { state, location, hint } = await readState(io, opts);
      const st = requireState(state, location, hint);
      if (opts.host && !own(st.hosts, opts.host)) {
        const near = nearest(opts.host, Object.keys(st.hosts), { max: 3 });
        throw new HvkitError(`unknown host '${opts.host}'${near.length ? `; did you mean ${near.join(', ')}?` : ''}`);
      }
      const rows = guestRows(st, opts.host);
      if (opts.json) return io.out(JSON.stringify(rows, null, 2) + '\n');
      io.out(await table(['GUEST', 'HOST', 'ROLE', 'VCPUS', 'MEMORY', 'STATE'], rows.map((r) => [r.guest, r.host, r.role, String(r.vcpus), formatSize(r.memoryMiB), r.state])));
    });
}

import { HvkitError } from '../errors';
import { checkDnsLabel, printable } from '../manifest/names';
import { parseResourceAddress, resolveResource } from '../manifest/resource-address';
import { addressEntries } from './addresses';
import { own, type State, type StateStore } from './types';
import { withStateLock, type LockRelease } from './with-lock';

/** One record of state, named by the construct path it was applied from. */
export type StateAddress =
  | { kind: 'host'; name: string; path: string }
  | { kind: 'guest'; name: string; path: string; host: string };

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every record state holds, each host followed by the guests recorded on it
 * (by name), hosts by name: the same state lists the same lines in the same
 * order. Guests on a host state has no record of come after, by host.
 */
export function stateAddresses(state: State): StateAddress[] {
  const rows: (StateAddress & { sort: [string, string] })[] = [];
  for (const [name, r] of Object.entries(state.hosts)) rows.push({ kind: 'host', name, path: r.spec.path, sort: [name, ''] });
  for (const [name, r] of Object.entries(state.guests)) rows.push({ kind: 'guest', name, path: r.spec.path, host: r.spec.host, sort: [r.spec.host, name] });
  return rows
    .sort((a, b) => cmp(a.sort[0], b.sort[0]) || cmp(a.sort[1], b.sort[1]))
    .map(({ sort: _, ...a }) => a);
}

/**
 * The record an address names, as `resolveResource` reads addresses: a
 * construct path as `hvkit state list` prints it, a guest or host name, or a
 * Terraform resource address (`null_resource.guest_web-01`).
 * @param command the command, for the one-line error @default 'state rm'
 */
export function resolveAddress(state: State, address: string, command = 'state rm'): StateAddress {
  const r = resolveResource(address, addressEntries(undefined, state), 'state');
  if (!r.ok) throw new HvkitError(`${command} ${printable(address)}: ${r.error}`);
  return stateAddresses(state).find((a) => a.kind === r.kind && a.name === r.name)!;
}

/** The in-flight steps a dead apply left that touch a host or guest. */
function inflightOn(state: State, a: StateAddress): string[] {
  return Object.entries(state.inflight)
    .filter(([, i]) => {
      const s = i.step as { host?: unknown; target?: unknown; guest?: unknown };
      return a.kind === 'guest' ? s.guest === a.name : s.host === a.name || s.target === a.name;
    })
    .map(([id]) => id)
    .sort();
}

function refuseInflight(state: State, a: StateAddress, what: string): void {
  const ids = inflightOn(state, a);
  if (ids.length) {
    throw new HvkitError(`cannot ${what} ${a.path}: a dead apply left ${ids.join(', ')} in flight on it; run \`hvkit apply\` (it settles them with the provider) first. Nothing was changed`);
  }
}

async function readOrRefuse(store: StateStore): Promise<State> {
  const state = await store.read();
  if (!state) throw new HvkitError(`there is no state at ${store.location}: nothing is recorded (or pass the right --state / --fleet)`);
  return structuredClone(state);
}

/**
 * Forgets records without touching any hypervisor (`hvkit state rm`): guests,
 * and hosts no guest is recorded on after the removal. Under the state lock,
 * one write (the store keeps the previous version as its backup); every
 * address is checked before anything is removed, so an unknown one changes nothing.
 * @returns the records removed, in `stateAddresses` order
 */
export async function removeRecords(store: StateStore, addresses: readonly string[]): Promise<{ removed: StateAddress[]; serial: number } & LockRelease> {
  if (addresses.length === 0) throw new HvkitError('name at least one address to remove (`hvkit state list` lists them)');
  const { value, unlockWarning } = await withStateLock(store, 'state rm', async () => {
    const state = await readOrRefuse(store);
    const chosen = new Map<string, StateAddress>();
    for (const a of addresses) {
      const r = resolveAddress(state, a);
      chosen.set(`${r.kind}:${r.name}`, r);
    }
    for (const r of chosen.values()) {
      refuseInflight(state, r, 'remove');
      if (r.kind !== 'host') continue;
      const staying = Object.values(state.guests).filter((g) => g.spec.host === r.name && !chosen.has(`guest:${g.spec.name}`)).map((g) => g.spec.name).sort();
      if (staying.length) {
        throw new HvkitError(`cannot remove host ${r.path}: state records ${staying.join(', ')} on it; remove ${staying.length === 1 ? 'that guest' : 'those guests'} too (in the same command) or first. Nothing was changed`);
      }
    }
    const removed = stateAddresses(state).filter((a) => chosen.has(`${a.kind}:${a.name}`));
    for (const r of removed) delete (r.kind === 'guest' ? state.guests : state.hosts)[r.name];
    return { removed, serial: await store.write(state) };
  });
  return { ...value, ...(unlockWarning ? { unlockWarning } : {}) };
}

/**
 * Renames a guest's record (`hvkit state mv OLD NEW`): its key, `spec.name`
 * and the last segment of its construct path. The config state records is
 * kept as the hypervisor got it; nothing on a hypervisor is touched. NEW is a
 * name or a construct path on the same host; a guest's record is never moved
 * to another host, since it says where the guest runs.
 */
export async function moveRecord(store: StateStore, from: string, to: string): Promise<{ from: StateAddress; to: StateAddress; serial: number } & LockRelease> {
  const { value, unlockWarning } = await withStateLock(store, 'state mv', async () => {
    const state = await readOrRefuse(store);
    const old = resolveAddress(state, from, 'state mv');
    if (old.kind !== 'guest') {
      throw new HvkitError(`state mv moves guest records, and ${old.path} is a host: a host's name is the machine's; change it in code and let plan retire the old record and add the new one`);
    }
    const parent = old.path.includes('/') ? old.path.slice(0, old.path.lastIndexOf('/')) : old.path;
    const tf = parseResourceAddress(to);
    if (tf && tf.kind !== 'guest') throw new HvkitError(`state mv ${printable(to)}: names a host; a guest's record moves to a guest name, construct path or guest resource address`);
    const slash = tf ? -1 : to.lastIndexOf('/');
    const name = tf ? tf.name : slash < 0 ? to : to.slice(slash + 1);
    if (slash >= 0 && to.slice(0, slash) !== parent) {
      throw new HvkitError(`state mv keeps a guest on its host (${old.host}), and ${printable(to)} is not under ${parent}: a record says where the guest runs; to move the guest, change its host in code and let plan migrate it`);
    }
    const bad = checkDnsLabel('guest', name);
    if (bad) throw new HvkitError(`${printable(to)}: ${bad}`);
    // Before `taken`: the record is its own NEW, and "remove it first" would delete the record being moved.
    if (name === old.name) throw new HvkitError(`state mv ${printable(from)} ${printable(to)}: OLD and NEW are the same guest (${old.path}): nothing to move. Nothing was changed`);
    const taken = own(state.guests, name);
    if (taken) throw new HvkitError(`state already records a guest ${name} (${taken.spec.path}): remove it first (hvkit state rm ${taken.spec.path}) if it is gone. Nothing was changed`);
    refuseInflight(state, old, 'move');
    const rec = state.guests[old.name];
    delete state.guests[old.name];
    const path = `${parent}/${name}`;
    state.guests[name] = { ...rec, spec: { ...rec.spec, name, path } };
    return { from: old, to: { kind: 'guest' as const, name, path, host: old.host }, serial: await store.write(state) };
  });
  return { ...value, ...(unlockWarning ? { unlockWarning } : {}) };
}

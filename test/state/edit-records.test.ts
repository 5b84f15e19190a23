import { describe, expect, it } from 'vitest';
import { moveRecord, removeRecords, resolveAddress, stateAddresses } from '../../lib/state/edit-records';
import { MemoryStateStore } from '../../lib/state/memory-store';
import type { State } from '../../lib/state/types';
import { manifestOf, memcached, stateOf, web, WEB_HOST_8G } from '../helpers/fleet';

/** Two web hosts with a web and a memcached guest each, and a host named like a guest on the other side (`cache`). */
function applied(): State {
  return stateOf(manifestOf({
    'web-host-02': { props: WEB_HOST_8G, guests: { 'web-02': web('5.5GiB'), 'memcached-02': memcached() } },
    'web-host-01': { props: WEB_HOST_8G, guests: { 'web-01': web('5.5GiB'), 'memcached-01': memcached(), cache: memcached() } },
    cache: { props: WEB_HOST_8G },
  }));
}

const paths = (s: State) => stateAddresses(s).map((a) => a.path);

describe('stateAddresses', () => {
  it('lists each host by name, followed by its guests by name, as construct paths', () => {
    expect(paths(applied())).toEqual([
      'tokyo/cache',
      'tokyo/web-host-01', 'tokyo/web-host-01/cache', 'tokyo/web-host-01/memcached-01', 'tokyo/web-host-01/web-01',
      'tokyo/web-host-02', 'tokyo/web-host-02/memcached-02', 'tokyo/web-host-02/web-02',
    ]);
  });
});

describe('resolveAddress', () => {
  const s = applied();

  it('takes a construct path, a guest name or a host name', () => {
    expect(resolveAddress(s, 'tokyo/web-host-01/web-01')).toEqual({ kind: 'guest', name: 'web-01', path: 'tokyo/web-host-01/web-01', host: 'web-host-01' });
    expect(resolveAddress(s, 'web-01').path).toBe('tokyo/web-host-01/web-01');
    expect(resolveAddress(s, 'web-host-02')).toEqual({ kind: 'host', name: 'web-host-02', path: 'tokyo/web-host-02' });
  });

  it('asks for the path when a name is both a host and a guest', () => {
    expect(() => resolveAddress(s, 'cache')).toThrow('state rm cache: names both a host and a guest; give the construct path of the one you mean (tokyo/cache or tokyo/web-host-01/cache)');
    expect(resolveAddress(s, 'tokyo/cache').kind).toBe('host');
  });

  it('takes the Terraform resource address plan --json gives a guest or host', () => {
    expect(resolveAddress(s, 'null_resource.guest_web-01').path).toBe('tokyo/web-host-01/web-01');
    expect(resolveAddress(s, 'terraform_data.host_cache')).toEqual({ kind: 'host', name: 'cache', path: 'tokyo/cache' });
  });

  it('names the closest record for an unknown address, in the form it was given', () => {
    expect(() => resolveAddress(s, 'web-1')).toThrow("state rm web-1: no guest or host of that name or construct path in state; did you mean 'web-01'?");
    expect(() => resolveAddress(s, 'tokyo/web-host-01/web-1', 'state mv')).toThrow("state mv tokyo/web-host-01/web-1: no guest or host of that name or construct path in state; did you mean 'tokyo/web-host-01/web-01'?");
    expect(() => resolveAddress(s, 'null_resource.guest_web-1')).toThrow("did you mean 'null_resource.guest_web-01'?");
  });

  it('suggests nothing for an address far from every record', () => {
    expect(() => resolveAddress(s, 'zzz')).toThrow('state rm zzz: no guest or host of that name or construct path in state; `hvkit state list` shows what state records');
  });
});

describe('removeRecords', () => {
  it('forgets a guest in one write and says what it removed', async () => {
    const store = new MemoryStateStore(applied());
    const r = await removeRecords(store, ['tokyo/web-host-01/web-01']);
    expect(r.removed.map((a) => a.path)).toEqual(['tokyo/web-host-01/web-01']);
    expect(store.written).toHaveLength(1);
    const after = (await store.read())!;
    expect(after.serial).toBe(2);
    expect(Object.keys(after.guests)).not.toContain('web-01');
    expect(paths(after)).toHaveLength(7);
  });

  it('refuses a host that still has guests recorded, naming them, and changes nothing', async () => {
    const store = new MemoryStateStore(applied());
    await expect(removeRecords(store, ['web-host-02'])).rejects.toThrow('cannot remove host tokyo/web-host-02: state records memcached-02, web-02 on it; remove those guests too (in the same command) or first. Nothing was changed');
    expect(store.written).toHaveLength(0);
    expect(await store.lockInfo()).toBeUndefined();
  });

  it('removes a host together with its guests in one command', async () => {
    const store = new MemoryStateStore(applied());
    const r = await removeRecords(store, ['web-host-02', 'web-02', 'tokyo/web-host-02/memcached-02']);
    expect(r.removed.map((a) => a.path)).toEqual(['tokyo/web-host-02', 'tokyo/web-host-02/memcached-02', 'tokyo/web-host-02/web-02']);
    expect(store.written).toHaveLength(1);
    expect(Object.keys((await store.read())!.hosts).sort()).toEqual(['cache', 'web-host-01']);
  });

  it('removes nothing when one address of several is unknown', async () => {
    const store = new MemoryStateStore(applied());
    await expect(removeRecords(store, ['web-01', 'web-3'])).rejects.toThrow('state rm web-3: no guest or host of that name');
    expect(store.written).toHaveLength(0);
  });

  it('refuses a guest a dead apply left a step in flight on', async () => {
    const s = applied();
    s.inflight['update-live:web-01'] = { version: 1, run: 'r1', started: '2026-11-27T00:00:00Z', step: { id: 'update-live:web-01', kind: 'update-live', provider: 'local', host: 'web-host-01', guest: 'web-01', hostSpec: s.hosts['web-host-01'].spec } } as never;
    const store = new MemoryStateStore(s);
    await expect(removeRecords(store, ['web-01'])).rejects.toThrow('cannot remove tokyo/web-host-01/web-01: a dead apply left update-live:web-01 in flight on it; run `hvkit apply` (it settles them with the provider) first. Nothing was changed');
    expect(store.written).toHaveLength(0);
  });

  it('takes the state lock: refused while another holds it', async () => {
    const store = new MemoryStateStore(applied());
    await store.lock('apply');
    await expect(removeRecords(store, ['web-01'])).rejects.toThrow(/is locked by .* for 'apply'/);
  });

  it('says there is no state', async () => {
    await expect(removeRecords(new MemoryStateStore(), ['web-01'])).rejects.toThrow('there is no state at memory');
  });
});

describe('moveRecord', () => {
  it("renames a guest's record, its spec name and the last segment of its path, keeping the config as applied", async () => {
    const before = applied();
    const store = new MemoryStateStore(before);
    const r = await moveRecord(store, 'web-01', 'web-11');
    expect(r.from.path).toBe('tokyo/web-host-01/web-01');
    expect(r.to).toEqual({ kind: 'guest', name: 'web-11', path: 'tokyo/web-host-01/web-11', host: 'web-host-01' });
    const after = (await store.read())!;
    expect(Object.keys(after.guests)).not.toContain('web-01');
    expect(after.guests['web-11']).toEqual({
      ...before.guests['web-01'],
      spec: { ...before.guests['web-01'].spec, name: 'web-11', path: 'tokyo/web-host-01/web-11' },
    });
    expect(store.written).toHaveLength(1);
  });

  it('takes NEW as a construct path on the same host', async () => {
    const store = new MemoryStateStore(applied());
    expect((await moveRecord(store, 'tokyo/web-host-01/web-01', 'tokyo/web-host-01/web-11')).to.path).toBe('tokyo/web-host-01/web-11');
  });

  it('takes OLD and NEW as Terraform resource addresses, as `terraform state mv` does', async () => {
    const store = new MemoryStateStore(applied());
    const r = await moveRecord(store, 'null_resource.guest_web-01', 'null_resource.guest_web-11');
    expect(r.to).toEqual({ kind: 'guest', name: 'web-11', path: 'tokyo/web-host-01/web-11', host: 'web-host-01' });
  });

  it('refuses to move a record to another host', async () => {
    const store = new MemoryStateStore(applied());
    await expect(moveRecord(store, 'web-01', 'tokyo/web-host-02/web-01')).rejects.toThrow('state mv keeps a guest on its host (web-host-01), and tokyo/web-host-02/web-01 is not under tokyo/web-host-01');
    expect(store.written).toHaveLength(0);
  });

  it('refuses a NEW that state already records, or that is not a DNS label', async () => {
    const store = new MemoryStateStore(applied());
    await expect(moveRecord(store, 'web-01', 'web-02')).rejects.toThrow('state already records a guest web-02 (tokyo/web-host-02/web-02): remove it first');
    await expect(moveRecord(store, 'web-01', 'Web_01')).rejects.toThrow("Web_01: guest name 'Web_01' is not a DNS label");
    expect(store.written).toHaveLength(0);
  });

  it('refuses to move a host record', async () => {
    const store = new MemoryStateStore(applied());
    await expect(moveRecord(store, 'web-host-01', 'web-host-11')).rejects.toThrow('state mv moves guest records, and tokyo/web-host-01 is a host');
  });
});

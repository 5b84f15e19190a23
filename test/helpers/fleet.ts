import { buildManifest } from '../../lib/manifest/build';
import type { GuestProps, HostProps, FleetProps } from '../../lib/manifest/props';
import type { Manifest } from '../../lib/manifest/types';

export const WEB_HOST_4G: HostProps = {
  cpu: { sockets: 1, cores: 4, threads: 8 },
  memory: { slots: 4, maxDimm: '4GiB', dimms: ['1GiB', '1GiB', '1GiB', '1GiB'] },
  disks: [{ name: 'sda', size: '500GiB', kind: 'hdd', iops: 150 }],
  nics: [{ name: 'eth0', gbps: 1 }],
};
export const WEB_HOST_8G: HostProps = { ...WEB_HOST_4G, memory: { ...WEB_HOST_4G.memory, dimms: ['2GiB', '2GiB', '2GiB', '2GiB'] } };

export const web = (memory: string, extra: Partial<GuestProps> = {}): GuestProps => ({
  role: 'web', vcpus: 2, memory, maxMemory: '5.5GiB', disks: [{ size: '20GiB', on: 'sda' }], load: { cpu: 1.2, iops: 40, netMbps: 80 }, ...extra,
});
export const memcached = (extra: Partial<GuestProps> = {}): GuestProps => ({ role: 'memcached', vcpus: 1, memory: '2GiB', load: { cpu: 0.3, netMbps: 60 }, ...extra });

export interface HostDef {
  props: HostProps;
  guests?: Record<string, GuestProps>;
}

/** Builds a manifest without cdktf: name → host definition. */
export function manifestOf(hosts: Record<string, HostDef>, props: FleetProps = {}, fleet = 'tokyo'): Manifest {
  return buildManifest({
    name: fleet,
    path: fleet,
    props,
    hosts: Object.entries(hosts).map(([name, h]) => ({
      name,
      path: `${fleet}/${name}`,
      props: h.props,
      guests: Object.entries(h.guests ?? {}).map(([g, p]) => ({ name: g, path: `${fleet}/${name}/${g}`, props: p })),
    })),
  });
}

/** Problems of an invalid fleet, as `path: message` lines. */
export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    const problems = (e as { problems?: { path: string; message: string }[] }).problems;
    if (problems) return problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  throw new Error('expected a ValidationError');
}

import { renderConfig } from '../../lib/hypervisor/render';
import type { State } from '../../lib/state/types';

/** State as if `m` had been applied. */
export function stateOf(m: Manifest, serial = 1): State {
  const hosts = new Map(m.hosts.map((h) => [h.name, h]));
  return {
    version: 1,
    lineage: '11111111-2222-4333-8444-555555555555',
    serial,
    fleet: m.fleet,
    hosts: Object.fromEntries(m.hosts.map((h) => [h.name, { spec: h }])),
    guests: Object.fromEntries(m.guests.map((g) => [g.name, { spec: g, provider: hosts.get(g.host)!.provider, config: renderConfig(hosts.get(g.host)!, g).text }])),
    inflight: {},
  };
}

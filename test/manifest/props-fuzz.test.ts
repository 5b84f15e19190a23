import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors';
import { renderConfig } from '../../lib/hypervisor/render';
import { buildManifest } from '../../lib/manifest/build';
import { parseManifest } from '../../lib/manifest/load';
import type { FleetInput } from '../../lib/manifest/props';
import { seededRandom } from '../helpers/random';


const HOST = {
  cpu: { sockets: 1, cores: 8, threads: 16 },
  memory: { slots: 4, maxDimm: '16GiB', dimms: ['16GiB', '16GiB'] },
  disks: [{ name: 'sda', size: '500GiB', kind: 'ssd', iops: 5000, mbps: 500 }],
  nics: [{ name: 'eth0', gbps: 10 }],
  reserve: { memory: '1GiB', overhead: '128MiB', vcpus: 1 },
  capacity: { cpuOvercommit: 2, softHeadroom: 0.8 },
  tags: { rack: 'b2' },
};
const GUEST = {
  role: 'web', vcpus: 2, maxVcpus: 4, memory: '2GiB', maxMemory: '4GiB', mode: 'pv',
  disks: [{ size: '20GiB', on: 'sda' }], nics: [{ bridge: 'br0' }, { mac: '52:54:00:12:34:56' }],
  load: { cpu: 0.5, iops: 100, netMbps: 50 }, antiAffinity: 'web', kernel: '/boot/vmlinuz', cpuWeight: 256, cpuCap: 150, tags: { team: 'a' },
};

function validFleet(): FleetInput {
  const host = (name: string, provider: string, guests: string[]) => ({
    name, path: `f/${name}`, props: { ...structuredClone(HOST), provider },
    guests: guests.map((g) => ({ name: g, path: `f/${name}/${g}`, props: { ...structuredClone(GUEST), nics: [{ bridge: 'br0' }, { mac: `52:54:00:12:34:${name === 'h1' ? 56 : 58}` }] } })),
  });
  return {
    name: 'f', path: 'f',
    props: { provider: 'local', bridge: 'br0', resourceType: 'terraform_data', reserve: { memory: '512MiB' }, capacity: { cpuVirtLoss: 0.03 } },
    hosts: [host('h1', 'local', ['a']), host('h2', 'xen', ['b'])],
  } as unknown as FleetInput;
}

const nullProto = () => Object.assign(Object.create(null), { cores: 1 });
const HOSTILE: (() => unknown)[] = [
  () => undefined, () => null, () => true, () => 0, () => -1, () => 0.5, () => NaN, () => Infinity, () => -Infinity,
  () => 1e308, () => 2 ** 53 + 1, () => '2', () => '', () => 'lots', () => '\u001b]0;title\u0007\u001b[2J', () => '\u0000',
  () => '../../../../outside', () => '-oProxyCommand=/tmp/evil', () => '/srv/img&/tmp/evil.sh', () => 'a'.repeat(5000),
  () => '4GB', () => '1e400GiB', () => 'constructor', () => '__proto__', () => [], () => [[1]], () => [{}], () => ({}),
  () => () => 1, () => Symbol('s'), () => 10n, nullProto, () => JSON.parse('{"__proto__": {"x": 1}, "constructor": 1}'),
  () => '52:54:00:12:34:56', () => '01:00:5e:00:00:01', () => 'qemu+ext:///system?command=/tmp/evil',
];
/** Values that are valid for some props: they let cases through to the built-manifest checks. */
const BENIGN: (() => unknown)[] = [() => undefined, () => 1, () => 2, () => 8, () => '1GiB', () => 1024, () => 'ssd', () => 'hvm', () => 'br1', () => false, () => 0.5, () => 'web'];
const KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'maxMemroy', 'extra', 'cores', 'memory', 'size'];

/** Every (container, key) below `root`, depth first. */
function slots(root: object): [Record<string | number, unknown>, string | number][] {
  const out: [Record<string | number, unknown>, string | number][] = [];
  const walk = (o: unknown) => {
    if (typeof o !== 'object' || o === null) return;
    for (const k of Object.keys(o)) {
      out.push([o as Record<string, unknown>, Array.isArray(o) ? Number(k) : k]);
      walk((o as Record<string, unknown>)[k]);
    }
  };
  walk(root);
  return out;
}

function mutate(f: FleetInput, rnd: () => number): void {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const roots: object[] = [f.props, ...f.hosts.map((h) => h.props), ...f.hosts.flatMap((h) => h.guests.map((g) => g.props))];
  const r = rnd();
  if (r < 0.08) {
    // A hostile construct id.
    const target = rnd() < 0.5 ? pick(f.hosts) : pick(f.hosts.flatMap((h) => h.guests));
    (target as { name: unknown }).name = pick(HOSTILE)();
    return;
  }
  if (r < 0.2) {
    // An extra own key, prototype names included.
    const containers = [pick(roots), ...slots(pick(roots)).map(([c]) => c)];
    Object.defineProperty(pick(containers), pick(KEYS), { value: pick(HOSTILE)(), enumerable: true, configurable: true, writable: true });
    return;
  }
  if (r < 0.25) {
    // A whole props object replaced.
    const owner = rnd() < 0.5 ? pick(f.hosts) : pick(f.hosts.flatMap((h) => h.guests));
    (owner as { props: unknown }).props = pick(HOSTILE)();
    return;
  }
  const all = slots(pick(roots));
  if (all.length === 0) return;
  const [container, key] = pick(all);
  container[key] = pick(rnd() < 0.35 ? BENIGN : HOSTILE)();
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const validFleetBuilds = () => buildManifest(validFleet());

describe('buildManifest under random hostile props (seeded)', () => {
  it('starts from a fleet that builds', () => {
    expect(validFleetBuilds().guests).toHaveLength(2);
  });

  it('builds a manifest the schema takes, or refuses with problems that each name a path: 1,000 cases, no other exception', () => {
    const rnd = seededRandom(20261127);
    const outcomes = { built: 0, refused: 0 };
    for (let i = 0; i < 1000; i++) {
      const fleet = validFleet();
      const n = 1 + Math.floor(rnd() * 2);
      for (let k = 0; k < n; k++) mutate(fleet, rnd);
      let m;
      try {
        m = buildManifest(fleet);
      } catch (e) {
        if (!(e instanceof ValidationError)) throw new Error(`case ${i}: ${(e as Error).stack}`);
        expect(e.problems.length, `case ${i}`).toBeGreaterThan(0);
        for (const p of e.problems) {
          expect(typeof p.path === 'string' && p.path.length > 0, `case ${i}: ${p.message}`).toBe(true);
          expect(CONTROL.test(p.path) || CONTROL.test(p.message), `case ${i}: ${JSON.stringify(p)}`).toBe(false);
        }
        outcomes.refused++;
        continue;
      }
      // What was built reads back through the schema and renders for every provider.
      expect(parseManifest(`case ${i}`, JSON.stringify(m))).toEqual(m);
      for (const g of m.guests) renderConfig(m.hosts.find((h) => h.name === g.host)!, g);
      outcomes.built++;
    }
    // Both outcomes happen, so the mutations are neither all harmless nor all fatal.
    expect(outcomes.built).toBeGreaterThan(50);
    expect(outcomes.refused).toBeGreaterThan(400);
  });
});

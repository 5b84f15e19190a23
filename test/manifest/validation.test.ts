import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../lib/manifest/build';
import type { FleetProps, GuestProps, HostProps } from '../../lib/manifest/props';
import { WEB_HOST_8G, manifestOf, problemsOf, web } from '../helpers/fleet';

/** Problems of a fleet with one host h1 (props over WEB_HOST_8G) and one guest g (props over web('1GiB')). */
function problems(opts: { host?: Record<string, unknown>; guest?: Record<string, unknown>; fleet?: Record<string, unknown> }): string[] {
  return problemsOf(() => manifestOf(
    { h1: { props: { ...WEB_HOST_8G, ...opts.host } as HostProps, guests: { g: { ...web('1GiB'), ...opts.guest } as GuestProps } } },
    opts.fleet as FleetProps,
  ));
}

describe('prop types', () => {
  it('says a number written as a string is a string', () => {
    expect(problems({ guest: { vcpus: '2' } })).toEqual([
      "tokyo/h1/g: vcpus must be a whole number from 1 to 4096, got the string '2': write 2 without quotes",
    ]);
  });

  it("refuses bootloader: 1024 instead of crashing in the renderer", () => {
    expect(problems({ guest: { bootloader: 1024 } })).toEqual([
      "tokyo/h1/g: bootloader must be a string path such as 'pygrub', got 1024",
    ]);
  });

  it.each([
    ['a number', 5, 'got 5'],
    ['a string', 'lots', "got the string 'lots'"],
    ['a list', [], 'got a list'],
    ['NaN', NaN, 'got NaN'],
    ['a function', () => 1, 'got a function'],
  ])('refuses %s as capacity, reserve, load or tags, naming the construct', (_what, v, got) => {
    expect(problems({ host: { capacity: v, reserve: v }, guest: { load: v, tags: v } })).toEqual([
      `tokyo/h1: capacity must be an object like { cpuOvercommit: 2 }, ${got}`,
      `tokyo/h1: reserve must be an object like { memory: '1GiB' }, ${got}`,
      `tokyo/h1/g: load must be an object like { cpu: 0.5, iops: 100, netMbps: 50 }, ${got}`,
      `tokyo/h1/g: tags must be an object of key: 'value' strings such as { rack: 'b2' }, ${got}`,
    ]);
  });

  it('refuses fleet capacity and reserve of the wrong type once, at the fleet', () => {
    expect(problems({ fleet: { capacity: 'x', reserve: 3 } })).toEqual([
      "tokyo: capacity must be an object like { cpuOvercommit: 2 }, got the string 'x'",
      "tokyo: reserve must be an object like { memory: '1GiB' }, got 3",
    ]);
  });

  it('refuses non-object host parts and non-list disks and nics', () => {
    expect(problems({ host: { cpu: 4, memory: '8GiB', disks: 'sda', nics: {} } })).toEqual([
      'tokyo/h1: cpu must be an object like { cores: 4, threads: 8 }, got 4',
      'tokyo/h1: cpu.cores must be a whole number ≥ 1, got nothing',
      "tokyo/h1: memory must be an object like { slots: 4, maxDimm: '4GiB', dimms: ['2GiB', '2GiB'] }, got the string '8GiB'",
      'tokyo/h1: memory.slots must be a whole number from 1 to 1024, got nothing',
      "tokyo/h1: memory.maxDimm: size must be a string like '4GiB' or a number of MiB, got undefined",
      "tokyo/h1: memory.dimms must list the installed DIMMs, e.g. ['2GiB', '2GiB'], got nothing",
      "tokyo/h1: disks must be a list like [{ name: 'sda', size: '500GiB' }], got the string 'sda'",
      "tokyo/h1: nics must be a list like [{ name: 'eth0', gbps: 1 }], got an object",
      "tokyo/h1/g: disks[0] is on 'sda', which host h1 does not have: use one of (none: add disks to the host)",
    ]);
  });
});

describe('prop ranges', () => {
  it('bounds cpuCap to 100 × maxVcpus, so 1e308 never renders as <quota>Infinity</quota>', () => {
    expect(problems({ guest: { cpuCap: 1e308 } })).toEqual([
      'tokyo/h1/g: cpuCap must be a whole number from 0 to 200 = 100 × maxVcpus (2), got 1e+308',
    ]);
  });

  it("bounds cpuWeight to Xen's 1..65535", () => {
    expect(problems({ guest: { cpuWeight: 70000 } })).toEqual([
      'tokyo/h1/g: cpuWeight must be a whole number from 1 to 65535, got 70000',
    ]);
  });

  it('refuses infinite and huge amounts', () => {
    expect(problems({ host: { nics: [{ name: 'eth0', gbps: Infinity }] }, guest: { load: { iops: 1e300 }, disks: [{ size: 1e300, on: 'sda' }] } })).toEqual([
      'tokyo/h1: nics[0].gbps must be a number from 0 to 100000, got Infinity',
      'tokyo/h1/g: disks[0].size: size 1e+300 MiB is more than 1PiB',
      'tokyo/h1/g: load.iops must be a number ≥ 0, got 1e+300',
    ]);
  });

  it("takes a bare number as MiB and refuses guest memory under 32 MiB, suggesting '4GiB'", () => {
    expect(problems({ guest: { memory: 4, maxMemory: undefined } })).toEqual([
      "tokyo/h1/g: memory 4MiB is under the 32MiB a guest needs at least: a bare number is MiB: write '4GiB' for 4 GiB",
    ]);
    expect(problems({ guest: { memory: '16MiB' } })).toEqual([
      "tokyo/h1/g: memory 16MiB is under the 32MiB a guest needs at least: give the guest more, such as '512MiB'",
    ]);
    expect(manifestOf({ h1: { props: WEB_HOST_8G, guests: { g: { role: 'web', vcpus: 1, memory: 64 } } } }).guests[0].memoryMiB).toBe(64);
  });
});

describe('unknown props', () => {
  it('refuses misspelt guest props with the nearest name', () => {
    expect(problems({ guest: { maxMemroy: '2GiB', antiAfinity: 'db' } })).toEqual([
      "tokyo/h1/g: unknown prop 'maxMemroy': did you mean 'maxMemory'?",
      "tokyo/h1/g: unknown prop 'antiAfinity': did you mean 'antiAffinity'?",
    ]);
  });

  it('refuses unknown props at every level, naming the level', () => {
    expect(problems({
      fleet: { provder: 'local', reserve: { memroy: '1GiB' }, capacity: { cpuOvercomit: 2 } },
      host: {
        cpu: { cores: 4, thread: 8 }, memory: { ...WEB_HOST_8G.memory, slot: 4 },
        disks: [{ name: 'sda', size: '500GiB', knd: 'ssd' }], nics: [{ name: 'eth0', gbps: 1, mtu: 9000 }],
        reserve: { vcpu: 1 }, capacity: { softHeadrom: 0.5 }, tag: {},
      },
      guest: { disks: [{ size: '1GiB', on: 'sda', sise: 1 }], nics: [{ bridg: 'br0' }], load: { net: 5 } },
    })).toEqual([
      "tokyo: unknown prop 'provder': did you mean 'provider'?",
      "tokyo: unknown prop 'capacity.cpuOvercomit': did you mean 'capacity.cpuOvercommit'?",
      "tokyo: unknown prop 'reserve.memroy': did you mean 'reserve.memory'?",
      "tokyo/h1: unknown prop 'tag': did you mean 'tags'?",
      "tokyo/h1: unknown prop 'cpu.thread': did you mean 'cpu.threads'?",
      "tokyo/h1: unknown prop 'memory.slot': did you mean 'memory.slots'?",
      "tokyo/h1: unknown prop 'disks[0].knd': did you mean 'disks[0].kind'?",
      "tokyo/h1: unknown prop 'nics[0].mtu': use one of nics[0].gbps, nics[0].name",
      "tokyo/h1: unknown prop 'capacity.softHeadrom': did you mean 'capacity.softHeadroom'?",
      "tokyo/h1: unknown prop 'reserve.vcpu': did you mean 'reserve.vcpus'?",
      "tokyo/h1/g: unknown prop 'disks[0].sise': did you mean 'disks[0].size'?",
      "tokyo/h1/g: unknown prop 'nics[0].bridg': did you mean 'nics[0].bridge'?",
      "tokyo/h1/g: unknown prop 'load.net': did you mean 'load.netMbps'?",
    ]);
  });

  it('refuses prototype names as props and never reads them from prototypes', () => {
    const hostile = JSON.parse('{"__proto__": {"cpuOvercommit": 99}, "constructor": 1}');
    expect(problems({ host: { capacity: hostile, disks: [{ name: 'sda', size: '1GiB', kind: 'constructor' }] }, guest: { tags: JSON.parse('{"__proto__": "x"}'), disks: [] } })).toEqual([
      "tokyo/h1: disks[0].kind 'constructor' must be hdd, ssd or nvme",
      "tokyo/h1: unknown prop 'capacity.__proto__': use one of capacity.cpuOvercommit, capacity.overheadPerVcpuMiB, capacity.overheadMemoryDivisor, capacity.overheadHvmMiB, capacity.cpuVirtLoss, capacity.ioVirtLoss, capacity.netVirtFactor, capacity.softHeadroom, capacity.softLimitsAreErrors, capacity.strandedBusy, capacity.strandedIdle, capacity.measuredOverDeclared",
      "tokyo/h1: unknown prop 'capacity.constructor': use one of capacity.cpuOvercommit, capacity.overheadPerVcpuMiB, capacity.overheadMemoryDivisor, capacity.overheadHvmMiB, capacity.cpuVirtLoss, capacity.ioVirtLoss, capacity.netVirtFactor, capacity.softHeadroom, capacity.softLimitsAreErrors, capacity.strandedBusy, capacity.strandedIdle, capacity.measuredOverDeclared",
      "tokyo/h1/g: tag key '__proto__' is invalid: use lowercase letters, digits, _ . -",
    ]);
  });
});

describe('names', () => {
  it('refuses control characters in construct ids and shows them escaped, path included', () => {
    expect(problemsOf(() => manifestOf({ 'h\u001b]0;title\u0007': { props: WEB_HOST_8G, guests: { 'g\u009b2J': web('1GiB') } } }))).toEqual([
      "tokyo/h\\u001b]0;title\\u0007: host name 'h\\u001b]0;title\\u0007' is not a DNS label: use 1–63 lowercase letters, digits and '-', not starting or ending with '-'",
      "tokyo/h\\u001b]0;title\\u0007/g\\u009b2J: guest name 'g\\u009b2J' is not a DNS label: use 1–63 lowercase letters, digits and '-', not starting or ending with '-'",
    ]);
  });

  it('refuses a fleet name that is not a DNS label', () => {
    expect(problemsOf(() => buildManifest({ name: 'Tokyo\n', path: 'Tokyo\n', props: {}, hosts: [] }))).toEqual([
      "Tokyo\\n: fleet name 'Tokyo\\n' is not a DNS label: use 1–63 lowercase letters, digits and '-', not starting or ending with '-'",
    ]);
  });

  it('refuses control characters in roles, tags and disk names', () => {
    expect(problems({ host: { disks: [{ name: 'sd\u001ba', size: '1GiB' }] }, guest: { role: 'web\u0007', tags: { team: 'a\u001b[2Jb' }, disks: [] } })).toEqual([
      "tokyo/h1: disks[0].name 'sd\\u001ba' is invalid: use a device-like name such as sda or nvme0",
      "tokyo/h1/g: role 'web\\u0007' is invalid: use a lowercase word such as web, db or memcached",
      "tokyo/h1/g: tag 'team' must be a string of at most 255 characters without control characters, got the string 'a\\u001b[2Jb'",
    ]);
  });
});

describe('host addresses and paths', () => {
  const withHost = (host: Record<string, unknown>) => problems({ host, guest: { disks: [] } });

  it('refuses a number as an address', () => {
    expect(withHost({ address: -1 })).toEqual([
      "tokyo/h1: address must be a string: use a folder inside the project such as '.hvkit/local/host-01' (relative, no '..')",
    ]);
  });

  it('refuses a local address that leaves the project', () => {
    expect(withHost({ address: '../../../../outside-project' })).toEqual([
      "tokyo/h1: address '../../../../outside-project' is not a relative path inside the project: use a folder inside the project such as '.hvkit/local/host-01' (relative, no '..')",
    ]);
    expect(withHost({ address: '/tmp/outside' })[0]).toContain('is not a relative path inside the project');
    expect(withHost({ address: 'sim/../../x' })[0]).toContain('is not a relative path inside the project');
  });

  it('refuses an xen address that ssh would read as an option', () => {
    expect(withHost({ provider: 'xen', address: '-oProxyCommand=/tmp/evil.sh' })).toEqual([
      "tokyo/h1: address '-oProxyCommand=/tmp/evil.sh' starts with '-', which tools read as an option: use an ssh target [user@]host[:port] such as 'root@host-01'",
    ]);
    expect(withHost({ provider: 'xen', address: 'root@host-01 -oProxyCommand=x' })[0]).toContain('is not an ssh target');
    expect(withHost({ provider: 'xen', address: 'root@host-01:99999' })[0]).toContain('has a port outside 1–65535');
  });

  it('takes xen ssh targets with user, IPv4, IPv6 and port', () => {
    for (const address of ['host-01', 'root@host-01.example.com', 'admin@10.0.0.5:2222', 'root@[fe80::1]:22']) {
      expect(() => manifestOf({ h1: { props: { ...WEB_HOST_8G, provider: 'xen', address } } }), address).not.toThrow();
    }
  });

  it('refuses libvirt URIs with other schemes or parameters that run programs', () => {
    expect(withHost({ provider: 'libvirt', address: 'qemu+ext:///system?command=/tmp/evil' })).toEqual([
      "tokyo/h1: address 'qemu+ext:///system?command=/tmp/evil' has scheme 'qemu+ext': use a libvirt URI such as 'qemu+ssh://root@host-01/system' with a scheme of qemu, qemu+ssh, qemu+tcp, qemu+tls, qemu+unix, qemu+libssh, qemu+libssh2, xen, xen+ssh, xen+tcp, xen+tls, xen+unix",
    ]);
    expect(withHost({ provider: 'libvirt', address: 'qemu+ssh://root@h/system?netcat=/tmp/evil' })[0]).toContain("has query parameter 'netcat'");
    expect(withHost({ provider: 'libvirt', address: '-c qemu:///system' })[0]).toContain("starts with '-'");
  });

  it('takes libvirt URIs', () => {
    for (const address of ['qemu:///system', 'qemu+ssh://root@host-01/system', 'qemu+ssh://root@host-01:2222/system?keyfile=/root/.ssh/id&no_verify=1', 'xen+ssh://root@[fe80::1]/']) {
      expect(() => manifestOf({ h1: { props: { ...WEB_HOST_8G, provider: 'libvirt', address } } }), address).not.toThrow();
    }
  });

  it('refuses a storageDir outside the strict allow-list', () => {
    expect(withHost({ storageDir: '/srv/img&/tmp/evil.sh' })).toEqual([
      "tokyo/h1: storageDir '/srv/img&/tmp/evil.sh' is refused: use an absolute path of letters, digits and . _ / - such as '/var/lib/hvkit/images', with no segment that is empty or starts with '.' and no trailing '/'",
    ]);
    expect(withHost({ storageDir: '/srv/../etc' })[0]).toContain('is refused');
    expect(withHost({ storageDir: 'images' })[0]).toContain('is refused');
    expect(withHost({ storageDir: 42 })).toEqual([
      "tokyo/h1: storageDir must be a string: use an absolute path of letters, digits and . _ / - such as '/var/lib/hvkit/images', with no segment that is empty or starts with '.' and no trailing '/'",
    ]);
  });

  it('refuses a kernel that is relative, has .. or starts with -', () => {
    expect(problems({ guest: { kernel: '../vmlinuz' } })).toEqual([
      "tokyo/h1/g: kernel '../vmlinuz' must be an absolute path on the host without '.' or '..' segments, not starting with '-'",
    ]);
  });
});

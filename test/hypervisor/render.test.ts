import { describe, expect, it } from 'vitest';
import { renderConfig } from '../../lib/hypervisor/render';
import type { GuestProps, HostProps } from '../../lib/manifest/props';
import { WEB_HOST_8G, manifestOf, web } from '../helpers/fleet';

/** The chapter's web guest: 3.5 GiB growable to 5.5 GiB, 2 of 4 vCPUs, a CPU weight and cap, one disk, one NIC. */
const WEB_01 = web('3.5GiB', { maxVcpus: 4, cpuWeight: 512, cpuCap: 50 });

function rendered(provider: HostProps['provider'], guest: GuestProps = WEB_01) {
  const m = manifestOf({ h: { props: { ...WEB_HOST_8G, provider }, guests: { 'web-01': guest } } });
  return { host: m.hosts[0], guest: m.guests[0], config: renderConfig(m.hosts[0], m.guests[0]) };
}

/**
 * The guest's identity is derived from its fleet and name, so these golden
 * texts hold on every machine and every run: a change to any byte of a
 * rendered config is a change to what hypervisors boot, and must show here.
 */
const UUID = 'f22b45a0-fa05-56bf-a580-aea0f00118c5';

const LOCAL_JSON = `{
  "bootloader": "pygrub",
  "cpuCap": 50,
  "cpuWeight": 512,
  "disks": [
    {
      "path": "/var/lib/hvkit/images/web-01-sda-0.img",
      "sizeMiB": 20480
    }
  ],
  "host": "h",
  "kernel": null,
  "maxMemoryMiB": 5632,
  "maxVcpus": 4,
  "memoryMiB": 3584,
  "mode": "pv",
  "name": "web-01",
  "nics": [
    {
      "bridge": "br0",
      "mac": "52:54:00:29:d5:46"
    }
  ],
  "uuid": "${UUID}",
  "vcpus": 2
}
`;

const LIBVIRT_XML = `<domain type='kvm'>
  <name>web-01</name>
  <uuid>${UUID}</uuid>
  <description>hvkit: tokyo/h/web-01 (role web)</description>
  <memory unit='MiB'>5632</memory>
  <currentMemory unit='MiB'>3584</currentMemory>
  <vcpu placement='static' current='2'>4</vcpu>
  <cputune>
    <shares>2048</shares>
    <global_period>100000</global_period>
    <global_quota>50000</global_quota>
  </cputune>
  <os>
    <type arch='x86_64'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>restart</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/hvkit/images/web-01-sda-0.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <mac address='52:54:00:29:d5:46'/>
      <source bridge='br0'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <memballoon model='virtio'/>
  </devices>
</domain>
`;

const XL_CFG = `# hvkit: tokyo/h/web-01 (role web)
name = "web-01"
type = "pv"
uuid = "${UUID}"
memory = 3584
maxmem = 5632
vcpus = 2
maxvcpus = 4
bootloader = "pygrub"
disk = [ 'format=raw, vdev=xvda, access=rw, target=/var/lib/hvkit/images/web-01-sda-0.img' ]
vif = [ 'mac=00:16:3e:29:d5:46, bridge=br0' ]
cpu_weight = 512
cap = 50
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "restart"
`;

describe('renderConfig', () => {
  describe('local provider', () => {
    it('writes the guest as JSON with sorted keys, disks as image paths, in the host’s folder', () => {
      expect(rendered('local').config).toEqual({ format: 'json', path: '.hvkit/local/tokyo/h/web-01.json', text: LOCAL_JSON });
    });
  });

  describe('libvirt domain XML', () => {
    it('renders name, uuid, memory/currentMemory, vCPUs current/max, cputune, disk, bridge NIC, console and balloon exactly', () => {
      expect(rendered('libvirt').config).toEqual({ format: 'xml', path: '/etc/hvkit/web-01.xml', text: LIBVIRT_XML });
    });

    it('uses the QEMU domain type when the host is tagged for software emulation', () => {
      const m = manifestOf({ h: { props: { ...WEB_HOST_8G, provider: 'libvirt', tags: { 'libvirt.domain-type': 'qemu' } }, guests: { 'web-01': WEB_01 } } });
      expect(renderConfig(m.hosts[0], m.guests[0]).text).toBe(LIBVIRT_XML.replace("<domain type='kvm'>", "<domain type='qemu'>"));
    });

    it('leaves out cputune when the guest has neither weight nor cap, and adds a kernel when it has one', () => {
      const xml = rendered('libvirt', web('3.5GiB', { maxVcpus: 4, kernel: '/boot/vmlinuz' })).config.text;
      expect(xml).toBe(LIBVIRT_XML
        .replace(/ {2}<cputune>\n[\s\S]*?<\/cputune>\n/, '')
        .replace("    <type arch='x86_64'>hvm</type>\n", "    <type arch='x86_64'>hvm</type>\n    <kernel>/boot/vmlinuz</kernel>\n"));
    });

    it("caps the whole domain as Xen does: 50% with 4 vCPUs is a global quota of half a period, not 50% per vCPU", () => {
      const xml = rendered('libvirt', web('3.5GiB', { vcpus: 4, maxVcpus: 4, cpu: { cap: 50 } })).config.text;
      expect(xml).toContain('  <cputune>\n    <global_period>100000</global_period>\n    <global_quota>50000</global_quota>\n  </cputune>\n');
      expect(xml).not.toMatch(/<quota>|<period>/);
    });

    it("maps Xen's weight onto shares × 4, so weight 256 (Xen's default) is libvirt's default 1024", () => {
      expect(rendered('libvirt', web('3.5GiB', { cpu: { weight: 256 } })).config.text).toContain('  <cputune>\n    <shares>1024</shares>\n  </cputune>\n');
    });

    it('leaves out the quota for cap 0, Xen\'s "no cap"', () => {
      expect(rendered('libvirt', web('3.5GiB', { cpu: { cap: 0 } })).config.text).not.toContain('cputune');
      expect(rendered('libvirt', web('3.5GiB', { cpu: { cap: 0, weight: 512 } })).config.text).toContain('  <cputune>\n    <shares>2048</shares>\n  </cputune>\n');
    });

    it('renders disk I/O limits as <iotune> read + write totals, MB/s as 10^6 bytes, only on the disk that has them', () => {
      const xml = rendered('libvirt', web('3.5GiB', { disks: [{ size: '20GiB', on: 'sda', iops: 500, mbps: 40 }, { size: '1GiB', on: 'sda' }] })).config.text;
      expect(xml).toContain([
        "      <target dev='vda' bus='virtio'/>",
        '      <iotune>',
        '        <total_bytes_sec>40000000</total_bytes_sec>',
        '        <total_iops_sec>500</total_iops_sec>',
        '      </iotune>',
        '    </disk>',
        "    <disk type='file' device='disk'>",
      ].join('\n'));
      expect(xml.match(/<iotune>/g)).toHaveLength(1);
      expect(rendered('libvirt', web('3.5GiB', { disks: [{ size: '20GiB', on: 'sda', iops: 500 }] })).config.text).toContain('      <iotune>\n        <total_iops_sec>500</total_iops_sec>\n      </iotune>\n');
    });

    it('escapes hostile values in element text, even though validation refuses them first', () => {
      const { host, guest } = rendered('libvirt');
      const hostile = { ...guest, name: "x'/><evil a='", path: 'tokyo/h/<script>&"', kernel: "/boot/'$(reboot)'" };
      const xml = renderConfig(host, hostile).text;
      expect(xml.split('\n').slice(0, 4)).toEqual([
        "<domain type='kvm'>",
        '  <name>x&apos;/&gt;&lt;evil a=&apos;</name>',
        `  <uuid>${UUID}</uuid>`,
        '  <description>hvkit: tokyo/h/&lt;script&gt;&amp;&quot; (role web)</description>',
      ]);
      expect(xml).toContain("    <type arch='x86_64'>hvm</type>\n    <kernel>/boot/&apos;$(reboot)&apos;</kernel>\n");
      expect(xml).toContain("      <source file='/var/lib/hvkit/images/x&apos;/&gt;&lt;evil a=&apos;-sda-0.qcow2'/>");
      expect(xml).not.toMatch(/<evil|<script/);
    });
  });

  describe('xl.cfg', () => {
    it('renders one line per setting, disk and vif specs single-quoted, exactly', () => {
      expect(rendered('xen').config).toEqual({ format: 'xl', path: '/etc/xen/web-01.cfg', text: XL_CFG });
    });

    it('escapes quotes, backslashes and newlines, so a hostile value cannot add a setting', () => {
      const { host, guest } = rendered('xen');
      const text = renderConfig(host, { ...guest, kernel: '/boot/a"b\\c\nkernel = "/evil"', bootloader: null, path: 'tokyo/x\nname = "evil"' }).text;
      expect(text.split('\n').slice(0, 10)).toEqual([
        '# hvkit: tokyo/x name = "evil" (role web)',
        'name = "web-01"',
        'type = "pv"',
        `uuid = "${UUID}"`,
        'memory = 3584',
        'maxmem = 5632',
        'vcpus = 2',
        'maxvcpus = 4',
        'kernel = "/boot/a\\"b\\\\c\\nkernel = \\"/evil\\""',
        "disk = [ 'format=raw, vdev=xvda, access=rw, target=/var/lib/hvkit/images/web-01-sda-0.img' ]",
      ]);
      expect(text.match(/^name = /gm)).toHaveLength(1);
    });
  });

  describe('cpu: { cap, weight }', () => {
    it.each(['local', 'libvirt', 'xen'] as const)('%s: renders the same bytes as the flat cpuCap/cpuWeight', (provider) => {
      const { cpuCap: _c, cpuWeight: _w, ...rest } = WEB_01;
      expect(rendered(provider, { ...rest, cpu: { cap: 50, weight: 512 } }).config.text).toBe(rendered(provider).config.text);
    });

    it('xl.cfg: writes them as cpu_weight and cap', () => {
      expect(rendered('xen', web('3.5GiB', { maxVcpus: 4, cpu: { weight: 128, cap: 150 } })).config.text).toContain('cpu_weight = 128\ncap = 150\n');
    });
  });

  describe('disk limits in the local simulator', () => {
    it('adds iops and mbps to a disk only when set, so other guests keep their bytes', () => {
      const text = rendered('local', web('3.5GiB', { disks: [{ size: '20GiB', on: 'sda', iops: 500, mbps: 40 }, { size: '1GiB', on: 'sda' }] })).config.text;
      expect(JSON.parse(text).disks).toEqual([
        { iops: 500, mbps: 40, path: '/var/lib/hvkit/images/web-01-sda-0.img', sizeMiB: 20480 },
        { path: '/var/lib/hvkit/images/web-01-sda-1.img', sizeMiB: 1024 },
      ]);
    });
  });

  describe('determinism', () => {
    it.each(['local', 'libvirt', 'xen'] as const)('%s: two manifests built separately from the same code render the same bytes', (provider) => {
      // Props listed in another order and a fresh manifest: nothing but the spec may reach the bytes.
      const reordered = Object.fromEntries(Object.entries(WEB_01).reverse()) as GuestProps;
      expect(rendered(provider, reordered).config.text).toBe(rendered(provider).config.text);
    });

    it('a second guest differs only where its name, identity and numbers do', () => {
      const m = manifestOf({ h: { props: { ...WEB_HOST_8G, provider: 'xen' }, guests: { 'web-01': WEB_01, 'web-02': web('2GiB', { maxVcpus: 4, cpuWeight: 512, cpuCap: 50 }) } } });
      const [a, b] = m.guests.map((g) => renderConfig(m.hosts[0], g).text.split('\n'));
      const differing = a.flatMap((line, i) => (line === b[i] ? [] : [[line, b[i]]]));
      expect(differing.map(([x]) => x.split(' = ')[0])).toEqual(['# hvkit: tokyo/h/web-01 (role web)', 'name', 'uuid', 'memory', 'disk', 'vif']);
      expect(b[a.indexOf('memory = 3584')]).toBe('memory = 2048');
    });
  });
});

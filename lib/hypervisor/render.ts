import { assertNever } from '../errors';
import type { GuestSpec, HostSpec } from '../manifest/types';
import { xlSingle, xlString, xmlEscape } from './escape';

/** The file the hypervisor gets for a guest, and where it lives on the host. */
export interface RenderedConfig {
  format: 'json' | 'xml' | 'xl';
  path: string;
  text: string;
}

/** Where a guest's n-th disk image lives on its host. */
export function diskPath(host: HostSpec, guest: GuestSpec, index: number): string {
  const ext = host.provider === 'libvirt' ? 'qcow2' : 'img';
  return `${host.storageDir}/${guest.name}-${guest.disks[index].on}-${index}.${ext}`;
}

/**
 * Renders a guest's hypervisor config. Deterministic: the same spec always
 * gives the same bytes, so a rebuild reproduces the guest exactly.
 */
export function renderConfig(host: HostSpec, guest: GuestSpec): RenderedConfig {
  switch (host.provider) {
    case 'local':
      return { format: 'json', path: `${host.address}/${guest.name}.json`, text: renderLocal(host, guest) };
    case 'libvirt':
      return { format: 'xml', path: `/etc/hvkit/${guest.name}.xml`, text: renderLibvirt(host, guest) };
    case 'xen':
      return { format: 'xl', path: `/etc/xen/${guest.name}.cfg`, text: renderXl(host, guest) };
    default:
      return assertNever(host.provider, 'provider');
  }
}

function renderLocal(host: HostSpec, g: GuestSpec): string {
  // Keys written in sorted order: the same bytes as canonicalJson, without its cost per guest.
  return JSON.stringify({
    bootloader: g.bootloader, cpuCap: g.cpuCap, cpuWeight: g.cpuWeight,
    disks: g.disks.map((d, i) => ({ path: diskPath(host, g, i), sizeMiB: d.sizeMiB })),
    host: host.name, kernel: g.kernel, maxMemoryMiB: g.maxMemoryMiB, maxVcpus: g.maxVcpus, memoryMiB: g.memoryMiB, mode: g.mode,
    name: g.name, nics: g.nics.map((n) => ({ bridge: n.bridge, mac: n.mac })), uuid: g.uuid, vcpus: g.vcpus,
  }, null, 2) + '\n';
}

function renderLibvirt(host: HostSpec, g: GuestSpec): string {
  const e = xmlEscape;
  const type = host.tags['libvirt.domain-type'] === 'qemu' ? 'qemu' : 'kvm';
  const lines = [
    `<domain type='${type}'>`,
    `  <name>${e(g.name)}</name>`,
    `  <uuid>${e(g.uuid)}</uuid>`,
    `  <description>${e(`hvkit: ${g.path} (role ${g.role})`)}</description>`,
    `  <memory unit='MiB'>${g.maxMemoryMiB}</memory>`,
    `  <currentMemory unit='MiB'>${g.memoryMiB}</currentMemory>`,
    `  <vcpu placement='static' current='${g.vcpus}'>${g.maxVcpus}</vcpu>`,
    ...(g.cpuWeight !== null || g.cpuCap !== null
      ? ['  <cputune>', ...(g.cpuWeight !== null ? [`    <shares>${g.cpuWeight}</shares>`] : []), ...(g.cpuCap !== null ? ['    <period>100000</period>', `    <quota>${g.cpuCap * 1000}</quota>`] : []), '  </cputune>']
      : []),
    '  <os>',
    `    <type arch='x86_64'>hvm</type>`,
    ...(g.kernel ? [`    <kernel>${e(g.kernel)}</kernel>`] : []),
    `    <boot dev='hd'/>`,
    '  </os>',
    '  <features>',
    '    <acpi/>',
    '    <apic/>',
    '  </features>',
    `  <clock offset='utc'/>`,
    '  <on_poweroff>destroy</on_poweroff>',
    '  <on_reboot>restart</on_reboot>',
    '  <on_crash>restart</on_crash>',
    '  <devices>',
    ...g.disks.flatMap((_d, i) => [
      `    <disk type='file' device='disk'>`,
      `      <driver name='qemu' type='qcow2'/>`,
      `      <source file='${e(diskPath(host, g, i))}'/>`,
      `      <target dev='vd${String.fromCharCode(97 + i)}' bus='virtio'/>`,
      '    </disk>',
    ]),
    ...g.nics.flatMap((n) => [
      `    <interface type='bridge'>`,
      `      <mac address='${e(n.mac)}'/>`,
      `      <source bridge='${e(n.bridge)}'/>`,
      `      <model type='virtio'/>`,
      '    </interface>',
    ]),
    `    <serial type='pty'>`,
    `      <target port='0'/>`,
    '    </serial>',
    `    <console type='pty'>`,
    `      <target type='serial' port='0'/>`,
    '    </console>',
    `    <memballoon model='virtio'/>`,
    '  </devices>',
    '</domain>',
  ];
  return lines.join('\n') + '\n';
}

function renderXl(host: HostSpec, g: GuestSpec): string {
  const s = xlString;
  const lines = [
    `# hvkit: ${g.path.replace(/[\r\n]/g, ' ')} (role ${g.role})`,
    `name = ${s(g.name)}`,
    `type = ${s(g.mode)}`,
    `uuid = ${s(g.uuid)}`,
    `memory = ${g.memoryMiB}`,
    `maxmem = ${g.maxMemoryMiB}`,
    `vcpus = ${g.vcpus}`,
    `maxvcpus = ${g.maxVcpus}`,
    ...(g.kernel ? [`kernel = ${s(g.kernel)}`] : []),
    ...(g.bootloader ? [`bootloader = ${s(g.bootloader)}`] : []),
    `disk = [ ${g.disks.map((_d, i) => xlSingle(`format=raw, vdev=xvd${String.fromCharCode(97 + i)}, access=rw, target=${diskPath(host, g, i)}`)).join(', ')} ]`,
    `vif = [ ${g.nics.map((n) => xlSingle(`mac=${n.mac}, bridge=${n.bridge}`)).join(', ')} ]`,
    ...(g.cpuWeight !== null ? [`cpu_weight = ${g.cpuWeight}`] : []),
    ...(g.cpuCap !== null ? [`cap = ${g.cpuCap}`] : []),
    'on_poweroff = "destroy"',
    'on_reboot = "restart"',
    'on_crash = "restart"',
  ];
  return lines.join('\n') + '\n';
}

import { assertNever } from '../errors';
import type { GuestDisk, GuestSpec, HostSpec } from '../manifest/types';
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
    disks: g.disks.map((d, i) => ({ ...(d.iops !== undefined ? { iops: d.iops } : {}), ...(d.mbps !== undefined ? { mbps: d.mbps } : {}), path: diskPath(host, g, i), sizeMiB: d.sizeMiB })),
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
    ...cputune(g),
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
      ...iotune(g.disks[i]),
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

/** The period libvirt's CPU quota is measured over, in µs: the cgroup default, as Xen's credit scheduler accounts over tens of ms. */
export const LIBVIRT_CPU_PERIOD_US = 100_000;
/** libvirt `<shares>` per Xen weight point: Xen's default weight 256 is libvirt's default 1024 shares. */
export const LIBVIRT_SHARES_PER_WEIGHT = 4;

/**
 * The cap and weight as libvirt `<cputune>`. The cap is Xen's: percent of ONE
 * physical CPU for the whole domain, however many vCPUs it has. libvirt's
 * `<quota>` limits each vCPU thread on its own (a 4-vCPU guest with 50% would
 * get 200%), so the cap goes into `<global_quota>`, which bounds the domain's
 * cgroup as a whole. Weight × 4 as `<shares>` keeps Xen's scale relative to
 * guests without a weight (Xen 256, libvirt 1024). A cap of 0 is Xen's "no cap":
 * no quota at all.
 */
function cputune(g: GuestSpec): string[] {
  const capped = g.cpuCap !== null && g.cpuCap > 0;
  if (g.cpuWeight === null && !capped) return [];
  return [
    '  <cputune>',
    ...(g.cpuWeight !== null ? [`    <shares>${g.cpuWeight * LIBVIRT_SHARES_PER_WEIGHT}</shares>`] : []),
    ...(capped ? [`    <global_period>${LIBVIRT_CPU_PERIOD_US}</global_period>`, `    <global_quota>${libvirtQuota(g.cpuCap!)}</global_quota>`] : []),
    '  </cputune>',
  ];
}

/** A cap in percent of one CPU as a quota in µs per {@link LIBVIRT_CPU_PERIOD_US}. */
export function libvirtQuota(capPercent: number): number {
  return (capPercent * LIBVIRT_CPU_PERIOD_US) / 100;
}

/** Bytes per second of a disk limit given in MB/s: decimal megabytes, as disk vendors use. */
export const BYTES_PER_MB = 1_000_000;

/** A disk's limits as libvirt `<iotune>` (read + write totals); nothing when it has none. */
function iotune(d: GuestDisk): string[] {
  if (d.iops === undefined && d.mbps === undefined) return [];
  return [
    '      <iotune>',
    ...(d.mbps !== undefined ? [`        <total_bytes_sec>${d.mbps * BYTES_PER_MB}</total_bytes_sec>`] : []),
    ...(d.iops !== undefined ? [`        <total_iops_sec>${d.iops}</total_iops_sec>`] : []),
    '      </iotune>',
  ];
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

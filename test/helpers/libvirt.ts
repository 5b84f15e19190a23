import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

export const URI = 'qemu:///system';

export function virsh(...args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('virsh', ['-c', URI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, out: r.stdout ?? '', err: r.stderr ?? '' };
}

const answers = () => spawnSync('virsh', ['-c', URI, 'version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

/**
 * Starts libvirtd with the QEMU driver the way docs/design.md describes (no
 * systemd): qemu.conf with root user and no security driver, virtlogd, then
 * libvirtd, waiting until it answers. Returns why it cannot, or undefined.
 */
export function startLibvirtd(): string | undefined {
  if (answers()) return undefined;
  if (spawnSync('which', ['libvirtd']).status !== 0) return 'libvirtd is not installed (Debian: libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86)';
  if (process.getuid?.() !== 0) return 'starting libvirtd needs root';
  const conf = '/etc/libvirt/qemu.conf';
  const want = 'user = "root"\ngroup = "root"\nsecurity_driver = "none"\n';
  if (!existsSync(conf) || !readFileSync(conf, 'utf8').includes('security_driver = "none"')) {
    mkdirSync('/etc/libvirt', { recursive: true });
    writeFileSync(conf, (existsSync(conf) ? readFileSync(conf, 'utf8') + '\n' : '') + want);
  }
  for (const d of ['/var/log/libvirt/qemu', '/var/lib/libvirt/qemu', '/run/libvirt']) mkdirSync(d, { recursive: true });
  spawnSync('virtlogd', ['-d']);
  spawnSync('libvirtd', ['-d']);
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (answers()) return undefined;
    spawnSync('sleep', ['0.3']);
  }
  return 'libvirtd did not answer within 30 s';
}

/** KVM when the machine has it, QEMU's software emulation otherwise. */
export const domainType = existsSync('/dev/kvm') ? 'kvm' : 'qemu';

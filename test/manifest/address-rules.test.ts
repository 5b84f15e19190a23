import { describe, expect, it } from 'vitest';
import { checkAddress, checkStorageDir } from '../../lib/manifest/address';
// @ts-expect-error providers are plain .mjs scripts without type declarations
import { libvirtUri, safePath, sshTarget } from '../../providers/lib/checks.mjs';

/** True when the provider check accepts the value, false when it refuses it. */
function providerAccepts(check: (v: string) => unknown, value: string): boolean {
  try {
    check(value);
    return true;
  } catch (e) {
    expect((e as Error).message).toMatch(/^refusing /);
    return false;
  }
}

// [value, accepted]: one table run through both hvkit's manifest check and the provider's.
const LIBVIRT: [string, boolean][] = [
  ['qemu:///system', true],
  ['qemu:///session', true],
  ['qemu+ssh://root@kvm-01/system', true],
  ['qemu+ssh://root@kvm-01:2222/system?keyfile=/root/.ssh/id_hvkit&no_verify=1', true],
  ['qemu+tls://kvm-01.example.org/system', true],
  ['qemu+tcp://10.0.0.7:16509/system', true],
  ['qemu+unix:///system', true],
  ['qemu+unix:///system?mode=direct', true],
  ['qemu+libssh://root@kvm-01/system?known_hosts=/root/.ssh/known_hosts&known_hosts_verify=auto', true],
  ['qemu+libssh2://root@kvm-01/system?sshauth=privkey', true],
  ['qemu+ssh://root@[fe80::1]/system', true],
  ['qemu+ssh://root@[2001:db8::7]:2222/system', true],
  ['qemu+tls://kvm-01/system?pkipath=/etc/pki/hvkit&no_tty=1', true],
  ['xen:///', true],
  ['xen:///system', true],
  ['xen+ssh://root@xen-01/system', true],
  ['xen+tcp://xen-01/system', true],
  ['xen+tls://h/system', true],
  ['xen+unix:///system', true],
  ['-c', false],
  ['--readonly', false],
  ['qemu+ext:///system?command=/tmp/evil', false],
  ['qemu+ext:///system', false],
  ['lxc:///', false],
  ['test:///default', false],
  ['http://host/', false],
  ['QEMU:///system', false],
  ['qemu+ssh://root@host/system?command=/tmp/evil', false],
  ['qemu+ssh://root@host/system?netcat=/tmp/evil', false],
  ['qemu+ssh://root@host/system?socket=/tmp/evil', false],
  ['qemu+ssh://root@host/system?proxy=native', false],
  ['qemu+ssh://root@host/system?keyfile=/a,b', false],
  ['qemu+ssh://root@host/system?keyfile=/a&command=x', false],
  ['qemu+ssh://root@host/system?', false],
  ['qemu+ssh://root@host/system?&', false],
  ['qemu+ssh://root@host/system?keyfile=$(id)', false],
  ['qemu+ssh://root@host/system?keyfile=/a b', false],
  ['qemu+ssh://-oProxyCommand=x/system', false],
  ['qemu+ssh://root@-host/system', false],
  ['qemu+ssh://root@host-/system', false],
  ['qemu+ssh://root@a..b/system', false],
  ['qemu+ssh://root@host:0/system', false],
  ['qemu+ssh://root@host:65536/system', false],
  ['qemu+ssh://root@host:99999/system', false],
  ['qemu+ssh://root@fe80::1/system', false],
  ['qemu+ssh://root@[fe80::1/system', false],
  ['qemu:///system;id', false],
  ['qemu:///system&id', false],
  ['qemu:///$(id)', false],
  ['qemu:///system/extra', false],
  ['qemu:///..', false],
  ['qemu:///.', false],
  ['qemu:///system\n', false],
  ['qemu:///sys\x1btem', false],
  ['qemu:// /system', false],
  ['qemu://host', false],
  ['', false],
];

const XEN: [string, boolean][] = [
  ['xen-01', true],
  ['root@xen-01', true],
  ['root@xen-01.example.org:2222', true],
  ['10.0.0.7:2222', true],
  ['admin@[fe80::1]', true],
  ['[2001:db8::7]:22', true],
  ['_svc@xen-01', true],
  ['-oProxyCommand=/tmp/evil.sh', false],
  ['root@-oProxyCommand=x', false],
  ['root@host;id', false],
  ['root@host&id', false],
  ['root@$(id)', false],
  ['root@host:0', false],
  ['root@host:65536', false],
  ['root@host-', false],
  ['root@a..b', false],
  ['Root@host', false],
  ['root@host/x', false],
  ['root@fe80::1', false],
  ['root@ host', false],
  ['root@host\n', false],
  ['root@ho\x07st', false],
  ['root@', false],
  ['@host', false],
  ['', false],
];

const STORAGE: [string, boolean][] = [
  ['/var/lib/hvkit/images', true],
  ['/srv/xen-images/v1.2', true],
  ['/srv/_img', true],
  ['/srv/img/', false],
  ['/', false],
  ['/srv//x', false],
  ['/srv/.', false],
  ['/srv/..', false],
  ['/srv/../etc', false],
  ['/srv/.hidden', false],
  ['relative/dir', false],
  ['-rf', false],
  ['/srv/a b', false],
  ['/srv/a;b', false],
  ['/srv/img&/tmp/evil.sh', false],
  ['/srv/$(id)', false],
  ['/srv/a\nb', false],
  ['/srv/\x1b', false],
  [`/${'a'.repeat(254)}`, true],
  [`/${'a'.repeat(255)}`, false],
];

describe('address rules shared by hvkit and the provider scripts', () => {
  it.each(LIBVIRT)('libvirt address %j: plan and provider both say accepted=%s', (uri, accepted) => {
    expect(checkAddress('libvirt', uri) === undefined).toBe(accepted);
    expect(providerAccepts(libvirtUri, uri)).toBe(accepted);
  });

  it.each(XEN)('xen address %j: plan and provider both say accepted=%s', (address, accepted) => {
    expect(checkAddress('xen', address) === undefined).toBe(accepted);
    expect(providerAccepts(sshTarget, address)).toBe(accepted);
  });

  it.each(STORAGE)('storageDir %j: plan says accepted=%s and the provider takes every folder plan takes', (dir, accepted) => {
    expect(checkStorageDir(dir) === undefined).toBe(accepted);
    // The provider's path rule is wider (it also checks disk image paths), so
    // only what plan accepts must pass it, along with the image paths made from it.
    if (accepted) {
      expect(providerAccepts(safePath, dir)).toBe(true);
      expect(providerAccepts(safePath, `${dir}/web-01-sda-0.img`)).toBe(true);
    }
  });
});

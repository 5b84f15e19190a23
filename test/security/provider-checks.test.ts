import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
// @ts-expect-error providers are plain .mjs scripts without type declarations
import { libvirtUri, remoteCommand, safePath, shQuote, sshTarget } from '../../providers/lib/checks.mjs';

const HOSTILE = ["a'b", "'", "''", 'a b', '$(touch x)', '`id`', 'a&b', 'a;b', 'a|b', '\\', '"', '\n', 'a\nb', '~root', 'A=1', '*', '-rf', '', '\t', '!', '#x', '{a,b}', 'é'];

describe('provider checks (providers/lib/checks.mjs)', () => {
  it('quotes every word so a POSIX shell reads it back verbatim', () => {
    const line = remoteCommand(['printf', '%s\\0', ...HOSTILE]);
    const r = spawnSync('sh', ['-c', line], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE);
  });

  it('leaves plain words readable', () => {
    expect(remoteCommand(['xl', 'mem-set', 'web-01', '1536m', '/etc/xen/web-01.cfg'])).toBe('xl mem-set web-01 1536m /etc/xen/web-01.cfg');
    expect(shQuote('BatchMode=yes')).toBe("'BatchMode=yes'");
  });

  it.each(['-oProxyCommand=/tmp/evil.sh', 'root@-oProxyCommand=x', 'root@host;id', 'root@host:0', 'root@host:70000', '', 'a b', 'root@', '@host', 'host/x'])('refuses the ssh address %j', (a) => {
    expect(() => sshTarget(a)).toThrow(/refusing host address/);
  });

  it('accepts [user@]host[:port]', () => {
    expect(sshTarget('root@xen-a')).toEqual({ dest: 'root@xen-a', port: undefined });
    expect(sshTarget('10.0.0.7:2222')).toEqual({ dest: '10.0.0.7', port: 2222 });
    expect(sshTarget('admin@[fe80::1]')).toEqual({ dest: 'admin@[fe80::1]', port: undefined });
  });

  it.each(['relative/dir', '/srv/img&/tmp/evil.sh', '/srv/a;b', '/srv/../etc', '/srv/$(id)', '/srv/a b', '/srv//x', '/srv/a\nb', '/srv/.', '-rf', '/srv/\x1b'])('refuses the path %j', (p) => {
    expect(() => safePath(p)).toThrow(/refusing path/);
  });

  it('accepts plain absolute paths', () => {
    for (const p of ['/var/lib/hvkit/images', '/srv/xen,images/a+b~c', '/srv/img/', '/srv/web-01-sda-0.img']) expect(safePath(p)).toBe(p);
  });

  it.each(['-c', '--readonly', 'qemu+ext:///system?command=/tmp/evil', 'qemu+ssh://root@host/system?command=/tmp/evil', 'qemu+ssh://root@host/system?netcat=/tmp/evil', 'qemu+ssh://-oProxyCommand=x/system', 'qemu:///system;id', 'http://host/'])('refuses the libvirt URI %j', (u) => {
    expect(() => libvirtUri(u)).toThrow(/refusing host address/);
  });

  it('accepts libvirt URIs in use', () => {
    for (const u of ['qemu:///system', 'qemu+ssh://root@kvm-01/system', 'qemu+ssh://root@kvm-01:2222/system?keyfile=/root/.ssh/id_hvkit&no_verify=1', 'qemu+tls://kvm-01.example.org/system']) expect(libvirtUri(u)).toBe(u);
  });
});

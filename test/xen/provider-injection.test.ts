import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/project';

/**
 * The xen provider scripts called directly, as apply would, with input that
 * manifest validation would refuse: the provider is the last code before a
 * shell on a host, so it must refuse or quote on its own. The ssh stand-in
 * runs what it receives through `sh -c`, as sshd does.
 */
describe('xen provider against hostile input (ssh stand-in runs sh -c)', () => {
  let dir: string;
  let evil: string;
  let marker: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hvkit-xen-inj-'));
    marker = join(dir, 'PWNED');
    evil = join(dir, 'evil.sh');
    writeFileSync(evil, `#!/bin/sh\ntouch ${marker}\n`);
    chmodSync(evil, 0o755);
    writeFileSync(join(dir, 'record.jsonl'), '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const host = (over: Record<string, unknown> = {}) => ({ name: 'xen-a', provider: 'xen', address: 'root@xen-a', storageDir: '/var/lib/hvkit/images', ...over });
  const guest = { name: 'web-01', disks: [{ on: 'sda', sizeMiB: 1024 }], memoryMiB: 512, maxMemoryMiB: 512, vcpus: 1, maxVcpus: 1 };
  const config = { format: 'xl.cfg', path: '/etc/xen/web-01.cfg', text: 'name = "web-01"\nmemory = 512\nvcpus = 1\n' };

  function call(verb: string, input: Record<string, unknown>) {
    return spawnSync(join(ROOT, 'providers/xen', verb), [], {
      input: JSON.stringify(input),
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(ROOT, 'test/xen/bin')}:${process.env.PATH}`, HVKIT_XEN_RECORD: join(dir, 'record.jsonl'), HVKIT_XEN_ROOT: join(dir, 'hosts') },
    });
  }

  it("refuses a storageDir with '&' instead of letting the host's shell run what follows it", () => {
    const r = call('create', { host: host({ storageDir: `/srv/img&${evil}` }), guest, config });
    expect(existsSync(marker)).toBe(false);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`refusing the storageDir of xen-a "/srv/img&${evil}"`);
  });

  it('refuses a migration target storageDir that would break out of the remote mkdir and scp', () => {
    const r = call('migrate', { host: host(), target: host({ name: 'xen-b', address: 'root@xen-b', storageDir: `/srv/a;${evil}` }), guest, config });
    expect(existsSync(marker)).toBe(false);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('refusing the storageDir of xen-b');
  });

  it('refuses an address that ssh would read as an option (-oProxyCommand runs locally)', () => {
    const r = call('facts', { host: host({ address: `-oProxyCommand=${evil}` }) });
    expect(existsSync(marker)).toBe(false);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('refusing the address of xen-a "-oProxyCommand=');
  });

  it('ends ssh options with -- before the destination, and passes a port as -p', () => {
    const r = call('facts', { host: host({ address: 'admin@xen-a.example.org:2222' }) });
    expect(r.status, r.stderr).toBe(0);
    const line = readFileSync(join(dir, 'record.jsonl'), 'utf8').split('\n')[0];
    expect(JSON.parse(line)).toEqual(['ssh', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-p', '2222', '--', 'admin@xen-a.example.org', 'xl info']);
  });

  it('refuses a guest name that is not a DNS label before running anything', () => {
    const r = call('destroy', { host: host(), guest: { ...guest, name: `x;${evil}` } });
    expect(existsSync(marker)).toBe(false);
    expect(r.stderr).toContain('refusing guest name');
    expect(readFileSync(join(dir, 'record.jsonl'), 'utf8')).toBe('');
  });
});

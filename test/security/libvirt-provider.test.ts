import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ROOT } from '../helpers/project';
import { describeWithTool } from '../helpers/tools';

const virsh = spawnSync('virsh', ['--version'], { encoding: 'utf8' });

/** The libvirt provider called directly with addresses validation would refuse, against the real virsh. */
describeWithTool('libvirt provider against hostile addresses (real virsh)', 'virsh', virsh.status === 0, 'virsh is not installed (Debian: libvirt-clients)', () => {
  let dir: string;
  let evil: string;
  let marker: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hvkit-virsh-inj-'));
    marker = join(dir, 'PWNED');
    evil = join(dir, 'evil.sh');
    writeFileSync(evil, `#!/bin/sh\ntouch ${marker}\nexit 1\n`);
    chmodSync(evil, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const call = (verb: string, input: Record<string, unknown>) =>
    spawnSync(join(ROOT, 'providers/libvirt', verb), [], { input: JSON.stringify(input), encoding: 'utf8', timeout: 30_000 });

  it("refuses a URI whose ssh transport would run a local command (?command=), before virsh runs it", () => {
    const r = call('facts', { host: { name: 'kvm-01', address: `qemu+ssh://root@localhost/system?command=${evil}` } });
    expect(existsSync(marker)).toBe(false);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("query parameter 'command' is not allowed");
  });

  it('refuses the ext transport, which exists to run a command', () => {
    const r = call('list', { host: { name: 'kvm-01', address: `qemu+ext:///system?command=${evil}` } });
    expect(existsSync(marker)).toBe(false);
    expect(r.stderr).toContain('refusing the address of kvm-01');
  });

  it('refuses a migration target URI that would run a command', () => {
    const host = { name: 'kvm-01', address: 'qemu:///system', storageDir: '/var/lib/hvkit/images' };
    const r = call('migrate', { host, target: { ...host, name: 'kvm-02', address: `qemu+ssh://root@localhost/system?netcat=${evil}` }, guest: { name: 'web-01', disks: [] } });
    expect(existsSync(marker)).toBe(false);
    expect(r.stderr).toContain('refusing the address of kvm-02');
  });
});

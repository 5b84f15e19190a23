import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/project';
import { describeWithTool } from '../helpers/tools';

const virsh = spawnSync('virsh', ['--version'], { encoding: 'utf8' });

/** `rebuild --to` takes only facts' exit 255 as "host down": the libvirt provider must say so when virsh cannot connect. */
describeWithTool('libvirt provider facts on a host out of reach (real virsh)', 'virsh', virsh.status === 0, 'virsh is not installed (Debian: libvirt-clients)', () => {
  it('exits 255 when no libvirt daemon answers at the address', () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const r = spawnSync(join(ROOT, 'providers/libvirt/facts'), [], {
      input: JSON.stringify({ host: { name: 'kvm-01', address: 'qemu+tcp://127.0.0.1:1/system' } }),
      encoding: 'utf8', timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(255);
    expect(r.stderr).toContain('cannot reach kvm-01:');
  });
});

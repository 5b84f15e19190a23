import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, stackSource, tempProject, type TempProject } from '../helpers/project';

/**
 * The xen provider's `rename` against the recording ssh and xl stand-ins
 * (test/xen/bin): the exact commands, run as argument vectors whose words the
 * stand-in's shell parses, on a fake host root.
 */
describe('xen provider: rename (movedFrom)', () => {
  let p: TempProject;
  let record: string;
  let root: string;
  const env = () => ({ PATH: `${join(ROOT, 'test/xen/bin')}:${process.env.PATH}`, HVKIT_XEN_RECORD: record, HVKIT_XEN_ROOT: root });
  const calls = () => readFileSync(record, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]).filter((c) => c[0] === 'ssh').map((c) => c.slice(c.indexOf('--') + 1).join(' '));
  const host = "new Host(fleet, 'xen-a', { provider: 'xen', cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['4GiB', '4GiB'] }, disks: [{ name: 'sda', size: '100GiB' }] })";
  const stack = (guest: string) => stackSource(`const a = ${host};\nnew Guest(a, ${guest});\n`);
  const inRoot = (path: string) => join(root, 'root@xen-a', path);

  beforeEach(async () => {
    p = tempProject();
    record = join(p.dir, 'record.jsonl');
    root = join(p.dir, 'xen-root');
    writeFileSync(record, '');
    p.writeStack(stack("'web-02', { role: 'web', vcpus: 1, memory: '1GiB', disks: [{ size: '10GiB', on: 'sda' }] }"));
    const r = await p.run(['apply', '--auto-approve'], { env: env() });
    expect(r.code, r.err + r.out).toBe(0);
    writeFileSync(inRoot('/var/lib/hvkit/images/web-02-sda-0.img'), 'the data of web-02\n');
    writeFileSync(record, '');
  });
  afterEach(() => p.cleanup());

  it('renames the running domain with xl rename, moves its image and config, and keeps the bytes', async () => {
    p.writeStack(stack("'web-03', { role: 'web', vcpus: 1, memory: '1GiB', disks: [{ size: '10GiB', on: 'sda' }], movedFrom: 'web-02' }"));
    const plan = await p.run(['plan'], { env: env() });
    expect(plan.out).toContain('~ rename web-02 → web-03 on xen-a');
    expect(plan.out).not.toContain('restart');
    writeFileSync(record, '');
    const r = await p.run(['apply', '--auto-approve'], { env: env() });
    expect(r.code, r.err + r.out).toBe(0);
    expect(calls()).toEqual([
      'root@xen-a xl list web-02',
      'root@xen-a xl list web-03',
      'root@xen-a xl rename web-02 web-03',
      'root@xen-a ls -d -- /var/lib/hvkit/images/web-02-sda-0.img',
      'root@xen-a mv -- /var/lib/hvkit/images/web-02-sda-0.img /var/lib/hvkit/images/web-03-sda-0.img',
      'root@xen-a tee -- /etc/xen/web-03.cfg',
      'root@xen-a rm -f -- /etc/xen/web-02.cfg',
      // apply confirms the guest runs under its new name
      'root@xen-a xl list -l',
    ]);
    expect(readFileSync(inRoot('/var/lib/hvkit/images/web-03-sda-0.img'), 'utf8')).toBe('the data of web-02\n');
    const cfg = readFileSync(inRoot('/etc/xen/web-03.cfg'), 'utf8');
    expect(cfg).toContain('name = "web-03"');
    expect(cfg).toContain('/var/lib/hvkit/images/web-03-sda-0.img');
    expect((await p.run(['plan', '--detailed-exitcode'], { env: env() })).code).toBe(0);
  });
});

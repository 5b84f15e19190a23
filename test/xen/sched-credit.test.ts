import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readState, ROOT, stackSource, tempProject, type TempProject } from '../helpers/project';

/** The xen provider's set-cpu verb, against the recording ssh and xl stand-ins of test/xen/bin. */
describe('cpu cap and weight changed live on the xen provider (xl sched-credit)', () => {
  let p: TempProject;
  let record: string;
  const env = () => ({ PATH: `${join(ROOT, 'test/xen/bin')}:${process.env.PATH}`, HVKIT_XEN_RECORD: record, HVKIT_XEN_ROOT: join(p.dir, 'xen-root') });
  /** Each ssh call as `destination remote-command-line`. */
  const calls = () => readFileSync(record, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]).filter((c) => c[0] === 'ssh').map((c) => c.slice(c.indexOf('--') + 1).join(' '));
  /** xl's own argument vectors, as the stand-in received them on the host. */
  const xlArgv = () => readFileSync(record, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]).filter((c) => c[0] === 'xl');
  const domains = () => JSON.parse(readFileSync(join(p.dir, 'xen-root', 'root@xen-a', 'domains.json'), 'utf8')).domains;
  const stack = (cpu: string, power: 'running' | 'stopped' = 'running') => stackSource(`
const a = new Host(fleet, 'xen-a', { provider: 'xen', cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['4GiB', '4GiB'] }, disks: [{ name: 'sda', size: '100GiB' }] });
new Guest(a, 'web-01', { role: 'web', vcpus: 2, memory: '1GiB', power: '${power}', ${cpu} });
`);
  async function apply(cpu: string, power: 'running' | 'stopped' = 'running'): Promise<void> {
    p.writeStack(stack(cpu, power));
    const r = await p.run(['apply', '--auto-approve'], { env: env() });
    expect(r.code, r.err + r.out).toBe(0);
  }
  beforeEach(() => {
    p = tempProject();
    record = join(p.dir, 'record.jsonl');
    writeFileSync(record, '');
  });
  afterEach(() => p.cleanup());

  it('creates with cap and cpu_weight in xl.cfg, then sets a new cap and weight with xl sched-credit and rewrites the config', async () => {
    await apply('cpu: { cap: 50, weight: 512 }');
    expect(domains()['web-01']).toMatchObject({ cap: 50, weight: 512 });
    writeFileSync(record, '');

    await apply('cpu: { cap: 150, weight: 128 }');
    expect(xlArgv()).toContainEqual(['xl', 'sched-credit', '-d', 'web-01', '-c', '150', '-w', '128']);
    expect(calls()).toEqual([
      'root@xen-a xl list web-01',
      'root@xen-a xl sched-credit -d web-01 -c 150 -w 128',
      'root@xen-a tee -- /etc/xen/web-01.cfg',
    ]);
    expect(domains()['web-01']).toMatchObject({ cap: 150, weight: 128 });
    expect(readFileSync(join(p.dir, 'xen-root', 'root@xen-a', 'etc/xen/web-01.cfg'), 'utf8')).toContain('cpu_weight = 128\ncap = 150\n');
    expect(readState(p.dir).guests['web-01'].spec).toMatchObject({ cpuCap: 150, cpuWeight: 128 });
  });

  it("takes the cap off live: cap 0 and Xen's default weight 256, not just a config without them", async () => {
    await apply('cpu: { cap: 50, weight: 512 }');
    writeFileSync(record, '');
    await apply('');
    expect(xlArgv()).toContainEqual(['xl', 'sched-credit', '-d', 'web-01', '-c', '0', '-w', '256']);
    expect(domains()['web-01']).toMatchObject({ cap: 0, weight: 256 });
  });

  it('changes only the config of a stopped guest (xl forgets it; the next xl create reads the file)', async () => {
    await apply('cpu: { cap: 50 }', 'stopped');
    writeFileSync(record, '');
    await apply('cpu: { cap: 80 }', 'stopped');
    expect(xlArgv().filter((c) => c[1] === 'sched-credit')).toEqual([]);
    expect(calls()).toContain('root@xen-a tee -- /etc/xen/web-01.cfg');
  });
});

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, stackSource, tempProject, type TempProject } from '../helpers/project';

// host-a: 4 cores, so its CPU soft limit is 4 × (1 − 0.03) × 0.8 = 3.1 cores.
const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
const b = new Host(fleet, 'host-b', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 4, memory: '1GiB', load: { cpu: 1.2, iops: 100 } });
new Guest(a, 'db-01', { role: 'db', vcpus: 1, memory: '512MiB', load: { cpu: 0.5 } });
new Guest(b, 'mc-01', { role: 'memcached', vcpus: 1, memory: '512MiB' });
`);

/** Measured load in plans and reports, end to end on the local simulator: set-load, refresh, then plan. */
describe('plans and reports of a fleet whose measured load is high', () => {
  let p: TempProject;
  const setLoad = (host: string, guest: string, spec: string) => {
    const r = spawnSync(join(p.dir, 'providers/local/set-load'), [host, guest, spec], { cwd: p.dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  };

  beforeEach(async () => {
    p = tempProject();
    p.writeStack(STACK);
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
  });
  afterEach(() => p.cleanup());

  it('plans as before while no load was measured', async () => {
    const r = await p.run(['plan']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain('Measured load');
    expect(r.out).not.toMatch(/overload|measured/);
    expect(JSON.parse((await p.run(['plan', '--json'])).out).hvkit).not.toHaveProperty('measured');
  });

  it('warns that host-a is overloaded, naming the resource, both figures and the guests that take most of it', async () => {
    setLoad('host-a', 'web-01', 'cpu=3.5,iops=90');
    setLoad('host-a', 'db-01', 'cpu=0.25');
    expect((await p.run(['refresh', '--interval', '1'])).code).toBe(0);

    const r = await p.run(['plan']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Warning: \S*host-a: host-a is overloaded: measured CPU 3\.7[45] cores \(p95 of 1 sample\) crosses its soft limit of 3\.1 cores; most from web-01 3\.5 cores \(9[34]%\), db-01 0\.25 cores \([67]%\)$/m);
    expect(r.out).toMatch(/Warning: \S*web-01: web-01 measured CPU 3\.5 cores \(p95 of 1 sample\) exceeds its declared 1\.2 cores \(×2\.9\): declare what it uses/);
    // db-01 uses less than it declares and web-01's IOPS are within the factor: no warning about them.
    expect(r.out).not.toMatch(/db-01 measured|measured disk I\/O/);
    // Measured beside declared: host rows with their soft limit, guests under their host.
    expect(r.out).toContain('Measured load (p95 of the samples from');
    // Disk operations are whole counts read twice about a second apart, so a 90 IOPS
    // profile measures 90 ± 1 over the seconds between the reads, whatever the machine's load.
    expect(r.out).toMatch(/\n {2}host-a +3\.7[45] \/ 3\.1 \(1\.7\) +(?:89|9[01]) \/ 114 \(100\) +0 \/ 400 \(0\) +1\n {4}db-01 +0\.25 \(0\.5\) +0 \(0\) +0 \(0\) +1\n {4}web-01 +3\.5 \(1\.2\) +(?:89|9[01]) \(100\) +0 \(0\) +1\n/);
    // Load is not code: measuring it changes nothing.
    expect(r.out).toContain('No changes');

    const json = JSON.parse((await p.run(['plan', '--json'])).out).hvkit;
    expect(json.measured.hosts.map((h: { host: string }) => h.host)).toEqual(['host-a', 'host-b']);
    const web = json.measured.guests.find((g: { guest: string }) => g.guest === 'web-01');
    expect(web).toMatchObject({ host: 'host-a', declared: { cpu: 1.2, iops: 100, netMbps: 0 }, samples: 1 });
    expect(web.measured.cpu).toBeCloseTo(3.5, 1);
    expect(json.diagnostics.filter((d: { code: string }) => d.code === 'overload' || d.code === 'measured-over-declared').map((d: { code: string }) => d.code)).toEqual(['overload', 'measured-over-declared']);

    const md = (await p.run(['plan', '--markdown'])).out;
    expect(md).toMatch(/\| host-a \| \*\*🟡 3\.7[45] \/ 3\.1 \(1\.7\)\*\* \|/);

    expect((await p.run(['report', '--html', 'report.html'])).code).toBe(0);
    const html = readFileSync(join(p.dir, 'report.html'), 'utf8');
    expect(html).toContain('<div class="card measured">');
    expect(html).toMatch(/<td class="bad">3\.7[45] \/ 3\.1 \(1\.7\)<\/td>/);
    expect(html).toMatch(/<li>warning: host-a is overloaded: measured CPU \d/);

    // A saved plan keeps the figures (its schema knows them) and reports them too.
    expect((await p.run(['plan', '--out', 'plan.bin'])).code).toBe(0);
    expect((await p.run(['report', '--html', 'plan.html', '--plan', 'plan.bin'])).code).toBe(0);
    const planned = readFileSync(join(p.dir, 'plan.html'), 'utf8');
    expect(planned).toMatch(/<td class="bad">3\.7[45] \/ 3\.1 \(1\.7\)<\/td>/);
    expect(planned).toMatch(/<li>warning: host-a is overloaded: measured CPU \d/);
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderConfig } from '../../lib/hypervisor/render';
import type { GuestSpec } from '../../lib/manifest/types';
import { WEB_HOST_8G, manifestOf, memcached, web } from '../helpers/fleet';
import { ROOT, stackSource, tempProject, type TempProject } from '../helpers/project';
import { describeWithTool } from '../helpers/tools';

const work = mkdtempSync(join(tmpdir(), 'hvkit-xen-'));
const checker = join(work, 'xlcheck');
const build = spawnSync('gcc', ['-O1', '-o', checker, join(ROOT, 'test/xen/xlcheck.c'), '-lxlutil', '-lxenlight'], { encoding: 'utf8' });
const buildError = build.status === 0 ? undefined : `cannot build the libxlutil checker (Debian: libxen-dev, gcc): ${(build.stderr || build.error?.message || '').trim().split('\n')[0]}`;

/** What Xen's own parser reads from a config text. */
function xlParse(text: string): { ok: boolean; parsed?: Record<string, unknown>; err: string } {
  const f = join(work, `c${Math.random().toString(36).slice(2)}.cfg`);
  writeFileSync(f, text);
  const r = spawnSync(checker, [f], { encoding: 'utf8' });
  return { ok: r.status === 0, parsed: r.status === 0 ? JSON.parse(r.stdout) : undefined, err: r.stderr };
}

describeWithTool("xl configs checked by Xen's own parser (libxlutil)", 'libxlutil', !buildError, buildError ?? '', () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const xen = { ...WEB_HOST_8G, provider: 'xen' as const };
  const m = manifestOf({
    'web-host-01': { props: xen, guests: { 'web-01': web('5.5GiB'), 'memcached-01': memcached() } },
    'db-host-01': { props: { ...xen, memory: { slots: 4, maxDimm: '4GiB', dimms: ['4GiB', '4GiB', '4GiB', '4GiB'] } }, guests: { 'db-01': { role: 'db', vcpus: 2, memory: '14GiB', disks: [{ size: '200GiB', on: 'sda' }] }, 'web-03': web('1GiB') } },
    'edge-host-01': {
      props: { ...xen, storageDir: '/srv/xen.images/a_b-c' },
      guests: {
        'win-01': { role: 'desktop', vcpus: 2, maxVcpus: 4, memory: '2GiB', mode: 'hvm', disks: [{ size: '40GiB', on: 'sda' }, { size: '10GiB', on: 'sda' }], nics: [{}, { bridge: 'br-dmz.10' }], cpuWeight: 512, cpuCap: 150 },
        'pv-01': { role: 'batch', vcpus: 1, memory: '512MiB', kernel: '/boot/vmlinuz-6.1.0+deb12,x', mode: 'pv' },
        'pvh-01': { role: 'batch', vcpus: 1, memory: '512MiB', kernel: '/boot/vmlinuz', mode: 'pvh' },
      },
    },
  });
  const hostOf = (g: GuestSpec) => m.hosts.find((h) => h.name === g.host)!;

  it.each(m.guests.map((g) => [g.name, g] as const))('parses %s and reads back exactly the spec', (_n, g) => {
    const r = xlParse(renderConfig(hostOf(g), g).text);
    expect(r.err).toBe('');
    expect(r.parsed).toMatchObject({
      name: g.name, type: g.mode, uuid: g.uuid, memory: g.memoryMiB, maxmem: g.maxMemoryMiB, vcpus: g.vcpus, maxvcpus: g.maxVcpus,
      vif: g.nics.map((n) => `mac=${n.mac}, bridge=${n.bridge}`),
      disk: g.disks.map((d, i) => `format=raw, vdev=xvd${'abc'[i]}, access=rw, target=${hostOf(g).storageDir}/${g.name}-${d.on}-${i}.img`),
    });
    if (g.kernel) expect(r.parsed!.kernel).toBe(g.kernel);
    if (g.mode === 'pv' && !g.kernel) expect(r.parsed!.bootloader).toBe('pygrub');
    if (g.mode === 'hvm') expect(r.parsed).not.toHaveProperty('bootloader');
    if (g.cpuWeight) expect(r.parsed).toMatchObject({ cpu_weight: 512, cap: 150 });
  });

  it('escapes what validation would have refused: quotes, backslashes and newlines read back verbatim', () => {
    const g = m.guests.find((x) => x.name === 'pv-01')!;
    const hostile = { ...g, kernel: '/boot/a"b\\c\nkernel = "/evil"', path: 'tokyo/x\nname = "evil"' };
    const r = xlParse(renderConfig(hostOf(g), hostile).text);
    expect(r.err).toBe('');
    expect(r.parsed!.kernel).toBe(hostile.kernel);
    expect(r.parsed!.name).toBe('pv-01');
  });

  it('is a real parser: it rejects a broken config', () => {
    expect(xlParse('name = "web-01\n').ok).toBe(false);
  });
});

/**
 * Each test gets its own project and stand-in hosts, applies the fleet it
 * starts from, and then records only the calls of the change under test: the
 * tests pass in any order.
 */
describe('xen provider scripts against recording xl and ssh stand-ins', () => {
  let p: TempProject;
  let record: string;
  let root: string;
  const env = () => ({ PATH: `${join(ROOT, 'test/xen/bin')}:${process.env.PATH}`, HVKIT_XEN_RECORD: record, HVKIT_XEN_ROOT: root });
  /** The stats verb's one ssh round: CPU time from xl list, the rest from xentop. */
  const XL_STATS = (dest: string) => `${dest} sh -c 'xl list && echo --hvkit-xentop-- && xentop -b -f -i 1'`;
  /** Each ssh call as `destination remote-command-line`. */
  const calls = () => readFileSync(record, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]).filter((c) => c[0] === 'ssh').map((c) => c.slice(c.indexOf('--') + 1).join(' '));
  const HOST = (n: string) => `new Host(fleet, '${n}', { provider: 'xen', cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['4GiB', '4GiB'] }, disks: [{ name: 'sda', size: '100GiB' }] })`;
  const stack = (webMemory: string, webHost = 'a') => stackSource(`
const a = ${HOST('xen-a')};
const b = ${HOST('xen-b')};
new Guest(${webHost}, 'web-01', { role: 'web', vcpus: 1, maxVcpus: 2, memory: '${webMemory}', maxMemory: '2GiB', disks: [{ size: '10GiB', on: 'sda' }] });
new Guest(b, 'mc-01', { role: 'memcached', vcpus: 1, memory: '512MiB' });
`);
  const withoutMc = (src: string) => src.replace(/new Guest\(b, 'mc-01'.*\n/, '');

  beforeEach(() => {
    p = tempProject();
    record = join(p.dir, 'record.jsonl');
    writeFileSync(record, '');
    root = join(p.dir, 'xen-root');
  });
  afterEach(() => p.cleanup());

  /** Applies the fleet a test starts from, then forgets its calls. */
  async function startFrom(source: string): Promise<void> {
    p.writeStack(source);
    const r = await p.run(['apply', '--auto-approve'], { env: env() });
    expect(r.code, r.err + r.out).toBe(0);
    writeFileSync(record, '');
  }

  it('creates: facts, then disks, config and xl create per guest', async () => {
    p.writeStack(stack('1GiB'));
    const r = await p.run(['apply', '--auto-approve', '--parallelism', '1'], { env: env() });
    expect(r.code, r.err + r.out).toBe(0);
    expect(calls()).toEqual([
      'root@xen-a xl info',
      'root@xen-b xl info',
      'root@xen-b xl list mc-01',
      'root@xen-b tee -- /etc/xen/mc-01.cfg',
      'root@xen-b xl create /etc/xen/mc-01.cfg',
      'root@xen-a xl list web-01',
      'root@xen-a mkdir -p -- /var/lib/hvkit/images',
      'root@xen-a truncate -s 10240M -- /var/lib/hvkit/images/web-01-sda-0.img',
      'root@xen-a tee -- /etc/xen/web-01.cfg',
      'root@xen-a xl create /etc/xen/web-01.cfg',
      // apply confirms what it created with one list per host
      'root@xen-a xl list -l',
      'root@xen-b xl list -l',
    ]);
    expect(readFileSync(join(root, 'root@xen-a/etc/xen/web-01.cfg'), 'utf8')).toContain('memory = 1024\nmaxmem = 2048\n');
    expect(readFileSync(record, 'utf8')).toContain('["ssh","-o","BatchMode=yes","-o","ConnectTimeout=10","--","root@xen-a","xl create /etc/xen/web-01.cfg"]');
  });

  it('grows memory in place with mem-set within maxmem, and rewrites the config', async () => {
    await startFrom(stack('1GiB'));
    p.writeStack(stack('1.5GiB'));
    const r = await p.run(['apply', '--auto-approve'], { env: env() });
    expect(r.code, r.err + r.out).toBe(0);
    expect(calls()).toEqual(['root@xen-a xl mem-set web-01 1536m', 'root@xen-a tee -- /etc/xen/web-01.cfg']);
    expect(readFileSync(join(root, 'root@xen-a/etc/xen/web-01.cfg'), 'utf8')).toContain('memory = 1536\nmaxmem = 2048\n');
  });

  it('lists with xl list -l, reads facts with xl info and measures load with xentop on refresh', async () => {
    await startFrom(stack('1.5GiB'));
    for (const h of ['root@xen-a', 'root@xen-b']) {
      mkdirSync(join(root, h), { recursive: true });
      writeFileSync(join(root, h, 'xentop.out'), readFileSync(join(ROOT, 'test/fixtures/xen/xentop-b.txt')));
    }
    const r = await p.run(['refresh', '--interval', '0.1'], { env: env() });
    expect(r.out).toContain('No drift');
    expect(r.err).toBe('measuring load for 0.1 s on 2 hosts… (--no-stats skips, --interval sets)\n');
    // Hosts are asked in parallel: compare without their interleaving.
    expect(calls().sort()).toEqual([
      XL_STATS('root@xen-a'), XL_STATS('root@xen-a'), 'root@xen-a xl info', 'root@xen-a xl list -l',
      XL_STATS('root@xen-b'), XL_STATS('root@xen-b'), 'root@xen-b xl info', 'root@xen-b xl list -l',
    ]);
  });

  it('migrates with local disks: shut down, copy the image, create on the target, clean up the source', async () => {
    await startFrom(stack('1.5GiB'));
    p.writeStack(stack('1.5GiB', 'b'));
    const r = await p.run(['apply', '--auto-approve'], { env: env() });
    expect(r.code, r.err + r.out).toBe(0);
    expect(calls()).toEqual([
      'root@xen-a xl list web-01',
      'root@xen-a xl shutdown -w web-01',
      'root@xen-b mkdir -p -- /var/lib/hvkit/images',
      "root@xen-a scp -o 'BatchMode=yes' -o 'ConnectTimeout=10' -- /var/lib/hvkit/images/web-01-sda-0.img root@xen-b:/var/lib/hvkit/images/web-01-sda-0.img",
      'root@xen-b tee -- /etc/xen/web-01.cfg',
      'root@xen-b xl create /etc/xen/web-01.cfg',
      'root@xen-a rm -f -- /etc/xen/web-01.cfg /var/lib/hvkit/images/web-01-sda-0.img',
      'root@xen-b xl list -l',
    ]);
  });

  it('destroys with xl destroy and removes config and images', async () => {
    await startFrom(stack('1.5GiB', 'b'));
    p.writeStack(withoutMc(stack('1.5GiB', 'b')));
    const r = await p.run(['apply', '--auto-approve'], { env: env() });
    expect(r.code, r.err + r.out).toBe(0);
    expect(calls()).toEqual(['root@xen-b xl list mc-01', 'root@xen-b xl destroy mc-01', 'root@xen-b rm -f -- /etc/xen/mc-01.cfg']);
    expect(existsSync(join(root, 'root@xen-b/domains.json'))).toBe(true);
    expect(existsSync(join(root, 'root@xen-b/etc/xen/mc-01.cfg'))).toBe(false);
  });

  it('changes vCPUs in place through vcpu-set within maxvcpus', async () => {
    await startFrom(withoutMc(stack('1.5GiB', 'b')));
    p.writeStack(withoutMc(stack('1.5GiB', 'b')).replace('vcpus: 1, maxVcpus: 2', 'vcpus: 2, maxVcpus: 2'));
    const r = await p.run(['apply', '--auto-approve'], { env: env() });
    expect(r.code, r.err + r.out).toBe(0);
    expect(calls()).toEqual(['root@xen-b xl vcpu-set web-01 2', 'root@xen-b tee -- /etc/xen/web-01.cfg']);
  });
});

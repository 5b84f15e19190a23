import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { domainType, startLibvirtd, URI, virsh } from '../helpers/libvirt';
import { readState, ROOT, stackSource, tempProject, type TempProject } from '../helpers/project';
import { describeWithTool } from '../helpers/tools';

const reason = startLibvirtd();
const prefix = `it${process.pid}`;
const names = [`${prefix}-web-01`, `${prefix}-web-02`, `${prefix}-db-01`];

function stack(opts: { webMemory: string; webVcpus: number; withDb: boolean }): string {
  const host = (n: string) => `new Host(fleet, '${prefix}-h${n}', { provider: 'libvirt', address: '${URI}', tags: { 'libvirt.domain-type': '${domainType}' }, cpu: { cores: 2 }, memory: { slots: 2, maxDimm: '8GiB', dimms: ['4GiB'] }, disks: [{ name: 'sda', size: '10GiB' }] })`;
  // 64 MiB guests without disk or NIC boot in under a second, even under emulation.
  const guest = (h: string, n: string, extra: string) => `new Guest(${h}, '${n}', { role: 'web', vcpus: 1, memory: '64MiB', nics: [], ${extra} });`;
  return stackSource(`
const h1 = ${host('1')};
const h2 = ${host('2')};
${guest('h1', names[0], `memory: '${opts.webMemory}', maxMemory: '128MiB', vcpus: ${opts.webVcpus}, maxVcpus: 2`)}
${guest('h2', names[1], "maxMemory: '128MiB'")}
${opts.withDb ? guest('h2', names[2], "role: 'db'") : ''}
`);
}

function cleanup(): void {
  for (const n of names) {
    virsh('destroy', n);
    virsh('undefine', n);
  }
}

const configMemory = (n: string) => Number(/<currentMemory unit='KiB'>(\d+)</.exec(virsh('dumpxml', '--inactive', n).out)?.[1]) / 1024;

/** What the daemon itself says of its node, read with `virsh nodeinfo`. */
function nodeInfo(): { cpus: number; memoryMiB: number } {
  const out = virsh('nodeinfo').out;
  const cpus = Number(/^CPU\(s\):\s+(\d+)$/m.exec(out)?.[1]);
  const kib = Number(/^Memory size:\s+(\d+) KiB$/m.exec(out)?.[1]);
  expect(cpus, out).toBeGreaterThan(0);
  expect(kib, out).toBeGreaterThan(0);
  return { cpus, memoryMiB: Math.floor(kib / 1024) };
}

/**
 * Each test starts from its own project and a daemon without the test's
 * domains, and applies what it needs first: the tests pass in any order.
 */
describeWithTool('libvirt provider against a real libvirtd (QEMU driver)', 'libvirtd', !reason, reason ?? '', () => {
  let p: TempProject;
  beforeEach(() => {
    cleanup();
    p = tempProject();
  });
  afterEach(() => {
    cleanup();
    p?.cleanup();
  });

  const BASE = { webMemory: '64MiB', webVcpus: 1, withDb: true };
  async function applied(opts: Parameters<typeof stack>[0]): Promise<void> {
    p.writeStack(stack(opts));
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
  }

  it('creates the domains with the planned memory and vCPUs', async () => {
    await applied(BASE);
    for (const n of names) expect(virsh('domstate', n).out.trim()).toBe('running');
    const xml = virsh('dumpxml', '--inactive', names[0]).out;
    expect(xml).toContain("<memory unit='KiB'>131072</memory>");
    expect(xml).toContain("<currentMemory unit='KiB'>65536</currentMemory>");
    expect(xml).toMatch(/<vcpu placement='static' current='1'>2<\/vcpu>/);
    expect(xml).toContain("<memballoon model='virtio'>");
    expect(xml).toContain("<serial type='pty'>");
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('grows memory and vCPUs in place: same domain id, live and persistent config', async () => {
    await applied(BASE);
    const id = virsh('domid', names[0]).out.trim();
    p.writeStack(stack({ ...BASE, webMemory: '96MiB', webVcpus: 2 }));
    const plan = await p.run(['plan']);
    expect(plan.out).toContain(`update ${names[0]} on ${prefix}-h1: memory 64MiB → 96MiB, vcpus 1 → 2 while running`);
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
    expect(virsh('domid', names[0]).out.trim()).toBe(id);
    expect(configMemory(names[0])).toBe(96);
    expect(virsh('vcpucount', names[0], '--live', '--current').out.trim()).toBe('2');
    expect(virsh('vcpucount', names[0], '--config', '--current').out.trim()).toBe('2');
  });

  it('destroys a guest removed from code', async () => {
    await applied(BASE);
    await applied({ ...BASE, withDb: false });
    expect(virsh('domstate', names[2]).ok).toBe(false);
    expect(virsh('domstate', names[1]).out.trim()).toBe('running');
  });

  it('shows memory changed by hand with virsh setmem --config as drift', async () => {
    await applied(BASE);
    expect(virsh('setmem', names[1], '80M', '--config').ok).toBe(true);
    const r = await p.run(['refresh', '--no-stats']);
    expect(r.out).toContain(`! ${names[1]} on ${prefix}-h2 runs with 80MiB and 1 vCPUs; state says 64MiB and 1 (changed by hand?)`);
    const plan = await p.run(['plan']);
    expect(plan.out).toContain(`update ${names[1]} on ${prefix}-h2: memory 80MiB → 64MiB while running`);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(configMemory(names[1])).toBe(64);
  });

  it('facts answers with the node’s memory and CPUs as virsh nodeinfo reports them, in the contract’s shape', () => {
    const r = spawnSync(join(ROOT, 'providers/libvirt/facts'), [], {
      input: JSON.stringify({ fleet: 'tokyo', host: { name: `${prefix}-h1`, address: URI } }),
      encoding: 'utf8', timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    // providers/README.md: the result is one JSON object on stdout's last line.
    const answer = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(answer).toEqual({ ok: true, ...nodeInfo() });
  });

  it('refresh records the node’s memory and CPUs for each host from facts', async () => {
    p.writeStack(stack({ ...BASE, withDb: false }));
    const r = await p.run(['refresh', '--no-stats']);
    expect(r.code, r.err + r.out).toBe(0);
    const node = nodeInfo();
    // Both hosts are the same libvirtd here, so both report this one node. That daemon also runs the domains of
    // the other libvirt test files running beside this one: of ours (this file's prefix), none runs yet.
    const observed = readState(p.dir).observed.hosts as Record<string, { domains: { name: string }[] }>;
    const ours = Object.fromEntries(Object.entries(observed).map(([h, o]) => [h, { ...o, domains: o.domains.filter((d) => d.name.startsWith(`${prefix}-`)) }]));
    expect(ours).toEqual({
      [`${prefix}-h1`]: { reachable: true, ...node, domains: [] },
      [`${prefix}-h2`]: { reachable: true, ...node, domains: [] },
    });
  });
});

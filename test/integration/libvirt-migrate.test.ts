import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { domainType } from '../helpers/libvirt';
import { imagesOf, pairUnavailable, startLibvirtPair, STORAGE_DIR, STORAGE_MIB, type LibvirtNode, type LibvirtPair } from '../helpers/libvirt-pair';
import { readState, stackSource, tempProject, type TempProject } from '../helpers/project';
import { describeWithTool } from '../helpers/tools';

const reason = pairUnavailable();
const prefix = `mg${process.pid}`;
const HOST_A = `${prefix}-a`;
const HOST_B = `${prefix}-b`;
const DISK_MIB = 64;
/** The known bytes: 1 MiB that is not one repeated byte, so a copy that misplaces blocks changes the checksum. */
const PATTERN = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 131 + (i >> 9)) & 0xff));
const volume = (guest: string) => `${guest}-sda-0.qcow2`;

function stack(pair: LibvirtPair, guest: string, on: 'a' | 'b'): string {
  const host = (n: LibvirtNode, name: string) =>
    `new Host(fleet, '${name}', { provider: 'libvirt', address: '${n.uri}', storageDir: '${STORAGE_DIR}', tags: { 'libvirt.domain-type': '${domainType}' }, cpu: { cores: 2 }, memory: { slots: 2, maxDimm: '8GiB', dimms: ['4GiB'] }, disks: [{ name: 'sda', size: '10GiB' }] })`;
  return stackSource(`
const ha = ${host(pair.nodes[0], HOST_A)};
const hb = ${host(pair.nodes[1], HOST_B)};
new Guest(${on === 'a' ? 'ha' : 'hb'}, '${guest}', { role: 'web', vcpus: 1, memory: '64MiB', nics: [], disks: [{ size: '${DISK_MIB}MiB', on: 'sda' }] });
`);
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  if (r.status !== 0 || /fail/i.test(out)) throw new Error(`${cmd} ${args.join(' ')}: ${out}`);
  return out;
}

/** SHA-256 of an image's first MiB, read through QEMU's block layer (`-U`: the running domain holds the image). */
function checksum(image: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hvkit-mig-'));
  try {
    run('qemu-img', ['convert', '-U', '-f', 'qcow2', '-O', 'raw', image, join(dir, 'raw')]);
    return createHash('sha256').update(readFileSync(join(dir, 'raw')).subarray(0, PATTERN.length)).digest('hex');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describeWithTool('live migration with local disks between two real libvirt daemons', 'two namespaced libvirtd', !reason, reason ?? '', () => {
  let pair: LibvirtPair;
  let a: LibvirtNode;
  let b: LibvirtNode;
  let p: TempProject;
  const patternDir = mkdtempSync(join(tmpdir(), 'hvkit-mig-pattern-'));
  const patternFile = join(patternDir, 'pattern');
  writeFileSync(patternFile, PATTERN);
  const want = createHash('sha256').update(PATTERN).digest('hex');

  beforeAll(() => {
    pair = startLibvirtPair();
    [a, b] = pair.nodes;
  });
  afterAll(() => {
    pair?.stop();
    rmSync(patternDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    p = tempProject();
  });
  afterEach(() => {
    for (const n of pair?.nodes ?? []) {
      for (const d of n.virsh('list', '--all', '--name').out.split('\n').map((s) => s.trim()).filter(Boolean)) {
        n.virsh('destroy', d);
        n.virsh('undefine', d, '--remove-all-storage');
      }
      for (const f of existsSync(n.images) ? imagesOf(n) : []) rmSync(join(n.images, f), { force: true });
    }
    p?.cleanup();
  });

  /** The guest created on A by `hvkit apply`, with the known bytes at the start of its disk, running. */
  async function guestOnA(guest: string): Promise<void> {
    p.writeStack(stack(pair, guest, 'a'));
    const created = await p.run(['apply', '--auto-approve']);
    expect(created.code, created.err + created.out).toBe(0);
    // Written while the domain is off: QEMU locks an image it runs on.
    expect(a.virsh('destroy', guest).ok).toBe(true);
    run('qemu-io', ['-f', 'qcow2', '-c', `write -s ${patternFile} 0 ${PATTERN.length}`, join(a.images, volume(guest))]);
    expect(a.virsh('start', guest).ok).toBe(true);
    expect(checksum(join(a.images, volume(guest)))).toBe(want);
  }

  it('moves a running guest from A to B with its disk copied: runs on B, gone from A (definition and image), same bytes, state and parent say B, re-plan empty', { timeout: 240_000 }, async () => {
    const guest = `${prefix}-web-01`;
    await guestOnA(guest);
    const domid = a.virsh('domid', guest).out.trim();
    expect(domid).toMatch(/^\d+$/);

    p.writeStack(stack(pair, guest, 'b'));
    const plan = await p.run(['plan']);
    expect(plan.code, plan.err + plan.out).toBe(0);
    expect(plan.out).toMatch(new RegExp(`migrate[^\\n]*${guest}[^\\n]*${HOST_A}[^\\n]*${HOST_B}`));
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);

    expect(b.virsh('domstate', guest).out.trim()).toBe('running');
    // Persistent on B (--persistent), not just a transient domain that would vanish on shutdown.
    expect(b.virsh('dominfo', guest).out).toMatch(/^Persistent:\s+yes$/m);
    expect(a.virsh('domstate', guest).ok).toBe(false);
    expect(imagesOf(a)).toEqual([]);
    expect(imagesOf(b)).toEqual([volume(guest)]);
    expect(b.virsh('dumpxml', guest).out).toContain(`<source file='${STORAGE_DIR}/${volume(guest)}'`);
    expect(checksum(join(b.images, volume(guest)))).toBe(want);

    expect(readState(p.dir).guests[guest].spec.host).toBe(HOST_B);
    expect(await p.run(['parent', guest])).toMatchObject({ code: 0, out: `${guest}: ${HOST_B}\n` });
    const again = await p.run(['plan', '--detailed-exitcode']);
    expect(again.code, again.out).toBe(0);
  });

  it('leaves the guest running on A when B has no room for its disk, says why in one line, and the same plan succeeds once there is room', { timeout: 240_000 }, async () => {
    const guest = `${prefix}-web-02`;
    await guestOnA(guest);
    // libvirt preallocates the copy's full size on the target: leave B less than the disk's size free.
    const ballast = join(b.images, 'ballast');
    writeFileSync(ballast, Buffer.alloc((STORAGE_MIB - DISK_MIB / 2) << 20));

    p.writeStack(stack(pair, guest, 'b'));
    const failed = await p.run(['apply', '--auto-approve']);
    expect(failed.code).not.toBe(0);
    const line = (failed.err + failed.out).split('\n').find((l) => l.includes(`migrating ${guest} from ${HOST_A} to ${HOST_B} failed`));
    expect(line, failed.err + failed.out).toBeDefined();
    expect(line).toContain(`it still runs on ${HOST_A}`);
    expect(line).toContain('No space left on device');

    expect(a.virsh('domstate', guest).out.trim()).toBe('running');
    expect(a.virsh('dominfo', guest).out).toMatch(/^Persistent:\s+yes$/m);
    expect(checksum(join(a.images, volume(guest)))).toBe(want);
    expect(b.virsh('domstate', guest).ok).toBe(false);
    expect(imagesOf(b)).toEqual(['ballast']);
    expect(readState(p.dir).guests[guest].spec.host).toBe(HOST_A);
    expect(await p.run(['parent', guest])).toMatchObject({ code: 0, out: `${guest}: ${HOST_A} (moving to ${HOST_B} in code)\n` });

    rmSync(ballast);
    const plan = await p.run(['plan']);
    expect(plan.out).toMatch(new RegExp(`migrate[^\\n]*${guest}[^\\n]*${HOST_A}[^\\n]*${HOST_B}`));
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
    expect(b.virsh('domstate', guest).out.trim()).toBe('running');
    expect(a.virsh('domstate', guest).ok).toBe(false);
    expect(imagesOf(a)).toEqual([]);
    expect(checksum(join(b.images, volume(guest)))).toBe(want);
    expect(readState(p.dir).guests[guest].spec.host).toBe(HOST_B);
  });
});

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { domainType } from '../helpers/libvirt';
import { imagesOf, pairUnavailable, startLibvirtPair, STORAGE_DIR, STORAGE_MIB, type LibvirtNode, type LibvirtPair } from '../helpers/libvirt-pair';
import { readState, ROOT, stackSource, tempProject, type TempProject } from '../helpers/project';
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

/** SHA-256 of a whole disk as the guest sees it, read through QEMU's block layer (`-U`: the running domain holds the image). */
function checksum(image: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hvkit-mig-'));
  try {
    run('qemu-img', ['convert', '-U', '-f', 'qcow2', '-O', 'raw', image, join(dir, 'raw')]);
    return createHash('sha256').update(readFileSync(join(dir, 'raw'))).digest('hex');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describeWithTool('live migration with local disks between two real libvirt daemons', 'two libvirt daemons in network namespaces', !reason, reason ?? '', () => {
  let pair: LibvirtPair;
  let a: LibvirtNode;
  let b: LibvirtNode;
  let p: TempProject;
  const patternDir = mkdtempSync(join(tmpdir(), 'hvkit-mig-pattern-'));
  const patternFile = join(patternDir, 'pattern');
  writeFileSync(patternFile, PATTERN);
  // The disk as written: the known bytes, then zeros.
  const want = createHash('sha256').update(PATTERN).update(Buffer.alloc((DISK_MIB << 20) - PATTERN.length)).digest('hex');

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

  it('refuses while B already has a domain of that name, leaving the guest running on A; once it is gone, replaces the image a cut-short migration left on B', { timeout: 240_000 }, async () => {
    const guest = `${prefix}-web-03`;
    await guestOnA(guest);
    // Someone else's domain of the same name on B (only defined: its disk need not exist).
    const dir = mkdtempSync(join(tmpdir(), 'hvkit-mig-xml-'));
    writeFileSync(join(dir, 'd.xml'), a.virsh('dumpxml', '--inactive', guest).out);
    expect(b.virsh('define', join(dir, 'd.xml')).ok).toBe(true);
    rmSync(dir, { recursive: true, force: true });

    p.writeStack(stack(pair, guest, 'b'));
    const refused = await p.run(['apply', '--auto-approve']);
    expect(refused.code).not.toBe(0);
    expect(refused.err + refused.out).toContain(`cannot migrate ${guest} to ${HOST_B}: a domain of that name is already defined there; remove it there first`);
    expect(a.virsh('domstate', guest).out.trim()).toBe('running');
    expect(checksum(join(a.images, volume(guest)))).toBe(want);
    expect(b.virsh('domstate', guest).out.trim()).toBe('shut off');
    expect(readState(p.dir).guests[guest].spec.host).toBe(HOST_A);

    // The clash goes; what is left on B is an image of the guest's name with other bytes and another size.
    expect(b.virsh('undefine', guest).ok).toBe(true);
    const stale = join(b.images, volume(guest));
    run('qemu-img', ['create', '-f', 'qcow2', stale, '32M']);
    run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xcd 0 4M', stale]);
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
    expect(b.virsh('domstate', guest).out.trim()).toBe('running');
    expect(imagesOf(a)).toEqual([]);
    expect(checksum(stale)).toBe(want);
  });

  it('counts a guest already on B and gone from A as migrated (its answer lost) and removes the image A kept', { timeout: 240_000 }, async () => {
    const guest = `${prefix}-web-04`;
    await guestOnA(guest);
    // The migration done by hand, as if hvkit had been killed after virsh returned; libvirt leaves A's image.
    if (!b.virsh('pool-info', 'hvkit').ok) {
      expect(b.virsh('pool-define-as', 'hvkit', 'dir', '--target', STORAGE_DIR).ok).toBe(true);
      expect(b.virsh('pool-start', 'hvkit').ok).toBe(true);
    }
    const moved = a.virsh('migrate', '--live', '--persistent', '--undefinesource', '--copy-storage-all', '--domain', guest, '--desturi', b.uri);
    expect(moved.ok, moved.err).toBe(true);
    expect(imagesOf(a)).toEqual([volume(guest)]);

    const host = (n: LibvirtNode, name: string) => ({ name, address: n.uri, storageDir: STORAGE_DIR });
    const r = spawnSync(join(ROOT, 'providers', 'libvirt', 'migrate'), [], {
      input: JSON.stringify({ fleet: 'tokyo', host: host(a, HOST_A), target: host(b, HOST_B), guest: { name: guest, disks: [{ on: 'sda', sizeMiB: DISK_MIB }] } }),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${guest} is already on ${HOST_B} and gone from ${HOST_A}; not migrating again`);
    expect(imagesOf(a)).toEqual([]);
    expect(b.virsh('domstate', guest).out.trim()).toBe('running');
    expect(checksum(join(b.images, volume(guest)))).toBe(want);
  });

  it('refuses to migrate a guest whose volume the plan names is not on A, in one line, leaving it running on A with its disk', { timeout: 240_000 }, async () => {
    const guest = `${prefix}-web-08`;
    await guestOnA(guest);
    const host = (n: LibvirtNode, name: string) => ({ name, address: n.uri, storageDir: STORAGE_DIR });
    // A plan that disagrees with the domain (its disk on sdb, the domain's on sda): migrating anyway would leave the real image behind.
    const r = spawnSync(join(ROOT, 'providers', 'libvirt', 'migrate'), [], {
      input: JSON.stringify({ fleet: 'tokyo', host: host(a, HOST_A), target: host(b, HOST_B), guest: { name: guest, disks: [{ on: 'sdb', sizeMiB: DISK_MIB }] } }),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`cannot migrate ${guest} from ${HOST_A} to ${HOST_B}: no volume ${guest}-sdb-0.qcow2 in pool hvkit on ${HOST_A} to move; nothing was moved`);
    expect(a.virsh('domstate', guest).out.trim()).toBe('running');
    expect(b.virsh('domstate', guest).ok).toBe(false);
    expect(checksum(join(a.images, volume(guest)))).toBe(want);
  });

  /** Guests `names` with a disk each, all on the host `on`. */
  function guestsOn(on: LibvirtNode, names: string[]): string {
    return stack(pair, names[0], on === a ? 'a' : 'b').replace(/new Guest\([^\n]*\n/, (line) => names.map((n) => line.replace(names[0], n)).join(''));
  }
  const pool = (n: LibvirtNode) => n.virsh('pool-info', 'hvkit');

  it('defines, starts and autostarts the disk pool on a host without one, also for two guests created there at once', { timeout: 240_000 }, async () => {
    a.virsh('pool-destroy', 'hvkit');
    a.virsh('pool-undefine', 'hvkit');
    expect(pool(a).ok).toBe(false);
    const guests = [`${prefix}-web-05`, `${prefix}-web-06`];
    p.writeStack(guestsOn(a, guests));
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
    for (const g of guests) expect(a.virsh('domstate', g).out.trim()).toBe('running');
    expect(pool(a).out).toMatch(/^State:\s+running$/m);
    expect(pool(a).out).toMatch(/^Autostart:\s+yes$/m);
  });

  it('starts the disk pool a restarted daemon left defined but stopped, instead of failing the create on an inactive pool', { timeout: 240_000 }, async () => {
    if (!pool(b).ok) expect(b.virsh('pool-define-as', 'hvkit', 'dir', '--target', STORAGE_DIR).ok).toBe(true);
    b.virsh('pool-destroy', 'hvkit');
    expect(pool(b).out).toMatch(/^State:\s+inactive$/m);
    const guest = `${prefix}-web-07`;
    p.writeStack(stack(pair, guest, 'b'));
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
    expect(b.virsh('domstate', guest).out.trim()).toBe('running');
    expect(pool(b).out).toMatch(/^State:\s+running$/m);
    expect(imagesOf(b)).toEqual([volume(guest)]);
  });
});

describe('libvirt migrate verb: what it refuses before touching either host', () => {
  it('refuses hosts with different storageDirs for a guest with disks (its disk paths move unchanged), without running virsh', () => {
    const r = spawnSync(join(ROOT, 'providers', 'libvirt', 'migrate'), [], {
      input: JSON.stringify({
        fleet: 'tokyo',
        host: { name: 'kvm-01', address: 'qemu+tcp://kvm-01/system', storageDir: '/srv/images' },
        target: { name: 'kvm-02', address: 'qemu+tcp://kvm-02/system', storageDir: '/var/lib/hvkit/images' },
        guest: { name: 'web-01', disks: [{ on: 'sda', sizeMiB: 64 }] },
      }),
      encoding: 'utf8',
      // A virsh that would fail loudly: the refusal must come first.
      env: { ...process.env, HVKIT_VIRSH: '/bin/false' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('cannot migrate web-01 with its disks from kvm-01 (storageDir /srv/images) to kvm-02 (storageDir /var/lib/hvkit/images): live migration keeps disk paths, so both hosts need the same storageDir');
    expect(r.stderr).not.toContain('$ virsh');
  });
});

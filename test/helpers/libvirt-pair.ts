import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './project';
import { commandWorks } from './tools';

/**
 * Two libvirt daemons on this one machine, each a "host" of its own for a
 * live migration: its own network namespace and address on a private bridge
 * (reachable from each other and from the test process), its own
 * /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/log/libvirt and guest
 * storage folder (a private mount namespace, see libvirt-node.sh), and
 * listening on `qemu+tcp://ADDR/system` without authentication — on this
 * test-only network.
 */
export interface LibvirtPair {
  nodes: [LibvirtNode, LibvirtNode];
  /** Kills both daemons and their QEMUs, removes the namespaces, bridge, mounts and folders. Safe to call twice. */
  stop(): void;
}

export interface LibvirtNode {
  name: 'a' | 'b';
  address: string;
  uri: string;
  /** Where this node's guest storage folder (`STORAGE_DIR` inside its namespace) lives, seen from the test. */
  images: string;
  netns: string;
  virsh(...args: string[]): { ok: boolean; out: string; err: string };
}

/** The guests' storage folder as both daemons see it (each its own behind a bind mount): hosts in code use it as storageDir. */
export const STORAGE_DIR = '/var/lib/hvkit/pair-images';
/** Each node's storage is a tmpfs of this size, so a test can fill it ("no room on the target"). */
export const STORAGE_MIB = 160;

const PREFIX = 'hvkit-pair-';
const NODE_SCRIPT = join(ROOT, 'test', 'helpers', 'libvirt-node.sh');
const WAIT_MS = 30_000;
const CAPS_CACHE = '/var/cache/libvirt/qemu/capabilities';

function sh(cmd: string, args: string[], timeout = 30_000): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout });
  return { ok: r.status === 0, out: r.stdout ?? '', err: r.stderr ?? (r.error?.message ?? '') };
}

function must(cmd: string, args: string[]): string {
  const r = sh(cmd, args);
  if (!r.ok) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.err || r.out).trim()}`);
  return r.out;
}

/** A bounded poll: `cond` until it holds or `ms` pass (each try is a real command; spawnSync sleep keeps vitest's worker simple). */
function waitUntil(cond: () => boolean, ms: number): boolean {
  const until = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > until) return false;
    spawnSync('sleep', ['0.2']);
  }
}

/** Why this machine cannot run two namespaced daemons, or undefined. */
export function pairUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network and mount namespaces need root';
  for (const [tool, args, pkg] of [
    ['ip', ['-V'], 'iproute2'],
    ['unshare', ['--version'], 'util-linux'],
    ['libvirtd', ['--version'], 'libvirt-daemon libvirt-daemon-driver-qemu'],
    ['virsh', ['--version'], 'libvirt-clients'],
    ['qemu-system-x86_64', ['--version'], 'qemu-system-x86'],
    ['qemu-img', ['--version'], 'qemu-utils'],
    ['qemu-io', ['--version'], 'qemu-utils'],
  ] as const) {
    if (!commandWorks(tool, [...args])) return `${tool} is not installed (Debian: ${pkg})`;
  }
  const probe = `hvkit-probe-${process.pid}`;
  const added = sh('ip', ['netns', 'add', probe]);
  if (!added.ok) return `cannot create a network namespace: ${added.err.trim()}`;
  sh('ip', ['netns', 'del', probe]);
  return undefined;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Leftovers of a pair whose test process died without teardown (its pid is in every name). */
function sweepStale(): void {
  for (const ns of sh('ip', ['netns', 'list']).out.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(PREFIX))) {
    const pid = Number(/^hvkit-pair-(\d+)-/.exec(ns)?.[1]);
    if (pid && !alive(pid)) teardownNetns(ns);
  }
  for (const link of sh('ip', ['-o', 'link', 'show']).out.split('\n').map((l) => /^\d+: (hvp\d+br)[:@]/.exec(l)?.[1]).filter((l): l is string => !!l)) {
    if (!alive(Number(link.slice(3, -2)))) sh('ip', ['link', 'del', link]);
  }
  for (const dir of readdirSync('/tmp').filter((d) => d.startsWith(PREFIX))) {
    const pid = Number(/^hvkit-pair-(\d+)-/.exec(dir)?.[1]);
    if (!pid || alive(pid)) continue;
    for (const n of ['a', 'b']) sh('umount', [join('/tmp', dir, n, 'images')]);
    rmSync(join('/tmp', dir), { recursive: true, force: true });
  }
}

/** Kills every process in a network namespace (a daemon and its QEMUs), waits until none is left, deletes it. */
function teardownNetns(ns: string): void {
  const pids = () => sh('ip', ['netns', 'pids', ns]).out.split('\n').map(Number).filter((n) => n > 0);
  for (const pid of pids()) spawnSync('kill', ['-KILL', String(pid)]);
  waitUntil(() => pids().length === 0, 10_000);
  sh('ip', ['netns', 'del', ns]);
}

/** 10.77.X with X from the pid, or the next X no interface of this machine has an address in yet. */
function freeSubnet(id: number): string {
  const used = sh('ip', ['-o', '-4', 'addr', 'show']).out;
  for (let k = 0; k < 250; k++) {
    const subnet = `10.77.${(id + k) % 250}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.77.X.0/24 subnet for the libvirt pair');
}

/**
 * Starts the pair and waits until both answer `virsh version` over TCP.
 * Throws with the daemon's log when one does not; whatever was set up is torn down first.
 */
export function startLibvirtPair(): LibvirtPair {
  sweepStale();
  const id = process.pid;
  const subnet = freeSubnet(id);
  const bridge = `hvp${id}br`;
  const base = mkdtempSync(join('/tmp', `${PREFIX}${id}-`));
  const nodes: LibvirtNode[] = [];
  const children: number[] = [];
  let stopped = false;

  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const n of nodes) teardownNetns(n.netns);
    for (const pid of children) if (alive(pid)) spawnSync('kill', ['-KILL', String(pid)]);
    sh('ip', ['link', 'del', bridge]);
    for (const n of nodes) sh('umount', [n.images]);
    rmSync(base, { recursive: true, force: true });
  };

  try {
    must('ip', ['link', 'add', bridge, 'type', 'bridge']);
    must('ip', ['addr', 'add', `${subnet}.254/24`, 'dev', bridge]);
    must('ip', ['link', 'set', bridge, 'up']);
    mkdirSync(STORAGE_DIR, { recursive: true });

    (['a', 'b'] as const).forEach((name, i) => {
      const address = `${subnet}.${i + 1}`;
      const netns = `${PREFIX}${id}-${name}`;
      const root = join(base, name);
      const images = join(root, 'images');
      const uri = `qemu+tcp://${address}/system`;
      const node: LibvirtNode = {
        name, address, uri, images, netns,
        virsh: (...args) => sh('virsh', ['-c', uri, ...args], 120_000),
      };
      nodes.push(node);

      must('ip', ['netns', 'add', netns]);
      const veth = `hvp${id}v${name}`;
      must('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      must('ip', ['link', 'set', veth, 'master', bridge, 'up']);
      must('ip', ['-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      must('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
      must('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);

      for (const d of ['etc', 'run', 'lib', 'log', 'cache', 'images']) mkdirSync(join(root, d), { recursive: true });
      // QEMU's capabilities, as the machine's own libvirtd probed them: without them each daemon probes every
      // QEMU binary (~10 s here). libvirt checks each file against the binaries, kernel and CPU and probes again if stale.
      if (existsSync(CAPS_CACHE)) cpSync(CAPS_CACHE, join(root, 'cache', 'qemu', 'capabilities'), { recursive: true });
      must('mount', ['-t', 'tmpfs', '-o', `size=${STORAGE_MIB}m,mode=0711`, 'tmpfs', images]);
      // Both daemons run on one machine: distinct host UUIDs, or libvirt refuses "migrating to the same host".
      const hostUuid = createHash('sha256').update(`hvkit-pair-${id}-${name}`).digest('hex').slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
      writeFileSync(join(root, 'etc', 'libvirtd.conf'), [
        'listen_tls = 0',
        'listen_tcp = 1',
        `listen_addr = "${address}"`,
        'auth_tcp = "none"',
        'auth_unix_rw = "none"',
        `host_uuid = "${hostUuid}"`,
        `log_outputs = "3:file:${join(root, 'libvirtd.log')}"`,
        '',
      ].join('\n'));
      writeFileSync(join(root, 'etc', 'qemu.conf'), [
        'user = "root"',
        'group = "root"',
        'security_driver = "none"',
        // No virtlogd per namespace: QEMU writes its log file itself.
        'stdio_handler = "file"',
        // Both daemons share the machine's hostname; the source's QEMU must reach this node's address instead.
        `migration_address = "${address}"`,
        `migration_host = "${address}"`,
        '',
      ].join('\n'));

      const log = openSync(join(root, 'daemon.out'), 'a');
      const child = spawn('ip', ['netns', 'exec', netns, 'unshare', '--mount', '--propagation', 'private', '--', NODE_SCRIPT, root, STORAGE_DIR], { stdio: ['ignore', log, log], detached: true });
      closeSync(log);
      child.unref();
      if (child.pid) children.push(child.pid);
    });

    for (const [i, n] of nodes.entries()) {
      const up = waitUntil(() => !alive(children[i]) || n.virsh('version').ok, WAIT_MS);
      if (!up || !n.virsh('version').ok) {
        const root = join(base, n.name);
        const tail = ['daemon.out', 'libvirtd.log'].map((f) => (existsSync(join(root, f)) ? readFileSync(join(root, f), 'utf8').split('\n').slice(-15).join('\n') : '')).join('\n');
        throw new Error(`libvirtd ${n.name} at ${n.uri} did not answer within ${WAIT_MS / 1000} s:\n${tail}`);
      }
    }
  } catch (e) {
    stop();
    throw e;
  }
  return { nodes: nodes as [LibvirtNode, LibvirtNode], stop };
}

/** Files in a node's storage folder, sorted. */
export function imagesOf(node: LibvirtNode): string[] {
  return readdirSync(node.images).sort();
}

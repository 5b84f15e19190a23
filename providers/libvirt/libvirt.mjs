// The libvirt provider: every verb through `virsh --connect=<host address>` (a libvirt
// URI: qemu+ssh://root@host/system in production, qemu:///system in tests),
// always with an argument vector. See README.md beside this file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderError, log, run } from '../lib/contract.mjs';
import { libvirtUri, safeName, safePath } from '../lib/checks.mjs';
import { statsAnswer } from '../lib/stats.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function virsh(host, args, { allowFail = false } = {}) {
  // `--connect=URI` keeps the URI one token even if it were to start with '-'; it is checked against an allow-list anyway.
  const argv = [`--connect=${libvirtUri(host.address, `the address of ${host.name}`)}`, ...args];
  log(`$ virsh ${argv.join(' ')}`);
  const r = spawnSync(process.env.HVKIT_VIRSH ?? 'virsh', argv, { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw new ProviderError(`cannot run virsh: ${r.error.message}`);
  if (r.status !== 0 && !allowFail) throw new ProviderError(`virsh ${args[0]} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`, r.status ?? 1);
  return { ok: r.status === 0, out: r.stdout, err: r.stderr };
}

const kib = (xml, tag) => {
  const m = new RegExp(`<${tag} unit='(\\w+)'>(\\d+)</${tag}>`).exec(xml);
  if (!m) return undefined;
  const n = Number(m[2]);
  return Math.round(m[1] === 'KiB' ? n / 1024 : m[1] === 'MiB' ? n : m[1] === 'GiB' ? n * 1024 : n / 1048576);
};

/** A domain as its persistent config has it (what it boots with), and whether it runs. */
function describe(host, name) {
  const xml = virsh(host, ['dumpxml', '--inactive', name]).out;
  const tag = /<vcpu([^>]*)>(\d+)<\/vcpu>/.exec(xml);
  const current = tag ? /current='(\d+)'/.exec(tag[1])?.[1] : undefined;
  const state = virsh(host, ['domstate', name]).out.trim();
  const maxMemoryMiB = kib(xml, 'memory');
  return {
    name,
    memoryMiB: kib(xml, 'currentMemory') ?? maxMemoryMiB,
    maxMemoryMiB,
    vcpus: Number(current ?? tag?.[2]),
    maxVcpus: Number(tag?.[2]),
    running: state === 'running',
  };
}

/** `--live --config` on a running domain, `--config` alone on a stopped one (virsh refuses --live there). */
function liveAndConfig(host, name) {
  return [...(virsh(host, ['domstate', name]).out.trim() === 'running' ? ['--live'] : []), '--config'];
}

/** As render.ts: Xen weight × 4 is libvirt shares; a cap in % of one CPU is µs of quota per 100 ms period. */
const SHARES_PER_WEIGHT = 4;
const DEFAULT_SHARES = 1024;
const PERIOD_US = 100_000;
const BYTES_PER_MB = 1_000_000;

export function schedinfoSets(guest) {
  const whole = (v, what) => {
    if (v !== null && v !== undefined && (!Number.isInteger(v) || v < 0)) throw new ProviderError(`${guest.name}: ${what} ${JSON.stringify(v)} is not a whole number`, 5);
    return v ?? null;
  };
  const weight = whole(guest.cpuWeight, 'cpu weight');
  const cap = whole(guest.cpuCap, 'cpu cap');
  // -1 is the cgroup's "no quota": taking a cap off has to say so, or the old quota stays.
  const quota = cap === null || cap === 0 ? -1 : (cap * PERIOD_US) / 100;
  return ['--set', `cpu_shares=${weight === null ? DEFAULT_SHARES : weight * SHARES_PER_WEIGHT}`, '--set', `global_period=${PERIOD_US}`, '--set', `global_quota=${quota}`];
}

/** The guest's n-th disk as render.ts names it in the domain: vda, vdb, … */
const diskTarget = (i) => `vd${String.fromCharCode(97 + i)}`;

function limit(v, scale) {
  if (v === undefined || v === null) return '0';
  if (!Number.isInteger(v) || v < 1) throw new ProviderError(`disk limit ${JSON.stringify(v)} is not a whole number ≥ 1`, 5);
  return String(v * scale);
}

function exists(host, name) {
  return virsh(host, ['domstate', name], { allowFail: true }).ok;
}

function withConfigFile(input, fn) {
  const dir = mkdtempSync(join(tmpdir(), 'hvkit-libvirt-'));
  const file = join(dir, `${input.guest.name}.xml`);
  try {
    writeFileSync(file, input.config.text);
    return fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const POOL = 'hvkit';
/** A guest disk's volume in the pool: the file lib/hypervisor/render.ts names in the domain XML. */
const volumeOf = (guest, d, i) => `${guest.name}-${d.on}-${i}.qcow2`;
const hasVolume = (host, vol) => virsh(host, ['vol-info', '--pool', POOL, vol], { allowFail: true }).ok;
const lastLine = (text) => text.trim().split('\n').filter(Boolean).pop() ?? '';

/** The source's copies of a migrated guest's disks: the guest runs from the target's now. */
function removeVolumes(host, vols) {
  if (!vols.length) return;
  virsh(host, ['pool-refresh', POOL], { allowFail: true });
  for (const vol of vols) {
    if (!hasVolume(host, vol)) continue;
    const r = virsh(host, ['vol-delete', '--pool', POOL, vol], { allowFail: true });
    if (!r.ok) log(`warning: ${vol} stays on ${host.name} (the guest runs from its copy on the target): ${lastLine(r.err)}`);
  }
}

/** 'running', 'inactive', … of the pool, or null when the host has no such pool. */
function poolState(host, pool) {
  const r = virsh(host, ['pool-info', pool], { allowFail: true });
  return r.ok ? (/^State:\s*(\S+)/m.exec(r.out)?.[1] ?? 'unknown') : null;
}

/**
 * The directory pool at the host's storageDir that holds guest disks, defined
 * and started on first use. Two hvkit runs (or steps) on one host may get here
 * at once, and a pool may be defined but stopped (libvirtd restarted without
 * autostart): each step is taken only when still needed, and a step that
 * fails because the other run took it first is no failure.
 */
function ensurePool(host) {
  const pool = POOL;
  if (poolState(host, pool) === 'running') return;
  if (poolState(host, pool) === null) {
    const defined = virsh(host, ['pool-define-as', pool, 'dir', '--target', safePath(host.storageDir, `the storageDir of ${host.name}`)], { allowFail: true });
    if (!defined.ok && poolState(host, pool) === null) throw new ProviderError(`cannot define the storage pool ${pool} on ${host.name}: ${lastLine(defined.err || defined.out)}`);
    virsh(host, ['pool-autostart', pool], { allowFail: true });
  }
  if (poolState(host, pool) === 'running') return;
  virsh(host, ['pool-build', pool], { allowFail: true });
  const started = virsh(host, ['pool-start', pool], { allowFail: true });
  if (!started.ok && poolState(host, pool) !== 'running') throw new ProviderError(`cannot start the storage pool ${pool} on ${host.name}: ${lastLine(started.err || started.out)}`);
}

/**
 * Guest disks live in a directory pool at the host's storageDir, created on
 * first use. Returns the volumes this call created (not those already there),
 * so a create that fails can take back what it made and nothing else.
 */
function ensureDisks(host, guest) {
  if (!guest.disks.length) return [];
  const pool = POOL;
  ensurePool(host);
  const created = [];
  guest.disks.forEach((d, i) => {
    const vol = volumeOf(guest, d, i);
    if (hasVolume(host, vol)) {
      virsh(host, ['vol-resize', '--pool', pool, vol, `${d.sizeMiB}M`], { allowFail: true });
    } else {
      virsh(host, ['vol-create-as', pool, vol, `${d.sizeMiB}M`, '--format', 'qcow2']);
      created.push(vol);
    }
  });
  return created;
}

/**
 * Takes back what a failed create made: the definition when it was new, and
 * the volumes it created; what was there before stays. Best effort: the
 * create's own error is what the caller reports, with anything left named.
 */
function undoCreate(host, guest, definedHere, vols) {
  const left = [];
  if (definedHere && exists(host, guest.name)) {
    virsh(host, ['destroy', guest.name], { allowFail: true });
    if (!virsh(host, ['undefine', guest.name], { allowFail: true }).ok) left.push(`domain ${guest.name}`);
  }
  for (const vol of vols) {
    if (hasVolume(host, vol) && !virsh(host, ['vol-delete', '--pool', POOL, vol], { allowFail: true }).ok) left.push(`volume ${vol}`);
  }
  return left;
}

/**
 * A clean shutdown (ACPI), forced off once `graceMs` passes; `force` powers
 * off at once. `virsh destroy` is libvirt's name for pulling the plug: the
 * domain and its disks stay defined.
 */
async function stop(host, name, { force = false, graceMs } = {}) {
  if (!exists(host, name) || virsh(host, ['domstate', name]).out.trim() !== 'running') return;
  if (force) {
    virsh(host, ['destroy', name]);
    return;
  }
  virsh(host, ['shutdown', name], { allowFail: true });
  const grace = Number(graceMs ?? process.env.HVKIT_LIBVIRT_SHUTDOWN_GRACE_MS ?? 60_000);
  const until = Date.now() + grace;
  while (Date.now() < until) {
    if (virsh(host, ['domstate', name]).out.trim() !== 'running') return;
    await sleep(500);
  }
  log(`${name} did not shut down within ${grace} ms; forcing it off`);
  virsh(host, ['destroy', name], { allowFail: true });
}

/**
 * `virsh domstats` output (`Domain: 'NAME'` then indented `key=value` lines)
 * as counters per domain: cpu.time (ns), block.N.rd/wr.reqs and .bytes,
 * net.N.rx/tx.bytes summed over devices, and memory in use — what the guest
 * reports using (balloon.available − balloon.unused) when its balloon driver
 * tells, else what QEMU holds (balloon.rss), else its balloon size.
 */
export function parseDomstats(text) {
  const domains = [];
  let cur;
  for (const line of text.split('\n')) {
    const head = /^Domain: '(.*)'\s*$/.exec(line);
    if (head) {
      cur = { name: head[1], f: new Map() };
      domains.push(cur);
      continue;
    }
    const kv = /^\s+([\w.]+)=(.*)$/.exec(line);
    if (cur && kv) cur.f.set(kv[1], kv[2]);
  }
  return domains.map(({ name, f }) => {
    const num = (k) => (f.has(k) ? Number(f.get(k)) : undefined);
    const sum = (prefix, suffix) => {
      let total = 0;
      for (let i = 0; i < (num(`${prefix}.count`) ?? 0); i++) total += num(`${prefix}.${i}.${suffix}`) ?? 0;
      return total;
    };
    const kib = num('balloon.available') !== undefined && num('balloon.unused') !== undefined
      ? num('balloon.available') - num('balloon.unused')
      : num('balloon.rss') ?? num('balloon.current');
    return {
      name,
      cpuSeconds: (num('cpu.time') ?? 0) / 1e9,
      diskReadOps: sum('block', 'rd.reqs'),
      diskWriteOps: sum('block', 'wr.reqs'),
      diskReadBytes: sum('block', 'rd.bytes'),
      diskWriteBytes: sum('block', 'wr.bytes'),
      netRxBytes: sum('net', 'rx.bytes'),
      netTxBytes: sum('net', 'tx.bytes'),
      ...(kib !== undefined ? { memoryUsedMiB: Math.round(kib / 1024) } : {}),
    };
  });
}

const verbs = {
  facts: (input) => {
    const r = virsh(input.host, ['nodeinfo'], { allowFail: true });
    // virsh says "failed to connect" with status 1; the contract's 255 tells hvkit the host is out of reach, not broken.
    if (!r.ok && /failed to connect to the hypervisor/.test(r.err)) throw new ProviderError(`cannot reach ${input.host.name}: ${r.err.trim().split('\n').pop()}`, 255);
    if (!r.ok) throw new ProviderError(`virsh nodeinfo failed on ${input.host.name}: ${(r.err || r.out).trim()}`);
    const out = r.out;
    const cpus = Number(/^CPU\(s\):\s+(\d+)/m.exec(out)?.[1]);
    const memKiB = Number(/^Memory size:\s+(\d+) KiB/m.exec(out)?.[1]);
    return { cpus, memoryMiB: Math.floor(memKiB / 1024) };
  },
  list: (input) => {
    const names = virsh(input.host, ['list', '--all', '--name']).out.split('\n').map((s) => s.trim()).filter(Boolean).sort();
    return { domains: names.map((n) => describe(input.host, n)) };
  },
  create: (input) => {
    const { host, guest } = input;
    if (exists(host, guest.name) && virsh(host, ['domstate', guest.name]).out.trim() === 'running') {
      throw new ProviderError(`domain ${guest.name} already runs on ${host.name}`, 4);
    }
    const definedHere = !exists(host, guest.name);
    const vols = [];
    try {
      vols.push(...ensureDisks(host, guest));
      withConfigFile(input, (file) => virsh(host, ['define', file]));
      virsh(host, ['start', guest.name]);
    } catch (e) {
      // A domain that never ran leaves nothing behind: no shut-off definition, no orphaned image.
      const left = undoCreate(host, guest, definedHere, vols);
      if (left.length) log(`warning: could not remove ${left.join(', ')} from ${host.name} after the failed create`);
      throw e;
    }
    return { domain: guest.name };
  },
  destroy: (input) => {
    const { host, guest } = input;
    if (!exists(host, guest.name)) {
      log(`${guest.name} is already gone from ${host.name}`);
      return {};
    }
    virsh(host, ['destroy', guest.name], { allowFail: true });
    virsh(host, ['undefine', guest.name, ...(guest.disks.length ? ['--remove-all-storage'] : [])]);
    return {};
  },
  start: (input) => {
    virsh(input.host, ['start', input.guest.name]);
    return {};
  },
  stop: async (input) => {
    await stop(input.host, input.guest.name, { force: input.force === true, graceMs: Number.isFinite(input.graceMs) ? input.graceMs : undefined });
    return {};
  },
  // `virsh reset` is a hard reset (no guest cooperation); `virsh reboot` asks the guest.
  reboot: (input) => {
    virsh(input.host, [input.force === true ? 'reset' : 'reboot', input.guest.name]);
    return {};
  },
  console: (input) => ({
    command: ['virsh', `--connect=${libvirtUri(input.host.address, `the address of ${input.host.name}`)}`, 'console', '--domain', input.guest.name],
  }),
  'set-memory': (input) => {
    const { host, guest } = input;
    const d = describe(host, guest.name);
    if (input.memoryMiB > d.maxMemoryMiB) throw new ProviderError(`${guest.name}: ${input.memoryMiB} MiB is above its maximum ${d.maxMemoryMiB} MiB`, 5);
    virsh(host, ['setmem', guest.name, `${input.memoryMiB}M`, ...(d.running ? ['--live'] : []), '--config']);
    return {};
  },
  'set-vcpus': (input) => {
    const { host, guest } = input;
    const d = describe(host, guest.name);
    if (input.vcpus > d.maxVcpus) throw new ProviderError(`${guest.name}: ${input.vcpus} vCPUs is above its maximum ${d.maxVcpus}`, 5);
    virsh(host, ['setvcpus', guest.name, String(input.vcpus), ...(d.running ? ['--live'] : []), '--config']);
    return {};
  },
  // Cap and weight as <cputune> renders them (lib/hypervisor/render.ts): the cap as the whole domain's
  // global quota, weight × 4 as shares. None is set back to libvirt's defaults (no quota, 1024 shares).
  'set-cpu': (input) => {
    const { host, guest } = input;
    virsh(host, ['schedinfo', guest.name, ...liveAndConfig(host, guest.name), ...schedinfoSets(guest)]);
    return {};
  },
  // Read + write totals per disk; 0 is libvirt's "no limit".
  'set-disk-io': (input) => {
    const { host, guest } = input;
    const flags = liveAndConfig(host, guest.name);
    for (const i of input.disks ?? guest.disks.map((_d, i) => i)) {
      const d = guest.disks[i];
      if (!d) throw new ProviderError(`${guest.name} has no disk ${JSON.stringify(i)}`, 5);
      virsh(host, ['blkdeviotune', guest.name, diskTarget(i), ...flags, '--total-iops-sec', limit(d.iops, 1), '--total-bytes-sec', limit(d.mbps, BYTES_PER_MB)]);
    }
    return {};
  },
  migrate: (input) => {
    const { host, guest, target } = input;
    const dest = libvirtUri(target.address, `the address of ${target.name}`);
    const vols = guest.disks.map((d, i) => volumeOf(guest, d, i));
    // The disk images are copied into the same path on the target (the domain XML moves unchanged), so both hosts need one storageDir.
    if (vols.length && target.storageDir !== host.storageDir) throw new ProviderError(`cannot migrate ${guest.name} with its disks from ${host.name} (storageDir ${host.storageDir}) to ${target.name} (storageDir ${target.storageDir}): live migration keeps disk paths, so both hosts need the same storageDir`, 2);
    const onSource = exists(host, guest.name);
    const onTarget = exists(target, guest.name);
    // A migration whose answer was lost (hvkit killed after virsh returned): done, but the source disks may be left.
    if (!onSource && onTarget) {
      log(`${guest.name} is already on ${target.name} and gone from ${host.name}; not migrating again`);
      removeVolumes(host, vols);
      return {};
    }
    if (!onSource) throw new ProviderError(`no domain ${guest.name} on ${host.name} to migrate to ${target.name}`, 2);
    if (onTarget) throw new ProviderError(`cannot migrate ${guest.name} to ${target.name}: a domain of that name is already defined there; remove it there first`, 4);
    if (vols.length) {
      // The volumes are the guest's disks as the plan has them: one missing on the source means the plan and the
      // domain disagree, and migrating anyway would record disks nothing holds and leave the real one behind.
      virsh(host, ['pool-refresh', POOL], { allowFail: true });
      const missing = vols.filter((vol) => !hasVolume(host, vol));
      if (missing.length) throw new ProviderError(`cannot migrate ${guest.name} from ${host.name} to ${target.name}: no volume ${missing.join(', ')} in pool ${POOL} on ${host.name} to move; nothing was moved (run \`hvkit refresh\` and plan again)`, 2);
      // libvirt creates each target image in the pool whose folder holds it (falloc-preallocated to its full size), so the pool must exist there.
      ensurePool(target);
      virsh(target, ['pool-refresh', POOL], { allowFail: true });
      for (const vol of vols) {
        // No domain of this name on the target, so an image of its name there is what a migration cut short left; the source still holds the disk.
        if (hasVolume(target, vol)) {
          log(`removing ${vol} from ${target.name}: left by an earlier migration that did not finish; ${host.name} still holds the disk`);
          virsh(target, ['vol-delete', '--pool', POOL, vol]);
        }
      }
    }
    // No shared storage: --copy-storage-all copies every disk over NBD while the guest runs; --persistent --undefinesource moves the definition too.
    const r = virsh(host, ['migrate', '--live', '--persistent', '--undefinesource', ...(vols.length ? ['--copy-storage-all'] : []), '--verbose', '--domain', guest.name, '--desturi', dest], { allowFail: true });
    if (!r.ok) {
      const why = lastLine(r.err || r.out).replace(/^error:\s*/, '');
      const state = virsh(host, ['domstate', guest.name], { allowFail: true });
      const where = !state.ok ? `check where it is with \`hvkit refresh\`` : state.out.trim() === 'running' ? `it still runs on ${host.name}` : `it is still on ${host.name} (${state.out.trim()})`;
      throw new ProviderError(`migrating ${guest.name} from ${host.name} to ${target.name} failed, ${where}: ${why}`, r.status ?? 1);
    }
    removeVolumes(host, vols);
    return {};
  },
  // Running domains only: a shut-off domain has no counters. domstats has no timestamp of its own:
  // the middle of the call stands for the moment of the read.
  stats: (input) => {
    const before = Date.now();
    const out = virsh(input.host, ['domstats', '--list-running', '--cpu-total', '--balloon', '--block', '--interface']).out;
    return statsAnswer(Math.round((before + Date.now()) / 2), parseDomstats(out));
  },
  rename: async (input) => {
    const { host, guest, from } = input;
    const hasOld = exists(host, from.name);
    if (!hasOld && !exists(host, guest.name)) throw new ProviderError(`no domain ${from.name} (or ${guest.name}) on ${host.name}`, 2);
    if (hasOld && exists(host, guest.name)) throw new ProviderError(`${guest.name} already exists on ${host.name}`, 4);
    const wasRunning = hasOld && virsh(host, ['domstate', from.name]).out.trim() === 'running';
    // domrename takes only an inactive domain.
    if (hasOld) await stop(host, from.name);
    // A volume cannot be renamed through libvirt: each is cloned to its new name, and the old one deleted
    // only once the domain points at the clone. Until then the old volume is the one that counts: a
    // clone left by a rename cut short before domrename is made again; after domrename every clone was whole.
    const moves = from.disks.map((d, i) => [volumeOf(from, d, i), volumeOf(guest, d, i)]);
    for (const [a, b] of moves) {
      if (!hasVolume(host, a)) continue;
      if (hasVolume(host, b)) {
        if (!hasOld) continue;
        virsh(host, ['vol-delete', '--pool', POOL, b]);
      }
      virsh(host, ['vol-clone', '--pool', POOL, a, b]);
    }
    if (hasOld) virsh(host, ['domrename', from.name, guest.name]);
    // The XML create would write for the new name: its disks are the clones.
    withConfigFile(input, (file) => virsh(host, ['define', file]));
    for (const [a] of moves) if (hasVolume(host, a)) virsh(host, ['vol-delete', '--pool', POOL, a]);
    if (wasRunning) virsh(host, ['start', guest.name]);
    log(`renamed ${from.name} → ${guest.name} on ${host.name}${wasRunning ? ' (shut down for it, started again)' : ''}`);
    return { domain: guest.name };
  },
};

export function main(verb) {
  return run(verb, async (input) => {
    for (const k of ['host', 'guest', 'target', 'from']) if (input[k] !== undefined) safeName(input[k]?.name, `${k} name`);
    return verbs[verb](input);
  });
}

// The local provider: a simulated hypervisor. Each host is a folder (its
// `address`, by default .hvkit/local/<fleet>/<host>) holding host.json
// (installed memory, threads and disks, as a person built the machine) and one
// <guest>.json per domain. Guest disks are image files <guest>-<hostdisk>-<n>.img
// in the folder beside it, <address>.disks (empty until a test writes to one:
// the simulator keeps their bytes across rename and migrate, and removes them
// on destroy). It enforces the host's memory like a real
// hypervisor: a guest that does not fit fails.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProviderError, log, run } from '../lib/contract.mjs';
import { statsAnswer } from '../lib/stats.mjs';
import { countersAt, nowMs, restarted, settleHost } from './load.mjs';

/** The fleet of the call being served (input.fleet): host folders belong to one fleet. */
let currentFleet;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Fault injection for tests: HVKIT_LOCAL_FAULTS (JSON list) or HVKIT_LOCAL_FAULTS_FILE.
 * Each entry may match on verb, guest and host, then: delayMs (sleep), gate (a
 * file path: write <gate>.reached, wait for <gate>.release), hang (never
 * return; withChild also leaves a grandchild), fail (exit code) with message.
 */
function faults() {
  const text = process.env.HVKIT_LOCAL_FAULTS_FILE && existsSync(process.env.HVKIT_LOCAL_FAULTS_FILE)
    ? readFileSync(process.env.HVKIT_LOCAL_FAULTS_FILE, 'utf8')
    : process.env.HVKIT_LOCAL_FAULTS;
  if (!text) return [];
  const list = JSON.parse(text);
  return Array.isArray(list) ? list : [];
}

async function injectFaults(verb, input) {
  for (const f of faults()) {
    if (f.verb && f.verb !== verb) continue;
    if (f.guest && f.guest !== input.guest?.name) continue;
    if (f.host && f.host !== input.host?.name) continue;
    if (f.delayMs) {
      log(`fault injection: ${verb} sleeps ${f.delayMs} ms`);
      await sleep(f.delayMs);
    }
    if (f.gate) {
      // A test holds the script here, at a point it knows, for as long as it needs:
      // it sees <gate>.reached, does its work, then creates <gate>.release.
      // The step timeout still bounds the wait.
      writeFileSync(`${f.gate}.reached`, `${process.pid}\n`);
      log(`fault injection: ${verb} waits at gate ${f.gate}`);
      while (!existsSync(`${f.gate}.release`)) await sleep(20);
    }
    if (f.hang) {
      if (f.withChild) {
        // A grandchild in the same process group: a timeout must take it down too.
        const child = spawn('sleep', ['600'], { stdio: 'ignore' });
        log(`fault injection: child pid ${child.pid}`);
      }
      log(`fault injection: ${verb} hangs`);
      await new Promise(() => setInterval(() => {}, 1 << 30));
    }
    if (f.fail) throw new ProviderError(f.message ?? `fault injection: ${verb} fails for ${input.guest?.name ?? input.host?.name}`, typeof f.fail === 'number' ? f.fail : 1);
  }
}

function hostDir(host) {
  if (!host?.address) throw new ProviderError('input has no host address');
  adoptLegacyFolder(host);
  return host.address;
}

/**
 * Hosts were once kept at .hvkit/local/<host>, shared by every fleet. The first
 * time the fleet that racked such a host asks for it at its fleet-scoped
 * address, the folder moves there, domains and all, so state recorded with the
 * old address keeps finding its guests. A folder another fleet claimed stays.
 */
function adoptLegacyFolder(host) {
  const fleet = currentFleet;
  if (!fleet || host.address !== join('.hvkit', 'local', fleet, host.name) || existsSync(host.address)) return;
  const legacy = join('.hvkit', 'local', host.name);
  const file = join(legacy, 'host.json');
  if (!existsSync(file)) return;
  const m = JSON.parse(readFileSync(file, 'utf8'));
  if (m.fleet !== undefined && m.fleet !== fleet) return;
  mkdirSync(join('.hvkit', 'local', fleet), { recursive: true });
  try {
    renameSync(legacy, host.address);
    writeJson(join(host.address, 'host.json'), { ...m, fleet });
    log(`moved ${legacy} to ${host.address} (host folders are kept per fleet now)`);
  } catch (e) {
    // Another step on the same host moved it first.
    if (!existsSync(host.address)) throw e;
  }
}

function writeJson(file, value) {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, file);
}

/** The simulated machine; built as code describes it the first time anyone asks. */
function machine(host) {
  const dir = hostDir(host);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'host.json');
  if (!existsSync(file)) {
    writeJson(file, {
      name: host.name, fleet: currentFleet, memoryMiB: host.memory.totalMiB, cpus: host.cpu.threads, threads: host.cpu.threads,
      disks: (host.disks ?? []).map((d) => ({ name: d.name, sizeMiB: d.sizeMiB })),
    });
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

function domains(host) {
  const dir = hostDir(host);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'host.json')
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
}

function domainFile(host, name) {
  return join(hostDir(host), `${name}.json`);
}

/**
 * The simulated serial console: the last lines a guest "printed", kept in its
 * domain file (the host folder holds only host.json and domains), shown by
 * `hvkit console` through the console-log helper beside this file.
 */
function said(d, line) {
  return { ...d, console: [...(Array.isArray(d.console) ? d.console : []), `[${d.name}] ${line}`].slice(-200) };
}

function requireDomain(host, name) {
  const d = findDomain(host, name);
  if (!d) throw new ProviderError(`no domain ${name} on ${host.name}`, 2);
  return d;
}

/**
 * The images of a guest's disks, as create makes them: beside the host folder, not in it, so the host
 * folder holds only host.json and domains (a `.disks` suffix cannot be a host name, which is a DNS label).
 */
function diskFiles(host, guest) {
  const dir = `${hostDir(host)}.disks`;
  return (guest.disks ?? []).map((d, i) => join(dir, `${guest.name}-${d.on}-${i}.img`));
}

/**
 * A host's disk folder goes with its last image: a simulator emptied by destroy leaves only host folders.
 * Steps on one host run in parallel, so another destroy may remove the folder, or a create fill it,
 * between a check and the rmdir: the rmdir itself is the check.
 */
function removeIfEmpty(dir) {
  try {
    rmdirSync(dir);
  } catch (e) {
    if (e.code !== 'ENOENT' && e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
  }
}

/** Puts an image at `f` with `put`; a parallel destroy may remove the empty folder between mkdir and put. */
function intoDisks(f, put) {
  for (let attempt = 0; ; attempt++) {
    mkdirSync(dirname(f), { recursive: true });
    try {
      return put();
    } catch (e) {
      if (e.code !== 'ENOENT' || existsSync(dirname(f)) || attempt >= 5) throw e;
    }
  }
}

function findDomain(host, name) {
  const f = domainFile(host, name);
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined;
}

/** Refuses memory the host does not have, as Xen or QEMU would. */
function checkMemory(host, name, memoryMiB) {
  const m = machine(host);
  const others = domains(host).filter((d) => d.name !== name && d.running).reduce((a, d) => a + d.memoryMiB, 0);
  const free = m.memoryMiB - host.reserve.memoryMiB - others;
  if (memoryMiB > free) throw new ProviderError(`not enough memory on ${host.name}: ${name} needs ${memoryMiB} MiB, ${free} MiB free of ${m.memoryMiB} MiB installed`, 3);
}

function domainOf(input, running = true) {
  const g = input.guest;
  return { name: g.name, uuid: g.uuid, memoryMiB: g.memoryMiB, maxMemoryMiB: g.maxMemoryMiB, vcpus: g.vcpus, maxVcpus: g.maxVcpus, running, ...cpuOf(g), ...iotuneOf(g), config: input.config?.text ?? '' };
}

/** The scheduler settings the simulated hypervisor enforces; keys only when set, as a domain without them had none. */
function cpuOf(g) {
  return { ...(g.cpuCap != null && g.cpuCap > 0 ? { cpuCap: g.cpuCap } : {}), ...(g.cpuWeight != null ? { cpuWeight: g.cpuWeight } : {}) };
}

/** The disks' I/O limits, by disk index; none when no disk has one. */
function iotuneOf(g) {
  const list = (g.disks ?? []).flatMap((d, disk) => (d.iops !== undefined || d.mbps !== undefined ? [{ disk, iops: d.iops ?? null, mbps: d.mbps ?? null }] : []));
  return list.length ? { iotune: list } : {};
}

const verbs = {
  facts: (input) => {
    const m = machine(input.host);
    // Machines racked before threads and disks were recorded report what they have.
    return { memoryMiB: m.memoryMiB, cpus: m.cpus, threads: m.threads ?? m.cpus, ...(Array.isArray(m.disks) ? { disks: m.disks } : {}) };
  },
  list: (input) => ({
    domains: domains(input.host).map((d) => ({ name: d.name, memoryMiB: d.memoryMiB, maxMemoryMiB: d.maxMemoryMiB, vcpus: d.vcpus, maxVcpus: d.maxVcpus, running: d.running })),
  }),
  create: (input) => {
    const existing = findDomain(input.host, input.guest.name);
    if (existing?.running) throw new ProviderError(`domain ${input.guest.name} already runs on ${input.host.name}`, 4);
    checkMemory(input.host, input.guest.name, input.guest.memoryMiB);
    // Appending nothing makes an empty image and keeps one that is there.
    for (const f of diskFiles(input.host, input.guest)) intoDisks(f, () => writeFileSync(f, '', { flag: 'a' }));
    writeJson(domainFile(input.host, input.guest.name), said({ ...domainOf(input), console: existing?.console }, 'booted'));
    log(`${existing ? 'redefined and started' : 'created'} ${input.guest.name} on ${input.host.name}`);
    return { domain: input.guest.name };
  },
  destroy: (input) => {
    const f = domainFile(input.host, input.guest.name);
    if (!existsSync(f)) log(`${input.guest.name} is already gone from ${input.host.name}`);
    rmSync(f, { force: true });
    for (const img of diskFiles(input.host, input.guest)) rmSync(img, { force: true });
    removeIfEmpty(`${hostDir(input.host)}.disks`);
    return {};
  },
  start: (input) => {
    const d = requireDomain(input.host, input.guest.name);
    if (!d.running) checkMemory(input.host, d.name, d.memoryMiB);
    writeJson(domainFile(input.host, d.name), d.running ? d : said({ ...d, running: true }, 'booted'));
    return {};
  },
  // A simulated guest always obeys a clean shutdown at once; `force` (hard power-off) is the same here.
  stop: (input) => {
    const d = requireDomain(input.host, input.guest.name);
    writeJson(domainFile(input.host, d.name), d.running ? said({ ...d, running: false }, input.force ? 'powered off (forced)' : 'shut down') : d);
    return {};
  },
  reboot: (input) => {
    const d = requireDomain(input.host, input.guest.name);
    if (!d.running) throw new ProviderError(`${d.name} is not running on ${input.host.name}: start it instead`, 6);
    writeJson(domainFile(input.host, d.name), said({ ...d, boots: (d.boots ?? 1) + 1 }, input.force ? 'reset (forced)' : 'rebooted'));
    return {};
  },
  // The simulator has no interactive console: its console is the log of what the guest did, printed by tail.
  console: (input) => {
    requireDomain(input.host, input.guest.name);
    return { command: [join(dirname(fileURLToPath(import.meta.url)), 'console-log'), domainFile(input.host, input.guest.name)] };
  },
  'set-memory': (input) => {
    const d = findDomain(input.host, input.guest.name);
    if (!d) throw new ProviderError(`no domain ${input.guest.name} on ${input.host.name}`, 2);
    if (input.memoryMiB > d.maxMemoryMiB) throw new ProviderError(`${d.name}: ${input.memoryMiB} MiB is above its maxmem ${d.maxMemoryMiB} MiB`, 5);
    // Ballooning down never needs free memory; only growth is checked.
    if (d.running && input.memoryMiB > d.memoryMiB) checkMemory(input.host, d.name, input.memoryMiB);
    writeJson(domainFile(input.host, d.name), { ...d, memoryMiB: input.memoryMiB, config: input.config?.text ?? d.config });
    return {};
  },
  'set-vcpus': (input) => {
    const d = findDomain(input.host, input.guest.name);
    if (!d) throw new ProviderError(`no domain ${input.guest.name} on ${input.host.name}`, 2);
    if (input.vcpus > d.maxVcpus) throw new ProviderError(`${d.name}: ${input.vcpus} vCPUs is above its maxvcpus ${d.maxVcpus}`, 5);
    writeJson(domainFile(input.host, d.name), { ...d, vcpus: input.vcpus, config: input.config?.text ?? d.config });
    return {};
  },
  // Like `xl sched-credit`: on a running domain at once, and in its config either way.
  'set-cpu': (input) => {
    const d = findDomain(input.host, input.guest.name);
    if (!d) throw new ProviderError(`no domain ${input.guest.name} on ${input.host.name}`, 2);
    const { cpuCap: _cap, cpuWeight: _weight, ...rest } = d;
    writeJson(domainFile(input.host, d.name), { ...rest, ...cpuOf(input.guest), config: input.config?.text ?? d.config });
    return {};
  },
  'set-disk-io': (input) => {
    const d = findDomain(input.host, input.guest.name);
    if (!d) throw new ProviderError(`no domain ${input.guest.name} on ${input.host.name}`, 2);
    const { iotune: _iotune, ...rest } = d;
    writeJson(domainFile(input.host, d.name), { ...rest, ...iotuneOf(input.guest), config: input.config?.text ?? d.config });
    return {};
  },
  migrate: (input) => {
    const d = findDomain(input.host, input.guest.name);
    if (!d) throw new ProviderError(`no domain ${input.guest.name} on ${input.host.name}`, 2);
    if (findDomain(input.target, d.name)) throw new ProviderError(`${d.name} already exists on ${input.target.name}`, 4);
    checkMemory(input.target, d.name, input.guest.memoryMiB);
    // Local disks, no shared storage: the image goes with the domain.
    const from = diskFiles(input.host, input.guest);
    const to = diskFiles(input.target, input.guest);
    // An image already on the target was moved by a migration cut short; one on neither host was never where
    // the guest says: moving the domain without it would leave the guest on an empty disk, so nothing moves.
    const missing = from.filter((f, i) => !existsSync(f) && !existsSync(to[i]));
    if (missing.length) throw new ProviderError(`cannot migrate ${d.name} from ${input.host.name} to ${input.target.name}: its disk image ${missing.map((f) => basename(f)).join(', ')} is on neither host, so it would run on an empty disk; nothing was moved (run \`hvkit refresh\` and plan again)`, 2);
    to.forEach((t, i) => {
      if (existsSync(from[i])) intoDisks(t, () => renameSync(from[i], t));
    });
    removeIfEmpty(`${hostDir(input.host)}.disks`);
    // The guest's work goes with it; on the target it is a new process, so its counters start again.
    const load = restarted(d.load, now(input));
    writeJson(domainFile(input.target, d.name), { ...domainOf(input), console: d.console, ...(load ? { load } : {}) });
    rmSync(domainFile(input.host, d.name), { force: true });
    log(`migrated ${d.name} ${input.host.name} → ${input.target.name} (disk copied)`);
    return {};
  },
  // Counters of the running domains: a simulated guest advances them at the rates of its load profile.
  stats: (input) => {
    const ms = now(input);
    return statsAnswer(ms, domains(input.host).filter((d) => d.running).map((d) => ({ name: d.name, ...countersAt(d, ms) })));
  },
  rename: (input) => {
    const { host, guest, from } = input;
    const old = findDomain(host, from.name);
    if (!old) {
      // Run again after it finished: the domain already has its new name.
      if (findDomain(host, guest.name)) return { domain: guest.name };
      throw new ProviderError(`no domain ${from.name} on ${host.name}`, 2);
    }
    const taken = findDomain(host, guest.name);
    // The same domain under both names: a rename cut short between its two writes, finished here.
    if (taken && taken.uuid !== old.uuid) throw new ProviderError(`${guest.name} already exists on ${host.name}`, 4);
    const images = diskFiles(host, from);
    diskFiles(host, guest).forEach((to, i) => existsSync(images[i]) && renameSync(images[i], to));
    // The domain file last: its new name is what says the rename is done.
    writeJson(domainFile(host, guest.name), { ...old, name: guest.name, config: input.config?.text ?? old.config });
    rmSync(domainFile(host, from.name), { force: true });
    log(`renamed ${from.name} → ${guest.name} on ${host.name} (disks kept)`);
    return { domain: guest.name };
  },
};

/** The simulator's clock: the input's `now`, else HVKIT_LOCAL_NOW, else the real one moved by HVKIT_LOCAL_CLOCK_OFFSET_MS (load.mjs). */
function now(input) {
  try {
    return nowMs(input.now ?? process.env.HVKIT_LOCAL_NOW);
  } catch (e) {
    throw new ProviderError(`the simulator's clock: ${e.message}`);
  }
}

/** Verbs that change what a host's guests can use. */
const SETTLES = new Set(['create', 'destroy', 'start', 'stop', 'reboot', 'set-memory', 'set-vcpus', 'set-cpu', 'set-disk-io', 'migrate']);

export function main(verb) {
  return run(verb, async (input) => {
    currentFleet = typeof input.fleet === 'string' && /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(input.fleet) ? input.fleet : undefined;
    await injectFaults(verb, input);
    const out = await verbs[verb](input);
    // What a guest can use changed (its cap, vCPUs, limits, or which guests run): counters go on at the new rates.
    if (SETTLES.has(verb)) for (const h of [input.host, input.target]) if (h?.address) settleHost(hostDir(h), now(input));
    return out;
  });
}

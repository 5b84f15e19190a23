// The xen provider: xl on the host over ssh (the host's address is the ssh
// destination, root@host by default). ssh joins its remote arguments into one
// line that the host's shell parses, so every remote word is single-quoted
// (remoteCommand), every value is checked against an allow-list first, and
// the destination comes after `--` so it can never be read as an option.
import { spawnSync } from 'node:child_process';
import { ProviderError, log, run } from '../lib/contract.mjs';
import { remoteCommand, safeName, safePath, sshTarget } from '../lib/checks.mjs';
import { statsAnswer } from '../lib/stats.mjs';

const SSH_OPTS = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10'];

function ssh(host, words, { input, allowFail = false } = {}) {
  const { dest, port } = sshTarget(host.address, `the address of ${host.name}`);
  const argv = [...SSH_OPTS, ...(port ? ['-p', String(port)] : []), '--', dest, remoteCommand(words)];
  log(`$ ssh ${argv.join(' ')}`);
  const r = spawnSync(process.env.HVKIT_SSH ?? 'ssh', argv, { encoding: 'utf8', input, timeout: 600_000 });
  if (r.error) throw new ProviderError(`cannot run ssh: ${r.error.message}`);
  if (r.status !== 0 && !allowFail) throw new ProviderError(`${words.join(' ')} on ${host.name} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`, r.status ?? 1);
  return { ok: r.status === 0, out: r.stdout ?? '', err: r.stderr ?? '' };
}

const cfgPath = (guest) => `/etc/xen/${safeName(guest.name, 'guest name')}.cfg`;
const storageDir = (host) => safePath(host.storageDir, `the storageDir of ${host.name}`);
const diskPaths = (host, guest) => guest.disks.map((d, i) => safePath(`${storageDir(host)}/${safeName(guest.name, 'guest name')}-${d.on}-${i}.img`, 'disk image path'));

function running(host, name) {
  return ssh(host, ['xl', 'list', name], { allowFail: true }).ok;
}

function writeConfig(host, input) {
  ssh(host, ['tee', '--', cfgPath(input.guest)], { input: input.config.text });
}

function domainsOf(host) {
  const out = ssh(host, ['xl', 'list', '-l']).out.trim();
  const list = out ? JSON.parse(out) : [];
  return list
    .filter((d) => d.domid !== 0)
    .map((d) => {
      const b = d.config?.b_info ?? {};
      return {
        name: d.config?.c_info?.name,
        memoryMiB: Math.round((b.target_memkb ?? 0) / 1024),
        maxMemoryMiB: Math.round((b.max_memkb ?? 0) / 1024),
        vcpus: Array.isArray(b.avail_vcpus) ? b.avail_vcpus.length : b.max_vcpus,
        maxVcpus: b.max_vcpus,
        running: true,
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * The last table of `xentop -b` output as counters per domain (Domain-0 left
 * out): CPU(sec), VBD_RD/VBD_WR operations, VBD_RSECT/VBD_WSECT 512-byte
 * sectors, NETRX(k)/NETTX(k) kB, MEM(k) the memory the domain has now.
 * Columns are found by the header's names, counted from the right (a name may
 * hold spaces); MAXMEM(k) may read `no limit`.
 */
export function parseXentop(text) {
  const lines = text.split('\n');
  const at = lines.findLastIndex((l) => /^\s*NAME\s+STATE\s/.test(l));
  if (at < 0) throw new ProviderError('xentop printed no table (no NAME STATE … header)');
  const header = lines[at].trim().split(/\s+/);
  const col = (name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new ProviderError(`xentop's table has no ${name} column`);
    return i;
  };
  const cols = { cpu: col('CPU(sec)'), mem: col('MEM(k)'), tx: col('NETTX(k)'), rx: col('NETRX(k)'), rd: col('VBD_RD'), wr: col('VBD_WR'), rsect: col('VBD_RSECT'), wsect: col('VBD_WSECT') };
  const guests = [];
  for (const line of lines.slice(at + 1)) {
    if (!line.trim()) continue;
    if (/^\s*NAME\s+STATE\s/.test(line) || /^xentop\b/.test(line)) break;
    // Columns are read from the right: xl allows spaces in a domain's name, so the name is whatever words are left.
    const raw = line.trim().split(/\s+/);
    const words = new Array(header.length);
    let j = raw.length - 1;
    for (let i = header.length - 1; i >= 1 && j >= 1; i--) {
      const noLimit = raw[j] === 'limit' && raw[j - 1] === 'no' && j >= 2;
      words[i] = noLimit ? 'no limit' : raw[j];
      j -= noLimit ? 2 : 1;
    }
    if (words[1] === undefined || j < 0) throw new ProviderError(`xentop row has fewer columns than its header's ${header.length}: ${line.trim()}`);
    const name = raw.slice(0, j + 1).join(' ');
    words[0] = name;
    if (name === 'Domain-0') continue;
    const n = (i) => {
      const v = Number(words[i]);
      if (!Number.isFinite(v)) throw new ProviderError(`xentop's ${header[i]} of ${name} is not a number: ${words[i]}`);
      return v;
    };
    guests.push({
      name,
      cpuSeconds: n(cols.cpu),
      diskReadOps: n(cols.rd),
      diskWriteOps: n(cols.wr),
      diskReadBytes: n(cols.rsect) * 512,
      diskWriteBytes: n(cols.wsect) * 512,
      netRxBytes: n(cols.rx) * 1024,
      netTxBytes: n(cols.tx) * 1024,
      memoryUsedMiB: Math.round(n(cols.mem) / 1024),
    });
  }
  return guests;
}

const XENTOP_MARK = '--hvkit-xentop--';

/**
 * `xl list` as CPU seconds per domain (Domain-0 left out), from its Time(s)
 * column (0.1 s resolution). Read from the right, as a name may hold spaces.
 */
export function parseXlList(text) {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^Name\s+ID\s+Mem\s+VCPUs\s+State\s+Time\(s\)$/.test(l.trim()));
  if (at < 0) throw new ProviderError('xl list printed no table (no Name ID Mem VCPUs State Time(s) header)');
  const cpu = new Map();
  for (const line of lines.slice(at + 1)) {
    if (!line.trim()) continue;
    const words = line.trim().split(/\s+/);
    const seconds = Number(words.at(-1));
    if (words.length < 6 || !Number.isFinite(seconds)) throw new ProviderError(`xl list row is not Name ID Mem VCPUs State Time(s): ${line.trim()}`);
    const name = words.slice(0, -5).join(' ');
    if (name !== 'Domain-0') cpu.set(name, seconds);
  }
  return cpu;
}

/** Xen's credit-scheduler defaults: what a domain gets when its config names neither. */
const XEN_DEFAULT_WEIGHT = 256;

/** `xl sched-credit` arguments that set a guest's cap and weight, numbers checked before they reach the remote shell. */
export function schedCreditArgs(guest) {
  const num = (v, what, max) => {
    if (!Number.isInteger(v) || v < 0 || v > max) throw new ProviderError(`${guest.name}: ${what} ${JSON.stringify(v)} is not a whole number from 0 to ${max}`, 5);
    return String(v);
  };
  const cap = guest.cpuCap ?? 0;
  const weight = guest.cpuWeight ?? XEN_DEFAULT_WEIGHT;
  return ['sched-credit', '-d', safeName(guest.name, 'guest name'), '-c', num(cap, 'cpu cap', 100 * guest.maxVcpus), '-w', num(weight, 'cpu weight', 65535)];
}

const verbs = {
  facts: (input) => {
    const out = ssh(input.host, ['xl', 'info']).out;
    const field = (k) => Number(new RegExp(`^${k}\\s*:\\s*(\\d+)`, 'm').exec(out)?.[1]);
    return { memoryMiB: field('total_memory'), cpus: field('nr_cpus') };
  },
  list: (input) => ({ domains: domainsOf(input.host) }),
  create: (input) => {
    const { host, guest } = input;
    if (running(host, guest.name)) throw new ProviderError(`domain ${guest.name} already runs on ${host.name}`, 4);
    if (guest.disks.length) {
      ssh(host, ['mkdir', '-p', '--', storageDir(host)]);
      // Sparse raw images; growing one keeps its data, shrinking is a replace in the plan.
      guest.disks.forEach((d, i) => ssh(host, ['truncate', '-s', `${Number(d.sizeMiB)}M`, '--', diskPaths(host, guest)[i]]));
    }
    writeConfig(host, input);
    ssh(host, ['xl', 'create', cfgPath(guest)]);
    return { domain: guest.name };
  },
  destroy: (input) => {
    const { host, guest } = input;
    if (running(host, guest.name)) ssh(host, ['xl', 'destroy', guest.name]);
    else log(`${guest.name} is not running on ${host.name}`);
    ssh(host, ['rm', '-f', '--', cfgPath(guest), ...diskPaths(host, guest)]);
    return {};
  },
  start: (input) => {
    ssh(input.host, ['xl', 'create', cfgPath(input.guest)]);
    return {};
  },
  // `xl destroy` is xl's name for pulling the plug: the config and disk images stay.
  stop: (input) => {
    const { host, guest } = input;
    if (!running(host, guest.name)) return {};
    if (input.force === true) {
      ssh(host, ['xl', 'destroy', guest.name]);
      return {};
    }
    if (!Number.isFinite(input.graceMs)) {
      ssh(host, ['xl', 'shutdown', '-w', guest.name]);
      return {};
    }
    // coreutils' timeout bounds the clean shutdown on the host; then the domain is forced off.
    const seconds = String(Math.max(1, Math.ceil(input.graceMs / 1000)));
    if (!ssh(host, ['timeout', seconds, 'xl', 'shutdown', '-w', guest.name], { allowFail: true }).ok && running(host, guest.name)) {
      log(`${guest.name} did not shut down within ${seconds} s; forcing it off`);
      ssh(host, ['xl', 'destroy', guest.name]);
    }
    return {};
  },
  // xl has no hard reset: a forced reboot is a power-off and a fresh start from the same config.
  reboot: (input) => {
    const { host, guest } = input;
    if (input.force === true) {
      if (running(host, guest.name)) ssh(host, ['xl', 'destroy', guest.name]);
      ssh(host, ['xl', 'create', cfgPath(guest)]);
    } else ssh(host, ['xl', 'reboot', guest.name]);
    return {};
  },
  console: (input) => {
    const { dest, port } = sshTarget(input.host.address, `the address of ${input.host.name}`);
    return { command: ['ssh', '-t', ...(port ? ['-p', String(port)] : []), '--', dest, remoteCommand(['xl', 'console', safeName(input.guest.name, 'guest name')])] };
  },
  'set-memory': (input) => {
    const { host, guest } = input;
    if (input.memoryMiB > guest.maxMemoryMiB) throw new ProviderError(`${guest.name}: ${input.memoryMiB} MiB is above maxmem ${guest.maxMemoryMiB} MiB`, 5);
    ssh(host, ['xl', 'mem-set', guest.name, `${Number(input.memoryMiB)}m`]);
    writeConfig(host, input);
    return {};
  },
  'set-vcpus': (input) => {
    const { host, guest } = input;
    if (input.vcpus > guest.maxVcpus) throw new ProviderError(`${guest.name}: ${input.vcpus} vCPUs is above maxvcpus ${guest.maxVcpus}`, 5);
    ssh(host, ['xl', 'vcpu-set', guest.name, String(Number(input.vcpus))]);
    writeConfig(host, input);
    return {};
  },
  // The credit scheduler's cap and weight: live on a running domain, and in its config for the next boot.
  // None is Xen's own default (cap 0 = no cap, weight 256), set explicitly so taking a cap off takes effect now.
  'set-cpu': (input) => {
    const { host, guest } = input;
    if (running(host, guest.name)) ssh(host, ['xl', ...schedCreditArgs(guest)]);
    else log(`${guest.name} is not running on ${host.name}: config only`);
    writeConfig(host, input);
    return {};
  },
  migrate: (input) => {
    // Guests live on local disks (no shared storage): stop, copy the images, start on the target.
    const { host, guest, target } = input;
    if (running(host, guest.name)) ssh(host, ['xl', 'shutdown', '-w', guest.name]);
    const src = diskPaths(host, guest);
    const dst = diskPaths(target, guest);
    if (src.length) ssh(target, ['mkdir', '-p', '--', storageDir(target)]);
    // scp on the source host reaches the target by its address; the path after `:` is read by the target's shell too,
    // which the allow-list in safePath keeps harmless.
    const to = sshTarget(target.address, `the address of ${target.name}`);
    src.forEach((p, i) => ssh(host, ['scp', ...SSH_OPTS, ...(to.port ? ['-P', String(to.port)] : []), '--', p, `${to.dest}:${dst[i]}`]));
    writeConfig(target, input);
    ssh(target, ['xl', 'create', cfgPath(guest)]);
    ssh(host, ['rm', '-f', '--', cfgPath(guest), ...src]);
    return {};
  },
  // One xentop iteration is enough: its columns are cumulative counters and hvkit makes rates from two reads.
  // -f: full domain names (xentop cuts them at 10 characters otherwise). The read's time is the middle of the call.
  // CPU time comes from `xl list` (0.1 s) rather than xentop's CPU(sec) (whole seconds: 5 s apart a guest's rate
  // would move in steps of 0.2 cores), read in the same ssh round so both are taken at nearly the same moment.
  // The remote script is a constant: no value of the user's reaches that shell.
  stats: (input) => {
    const before = Date.now();
    const out = ssh(input.host, ['sh', '-c', `xl list && echo ${XENTOP_MARK} && xentop -b -f -i 1`]).out;
    const cut = out.indexOf(`\n${XENTOP_MARK}\n`);
    if (cut < 0) throw new ProviderError(`xl list and xentop printed no ${XENTOP_MARK} line between them`);
    const cpu = parseXlList(out.slice(0, cut));
    // A guest xl did not list started or stopped between the two commands: it is left out of this read
    // rather than given xentop's coarser CPU time, which would make a false step in its rate.
    const guests = parseXentop(out.slice(cut + XENTOP_MARK.length + 2)).flatMap((g) => (cpu.has(g.name) ? [{ ...g, cpuSeconds: cpu.get(g.name) }] : []));
    return statsAnswer(Math.round((before + Date.now()) / 2), guests);
  },
  rename: (input) => {
    // xl renames a running domain in place: no restart. Its images are renamed under it (the open files
    // stay the same inodes) and its config written for the new name, as create would write it.
    const { host, guest, from } = input;
    const oldRuns = running(host, from.name);
    if (oldRuns && running(host, guest.name)) throw new ProviderError(`${guest.name} already runs on ${host.name}`, 4);
    if (oldRuns) ssh(host, ['xl', 'rename', from.name, guest.name]);
    const src = diskPaths(host, from);
    const dst = diskPaths(host, guest);
    // Each step can run again after a rename cut short: an image already moved is not there any more.
    src.forEach((p, i) => {
      if (p !== dst[i] && ssh(host, ['ls', '-d', '--', p], { allowFail: true }).ok) ssh(host, ['mv', '--', p, dst[i]]);
    });
    writeConfig(host, input);
    if (cfgPath(from) !== cfgPath(guest)) ssh(host, ['rm', '-f', '--', cfgPath(from)]);
    return { domain: guest.name };
  },
};

export function main(verb) {
  return run(verb, async (input) => {
    for (const k of ['host', 'guest', 'target', 'from']) if (input[k] !== undefined) safeName(input[k]?.name, `${k} name`);
    return verbs[verb](input);
  });
}

// The local simulator's measured load: a guest's load profile (set with
// providers/local/set-load, kept in its domain file as `load`) and the
// cumulative counters it yields at a given moment. Counters are a pure
// function of the profile and the clock, so a test that sets HVKIT_LOCAL_NOW
// (or the input's `now`) gets the same counters every time.
//
// The profile is the guest's demand; the counters advance at what it can
// really use (`load.rates`): CPU at most its vCPUs and its cap, the host's
// threads shared among its running guests, IOPS at most its disks' limits.
// Whatever changes those (a new profile, a cap, a guest started or stopped)
// settles the host: every guest's counters carry on from that moment at its
// new rates, so they stay a pure function of the files and the clock.
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes a simulated disk operation moves. */
const OP_BYTES = 4096;

export const PROFILE_KEYS = ['cpu', 'iops', 'netMbps', 'memMiB'];

/**
 * Milliseconds since the epoch: `now` (ISO 8601 or ms), else HVKIT_LOCAL_NOW,
 * else the clock moved by HVKIT_LOCAL_CLOCK_OFFSET_MS (an integer, may be
 * negative; @default 0). The offset keeps the clock running at real speed, so
 * `refresh --interval 1` still measures a second, while a test chooses where
 * in hvkit's epoch-aligned 5-minute sample slots its samples fall.
 */
export function nowMs(now = process.env.HVKIT_LOCAL_NOW, offset = process.env.HVKIT_LOCAL_CLOCK_OFFSET_MS) {
  if (now === undefined || now === '') return Date.now() + offsetMs(offset);
  const ms = /^\d+$/.test(String(now)) ? Number(now) : Date.parse(String(now));
  if (!Number.isFinite(ms)) throw new Error(`'${now}' is not a time (ISO 8601 or milliseconds since the epoch)`);
  return ms;
}

function offsetMs(offset) {
  if (offset === undefined || offset === '') return 0;
  if (!/^-?\d+$/.test(String(offset))) throw new Error(`HVKIT_LOCAL_CLOCK_OFFSET_MS '${offset}' is not a whole number of milliseconds (e.g. -300000)`);
  return Number(offset);
}

const ZERO = { cpuSeconds: 0, diskReadOps: 0, diskWriteOps: 0, diskReadBytes: 0, diskWriteBytes: 0, netRxBytes: 0, netTxBytes: 0 };

/**
 * The counters of domain `d` at `ms`: what they were when its profile was set
 * (`load.base`) plus the profile's rates times the time since (`load.since`).
 * Disk operations split evenly between reads and writes, 4 KiB each; network
 * bytes evenly between received and sent. Memory used is the profile's
 * `memMiB`, else all the memory the domain has.
 */
export function countersAt(d, ms) {
  const load = d.load;
  // A guest cannot use more memory than it has, whatever its profile asks.
  const memoryUsedMiB = Math.min(load?.memMiB ?? d.memoryMiB, d.memoryMiB);
  if (!load) return { ...ZERO, memoryUsedMiB };
  const s = Math.max(0, (ms - Date.parse(load.since)) / 1000);
  const b = { ...ZERO, ...load.base };
  const rate = load.rates ?? load;
  const ops = Math.floor(rate.iops * s);
  const reads = Math.floor(ops / 2);
  const bytes = Math.floor((rate.netMbps * 1e6 * s) / 8);
  const rx = Math.floor(bytes / 2);
  return {
    cpuSeconds: Math.round((b.cpuSeconds + rate.cpu * s) * 1000) / 1000,
    diskReadOps: b.diskReadOps + reads,
    diskWriteOps: b.diskWriteOps + ops - reads,
    diskReadBytes: b.diskReadBytes + reads * OP_BYTES,
    diskWriteBytes: b.diskWriteBytes + (ops - reads) * OP_BYTES,
    netRxBytes: b.netRxBytes + rx,
    netTxBytes: b.netTxBytes + bytes - rx,
    memoryUsedMiB,
  };
}

/**
 * Domain `d` with a new profile from `ms` on: the counters carry on from
 * where the old profile left them, as a real guest's do when its work changes.
 */
export function withProfile(d, profile, ms) {
  const { memoryUsedMiB: _gauge, ...base } = countersAt(d, ms);
  return { ...d, load: { cpu: 0, iops: 0, netMbps: 0, ...profile, since: new Date(ms).toISOString(), base } };
}

/** A profile moved with its domain to another host: a new process there, so its counters start again from zero. */
export function restarted(load, ms) {
  return load && { ...load, since: new Date(ms).toISOString(), base: { ...ZERO } };
}

/** `cpu=3.5,iops=200,netMbps=10[,memMiB=2048]` as a profile; keys left out are 0 (memMiB: all the domain's memory). */
export function parseProfile(text) {
  const profile = {};
  for (const part of String(text).split(',')) {
    const m = /^\s*([A-Za-z]+)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    const negative = /^\s*([A-Za-z]+)\s*=\s*-\s*\d+(?:\.\d+)?\s*$/.exec(part);
    if (negative) throw new Error(`'${part.trim()}': ${negative[1]} must not be negative (a rate: 0 or more)`);
    if (!m) throw new Error(`'${part}' is not KEY=NUMBER (keys: ${PROFILE_KEYS.join(', ')})`);
    if (!PROFILE_KEYS.includes(m[1])) throw new Error(`'${m[1]}' is not a load key: use ${PROFILE_KEYS.join(', ')}`);
    if (Object.hasOwn(profile, m[1])) throw new Error(`'${m[1]}' is given twice: give each key once`);
    profile[m[1]] = Number(m[2]);
  }
  return profile;
}

const round3 = (n) => Math.round(n * 1000) / 1000;

/** The number of disks of a domain, from its rendered config; its I/O limits' count when the config says nothing. */
function diskCount(d) {
  try {
    const disks = JSON.parse(d.config).disks;
    if (Array.isArray(disks)) return disks.length;
  } catch {
    // Not the local JSON config: fall back on the limits.
  }
  return (d.iotune ?? []).length;
}

/**
 * What domain `d` can use at most, whatever its demand, each with why:
 * CPU its vCPUs and its cap (cap/100 cores); IOPS the sum of its disks'
 * `iops` limits when every disk has one.
 */
export function ceilings(d) {
  const cap = d.cpuCap > 0 ? d.cpuCap / 100 : Infinity;
  const cpu = cap < d.vcpus ? { value: cap, why: `its cap ${d.cpuCap}%` } : { value: d.vcpus, why: `its ${d.vcpus} vCPU${d.vcpus === 1 ? '' : 's'}` };
  const n = diskCount(d);
  const limits = Array.from({ length: n }, (_, i) => (d.iotune ?? []).find((t) => t.disk === i)?.iops ?? null);
  const iops = n > 0 && limits.every((l) => l !== null)
    ? { value: limits.reduce((a, l) => a + l, 0), why: n === 1 ? 'its disk\'s I/O limit' : `its ${n} disks' I/O limits` }
    : { value: Infinity, why: '' };
  return { cpu, iops, memMiB: { value: d.memoryMiB, why: `its ${d.memoryMiB} MiB of memory` } };
}

/**
 * The rates each domain on a host with `threads` threads runs at, by name:
 * its demand within its ceilings, then CPU shared in proportion when the
 * running guests want more than the host's threads. A stopped domain runs at 0.
 */
export function ratesOf(domains, threads) {
  const want = new Map();
  for (const d of domains) {
    if (!d.load || !d.running) continue;
    const c = ceilings(d);
    want.set(d.name, { cpu: Math.min(d.load.cpu, c.cpu.value), iops: Math.min(d.load.iops, c.iops.value), netMbps: d.load.netMbps });
  }
  const total = [...want.values()].reduce((a, r) => a + r.cpu, 0);
  const share = total > threads ? threads / total : 1;
  const out = new Map();
  for (const d of domains) {
    if (!d.load) continue;
    const w = want.get(d.name) ?? { cpu: 0, iops: 0, netMbps: 0 };
    out.set(d.name, { cpu: round3(w.cpu * share), iops: w.iops, netMbps: w.netMbps });
  }
  return { rates: out, share, demand: round3(total) };
}

/**
 * Settles the host whose folder is `dir` at `ms`: each domain with a profile
 * whose rates change carries its counters on from `ms` at the new rates.
 * Returns the rates and how the host's threads were shared.
 */
export function settleHost(dir, ms) {
  if (!existsSync(join(dir, 'host.json'))) return { rates: new Map(), share: 1, demand: 0, threads: 0 };
  const m = JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8'));
  const threads = m.threads ?? m.cpus;
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'host.json').sort();
  const ds = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
  const settled = ratesOf(ds, threads);
  ds.forEach((d, i) => {
    const rates = settled.rates.get(d.name);
    if (!rates || JSON.stringify(rates) === JSON.stringify(d.load.rates ?? null)) return;
    const { memoryUsedMiB: _gauge, ...base } = countersAt(d, ms);
    const file = join(dir, files[i]);
    // Atomically: a provider verb may read the domain at the same moment.
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ ...d, load: { ...d.load, since: new Date(ms).toISOString(), base, rates } }, null, 2) + '\n');
    renameSync(tmp, file);
  });
  return { ...settled, threads };
}

/**
 * One line saying how domain `d`'s demand is clamped and why, or '' when it
 * gets all it asks for.
 */
export function clampNote(d, host, settled) {
  const c = ceilings(d);
  const load = d.load;
  const got = settled.rates.get(d.name);
  const parts = [];
  if (load.cpu > c.cpu.value) parts.push(`cpu ${load.cpu} → ${c.cpu.value} cores (${c.cpu.why})`);
  if (got && settled.share < 1 && d.running) parts.push(`cpu → ${got.cpu} cores (${host}'s ${settled.threads} threads shared by guests wanting ${settled.demand} cores)`);
  if (load.iops > c.iops.value) parts.push(`${load.iops} → ${c.iops.value} IOPS (${c.iops.why})`);
  if (load.memMiB !== undefined && load.memMiB > c.memMiB.value) parts.push(`memory ${load.memMiB} → ${c.memMiB.value} MiB (${c.memMiB.why})`);
  return parts.length ? `clamped: ${parts.join('; ')}` : '';
}

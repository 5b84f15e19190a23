// The local simulator's measured load: a guest's load profile (set with
// providers/local/set-load, kept in its domain file as `load`) and the
// cumulative counters it yields at a given moment. Counters are a pure
// function of the profile and the clock, so a test that sets HVKIT_LOCAL_NOW
// (or the input's `now`) gets the same counters every time.

/** Bytes a simulated disk operation moves. */
const OP_BYTES = 4096;

export const PROFILE_KEYS = ['cpu', 'iops', 'netMbps', 'memMiB'];

/** Milliseconds since the epoch: `now` (ISO 8601 or ms), else HVKIT_LOCAL_NOW, else the clock. */
export function nowMs(now = process.env.HVKIT_LOCAL_NOW) {
  if (now === undefined || now === '') return Date.now();
  const ms = /^\d+$/.test(String(now)) ? Number(now) : Date.parse(String(now));
  if (!Number.isFinite(ms)) throw new Error(`'${now}' is not a time (ISO 8601 or milliseconds since the epoch)`);
  return ms;
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
  const memoryUsedMiB = load?.memMiB ?? d.memoryMiB;
  if (!load) return { ...ZERO, memoryUsedMiB };
  const s = Math.max(0, (ms - Date.parse(load.since)) / 1000);
  const b = { ...ZERO, ...load.base };
  const ops = Math.floor(load.iops * s);
  const reads = Math.floor(ops / 2);
  const bytes = Math.floor((load.netMbps * 1e6 * s) / 8);
  const rx = Math.floor(bytes / 2);
  return {
    cpuSeconds: Math.round((b.cpuSeconds + load.cpu * s) * 1000) / 1000,
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
    if (!m) throw new Error(`'${part}' is not KEY=NUMBER (keys: ${PROFILE_KEYS.join(', ')})`);
    if (!PROFILE_KEYS.includes(m[1])) throw new Error(`'${m[1]}' is not a load key: use ${PROFILE_KEYS.join(', ')}`);
    profile[m[1]] = Number(m[2]);
  }
  return profile;
}

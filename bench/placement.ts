/**
 * Placement benchmarks (npm run bench -- --only placement,simulate):
 *   placement: 10,000 new guests placed one by one onto 1,000 hosts that
 *              already run 4 guests each, through Packing.choose as a plan
 *              does (target: well under 1 s); and the packing quality of
 *              hvkit's scoring on generated traces against Best-Fit,
 *              First-Fit and the lower bound, with and without rebalancing.
 *   simulate:  `hvkit simulate` of a 100,000-arrival trace (target < 30 s).
 */
import { performance } from 'node:perf_hooks';
import { asksOf, keepsNPlusOne, keepsNPlusOneByFullCheck } from '../lib/capacity/n-plus-one';
import { Packing, type PackHost } from '../lib/capacity/placement';
import { simulate } from '../lib/capacity/simulate';
import { DEFAULT_CAPACITY } from '../lib/manifest/defaults';
import type { GuestSpec, HostSpec } from '../lib/manifest/types';
import { generateTrace } from './trace';
import { median } from './state';

function host(i: number): HostSpec {
  const name = `host-${String(i).padStart(5, '0')}`;
  return {
    name, path: `bench/${name}`, provider: 'local', address: '', storageDir: '', tags: {},
    cpu: { sockets: 2, cores: 16, threads: 32 },
    memory: { slots: 8, maxDimmMiB: 16384, dimmsMiB: [16384, 16384, 16384, 16384], totalMiB: 65536 },
    disks: [{ name: 'sda', sizeMiB: 2 * 1024 * 1024, kind: 'ssd', iops: 20000, mbps: 500 }],
    nics: [{ name: 'eth0', gbps: 10 }],
    reserve: { memoryMiB: 512, overheadMiB: 128, vcpus: 0 },
    capacity: { ...DEFAULT_CAPACITY },
  };
}

/**
 * A guest of one of three shapes; with `distinct`, of a shape of its own
 * (memory, disk and declared load vary per guest, as in a real fleet), so
 * no verdict is ever reused and every placement scans the hosts.
 */
function guest(name: string, hostName: string, i: number, distinct = false): GuestSpec {
  // Three shapes, so hosts differ and the weigh step has something to choose.
  const base = [{ vcpus: 2, mem: 4096, cpu: 0.5 }, { vcpus: 4, mem: 2048, cpu: 1.5 }, { vcpus: 1, mem: 6144, cpu: 0.2 }][i % 3];
  const shape = distinct ? { vcpus: base.vcpus, mem: 1024 + (i % 3000), cpu: (i % 17) / 10 } : base;
  const disk = distinct ? 10240 + 1024 * (i % 50) : 40960;
  const iops = distinct ? i % 97 : 100;
  return {
    name, path: `bench/${name}`, host: hostName, role: 'web', uuid: '', mode: 'pv',
    vcpus: shape.vcpus, maxVcpus: shape.vcpus, memoryMiB: shape.mem, maxMemoryMiB: shape.mem * 2,
    disks: [{ sizeMiB: disk, on: hostName ? 'sda' : '' }], nics: [], load: { cpu: shape.cpu, iops, netMbps: 50 },
    antiAffinity: null, kernel: null, bootloader: null, cpuWeight: null, cpuCap: null, power: 'running', tags: {},
    lifecycle: { ignoreChanges: [], preventDestroy: false }, movedFrom: null,
  };
}

/**
 * Milliseconds to place 10,000 guests onto 1,000 hosts (each choose is
 * admitted and added, as a plan places): wall, and CPU (what the machine's
 * other work does not inflate as much).
 */
export function placeTenThousand(distinct = false): { wall: number; cpu: number } {
  const hosts: PackHost[] = Array.from({ length: 1000 }, (_, h) => ({ spec: host(h), guests: Array.from({ length: 4 }, (_, g) => guest(`old-${h}-${g}`, host(h).name, h + g)) }));
  const news = Array.from({ length: 10000 }, (_, i) => guest(`new-${String(i).padStart(5, '0')}`, '', i, distinct));
  const t = performance.now();
  const c = process.cpuUsage();
  const p = new Packing(hosts);
  for (const g of news) {
    const r = p.choose({ guest: g, provider: 'local' });
    if (!r.ok) throw new Error(`bench: ${g.name} found no host (${r.failure.code})`);
    p.add(r.host, r.guest, r.usage);
  }
  const used = process.cpuUsage(c);
  return { wall: performance.now() - t, cpu: (used.user + used.system) / 1000 };
}

/**
 * `nPlusOne: 'require'` placement: `guests` new guests onto `hosts` hosts
 * running 4 guests each, every choice accepted only where the fleet stays
 * N+1, by the watch placement uses or by the full check (every host's loss
 * run again per candidate). CPU milliseconds, and the hosts chosen.
 */
export function placeRequired(hosts: number, guests: number, full: boolean): { cpu: number; chosen: string[] } {
  const fleet: PackHost[] = Array.from({ length: hosts }, (_, h) => ({ spec: host(h), guests: Array.from({ length: 4 }, (_, g) => guest(`old-${h}-${g}`, host(h).name, h + g)) }));
  const news = Array.from({ length: guests }, (_, i) => guest(`new-${String(i).padStart(5, '0')}`, '', i));
  const c = process.cpuUsage();
  const p = new Packing(fleet);
  const askOf = asksOf(fleet.map((h) => h.spec), {});
  const keeps = full ? keepsNPlusOneByFullCheck(askOf) : keepsNPlusOne(askOf);
  const chosen: string[] = [];
  for (const g of news) {
    const r = p.choose({ guest: g, provider: 'local' }, { accept: (h, x) => keeps(h, x, p) });
    chosen.push(r.ok ? r.host : `(${r.failure.code})`);
    if (r.ok) p.add(r.host, r.guest, r.usage);
  }
  const used = process.cpuUsage(c);
  return { cpu: (used.user + used.system) / 1000, chosen };
}

export function benchRequired(runs: number, rows: string[]): void {
  console.log(`nPlusOne 'require' placement, in process (median of ${runs}):`);
  const [watch, full] = [false, true].map((f) => Array.from({ length: runs }, () => placeRequired(100, 500, f)));
  if (watch[0].chosen.join() !== full[0].chosen.join()) throw new Error('bench: the N+1 watch chose other hosts than the full check');
  const line = `  500 guests onto 100 hosts: cpu ${median(watch.map((x) => x.cpu)).toFixed(0)} ms re-running the losses a guest can change, ${median(full.map((x) => x.cpu)).toFixed(0)} ms re-running every loss (same hosts chosen)`;
  console.log(line);
  rows.push(`placement-require 500→100: ${line.trim()}`);
  const big = Array.from({ length: runs }, () => placeRequired(1000, 2000, false));
  const line2 = `  2,000 guests onto 1,000 hosts: cpu ${median(big.map((x) => x.cpu)).toFixed(0)} ms re-running the losses a guest can change`;
  console.log(line2);
  rows.push(`placement-require 2k→1k: ${line2.trim()}`);
}

export function benchPlacement(runs: number, rows: string[]): void {
  console.log('placement engine (in process, through tsx as the bench runs; the bundled CLI is faster):');
  for (const [label, distinct] of [['three shapes', false], ['a shape each', true]] as const) {
    const xs = Array.from({ length: runs }, () => placeTenThousand(distinct));
    const line = `  10,000 guests onto 1,000 hosts, ${label}: wall ${median(xs.map((x) => x.wall)).toFixed(0)} ms, cpu ${median(xs.map((x) => x.cpu)).toFixed(0)} ms (median of ${runs}; target well under 1,000 ms)`;
    console.log(line);
    rows.push(`placement 10k→1k ${label}: ${line.trim()}`);
  }

  console.log('\npacking quality on generated traces (20,000 arrivals, hosts cpus=80,memory=180GiB, --overcommit 1 --reserve 0):');
  console.log('  seed  concurrency   bound   hvkit   best-fit   first-fit   hvkit+rebalance (migrations, over bound)');
  for (const [seed, concurrency] of [[1, 4000], [2, 4000], [3, 1500], [4, 8000], [5, 800]]) {
    const trace = generateTrace({ seed, arrivals: 20000, concurrency });
    const opts = { host: { cpus: 80, memoryMiB: 180 * 1024 }, overcommit: 1, reserveMiB: 0 };
    const r = simulate(trace, opts);
    const rb = simulate(trace, { ...opts, rebalance: true });
    const over = (((rb.peakHosts - rb.peakLowerBound) / rb.peakLowerBound) * 100).toFixed(1);
    const q = `  ${String(seed).padStart(4)}  ${String(concurrency).padStart(11)}   ${String(r.peakLowerBound).padStart(5)}   ${String(r.peakHosts).padStart(5)}   ${String(r.reference.bestFit.peakHosts).padStart(8)}   ${String(r.reference.firstFit.peakHosts).padStart(9)}   ${rb.peakHosts} (${rb.migrations}, +${over}%)`;
    console.log(q);
    rows.push(`quality seed ${seed}: ${q.trim()}`);
  }
}

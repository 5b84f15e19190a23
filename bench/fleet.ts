/**
 * A generated fleet for benchmarks: BENCH_GUESTS guests, four per host
 * (or spread over BENCH_HOSTS hosts), each host with room to spare. Built
 * like any user fleet, in a loop. BENCH_UNPLACED=1 declares the same guests
 * on the Fleet, without a host, for placement to place at plan time.
 */
import { App, Fleet, Guest, Host } from 'hvkit';

const guests = Number(process.env.BENCH_GUESTS ?? 1000);
const hosts = Number(process.env.BENCH_HOSTS ?? 0) || Math.ceil(guests / 4);
const perHost = Math.ceil(guests / hosts);
const unplaced = process.env.BENCH_UNPLACED === '1';
const app = new App();
const fleet = new Fleet(app, 'bench', { provider: 'local' });
for (let h = 0; h < hosts; h++) {
  const host = new Host(fleet, `host-${String(h).padStart(5, '0')}`, {
    cpu: { sockets: 2, cores: 16, threads: 32 },
    memory: { slots: 8, maxDimm: '16GiB', dimms: ['16GiB', '16GiB', '16GiB', '16GiB'] },
    disks: [{ name: 'sda', size: '2TiB', kind: 'ssd', iops: 20000 }],
    nics: [{ name: 'eth0', gbps: 10 }],
  });
  for (let g = 0; g < perHost && h * perHost + g < guests; g++) {
    const i = h * perHost + g;
    new Guest(unplaced ? fleet : host, `guest-${String(i).padStart(6, '0')}`, {
      role: g % 2 ? 'web' : 'memcached', vcpus: 2, memory: '4GiB', maxMemory: '8GiB',
      disks: [{ size: '40GiB', ...(unplaced ? {} : { on: 'sda' }) }], load: { cpu: 0.5, iops: 100, netMbps: 50 },
    });
  }
}
app.synth();

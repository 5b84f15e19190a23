/**
 * A generated fleet for benchmarks: BENCH_GUESTS guests, four per host,
 * each host with room to spare. Built like any user fleet, in a loop.
 */
import { App, Fleet, Guest, Host } from 'hvkit';

const guests = Number(process.env.BENCH_GUESTS ?? 1000);
const perHost = 4;
const app = new App();
const fleet = new Fleet(app, 'bench', { provider: 'local' });
for (let h = 0; h * perHost < guests; h++) {
  const host = new Host(fleet, `host-${String(h).padStart(5, '0')}`, {
    cpu: { sockets: 2, cores: 16, threads: 32 },
    memory: { slots: 8, maxDimm: '16GiB', dimms: ['16GiB', '16GiB', '16GiB', '16GiB'] },
    disks: [{ name: 'sda', size: '2TiB', kind: 'ssd', iops: 20000 }],
    nics: [{ name: 'eth0', gbps: 10 }],
  });
  for (let g = 0; g < perHost && h * perHost + g < guests; g++) {
    new Guest(host, `guest-${String(h * perHost + g).padStart(6, '0')}`, {
      role: g % 2 ? 'web' : 'memcached', vcpus: 2, memory: '4GiB', maxMemory: '8GiB',
      disks: [{ size: '40GiB', on: 'sda' }], load: { cpu: 0.5, iops: 100, netMbps: 50 },
    });
  }
}
app.synth();

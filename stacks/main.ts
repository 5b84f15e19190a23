/**
 * The example fleet: Hatena's hosts from the source chapter (docs/design.md, "The source chapter").
 *
 * Web hosts started with 4 GB and a 3.5 GB web guest. When memory got cheap
 * they went to 8 GB: the web guest grew to 5.5 GB and a 2 GB memcached guest
 * moved in beside it. The database host's memory is busy but its CPU and disk
 * sit idle, so a small web guest lives there too.
 *
 * Set HVKIT_EXAMPLE=before-upgrade to get the original 4 GB layout (README walk-through).
 */
import { App, Fleet, Guest, Host } from 'hvkit';

const upgraded = process.env.HVKIT_EXAMPLE !== 'before-upgrade';

const app = new App();
const fleet = new Fleet(app, 'tokyo', { provider: 'local' });

for (const n of [1, 2]) {
  const host = new Host(fleet, `web-host-0${n}`, {
    cpu: { sockets: 1, cores: 4, threads: 8 },
    memory: { slots: 4, maxDimm: '4GiB', dimms: upgraded ? ['2GiB', '2GiB', '2GiB', '2GiB'] : ['1GiB', '1GiB', '1GiB', '1GiB'] },
    disks: [{ name: 'sda', size: '500GiB', kind: 'hdd', iops: 150 }],
    nics: [{ name: 'eth0', gbps: 1 }],
  });
  new Guest(host, `web-0${n}`, {
    role: 'web', vcpus: 2, memory: upgraded ? '5.5GiB' : '3.5GiB', maxMemory: '5.5GiB',
    disks: [{ size: '20GiB', on: 'sda' }], load: { cpu: 1.2, iops: 40, netMbps: 80 },
  });
  if (upgraded) {
    new Guest(host, `memcached-0${n}`, {
      role: 'memcached', vcpus: 1, memory: '2GiB',
      load: { cpu: 0.3, iops: 0, netMbps: 60 },
    });
  }
}

// Most of the memory goes to the database; its CPU and I/O would sit idle
// without the web guest placed beside it.
const dbHost = new Host(fleet, 'db-host-01', {
  cpu: { sockets: 1, cores: 4, threads: 8 },
  memory: { slots: 4, maxDimm: '4GiB', dimms: ['4GiB', '4GiB', '4GiB', '4GiB'] },
  disks: [{ name: 'sda', size: '1TiB', kind: 'ssd', iops: 2000 }],
  nics: [{ name: 'eth0', gbps: 1 }],
});
new Guest(dbHost, 'db-01', {
  role: 'db', vcpus: 2, memory: '14GiB', antiAffinity: 'db',
  disks: [{ size: '200GiB', on: 'sda' }], load: { cpu: 0.3, iops: 150, netMbps: 40 },
});
new Guest(dbHost, 'web-03', {
  role: 'web', vcpus: 2, memory: '1GiB',
  disks: [{ size: '20GiB', on: 'sda' }], load: { cpu: 1.2, iops: 300, netMbps: 80 },
});

// Room to spare for the next guest.
new Host(fleet, 'spare-host-01', {
  cpu: { sockets: 1, cores: 4, threads: 8 },
  memory: { slots: 4, maxDimm: '4GiB', dimms: ['4GiB', '4GiB'] },
  disks: [{ name: 'sda', size: '500GiB', kind: 'hdd' }],
});

app.synth();

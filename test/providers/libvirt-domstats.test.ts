import { describe, expect, it } from 'vitest';
// @ts-expect-error the provider scripts are plain ESM without type declarations
import { parseDomstats } from '../../providers/libvirt/libvirt.mjs';

/** `virsh domstats` of a guest with two disks and two NICs, as libvirt prints it. */
const DOMSTATS = `Domain: 'db-01'
  state.state=1
  cpu.time=123456789000
  balloon.current=4194304
  balloon.rss=4300000
  net.count=2
  net.0.name=vnet0
  net.0.rx.bytes=1000
  net.0.tx.bytes=2000
  net.1.name=vnet1
  net.1.rx.bytes=30000
  net.1.tx.bytes=40000
  block.count=2
  block.0.name=vda
  block.0.rd.reqs=10
  block.0.rd.bytes=4096
  block.0.wr.reqs=20
  block.0.wr.bytes=8192
  block.1.name=vdb
  block.1.rd.reqs=300
  block.1.rd.bytes=1228800
  block.1.wr.reqs=400
  block.1.wr.bytes=1638400

`;

describe('libvirt parseDomstats', () => {
  it('sums every disk (block.0, block.1) and every NIC (net.0, net.1) of a guest', () => {
    expect(parseDomstats(DOMSTATS)).toEqual([
      {
        name: 'db-01',
        cpuSeconds: 123.456789,
        diskReadOps: 310,
        diskWriteOps: 420,
        diskReadBytes: 4096 + 1228800,
        diskWriteBytes: 8192 + 1638400,
        netRxBytes: 31000,
        netTxBytes: 42000,
        memoryUsedMiB: Math.round(4300000 / 1024),
      },
    ]);
  });
});

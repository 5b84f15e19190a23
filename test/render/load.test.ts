import { describe, expect, it } from 'vitest';
import type { FleetLoad, HostLoad, Rates } from '../../lib/load/rates';
import { loadLine, topText } from '../../lib/render/load';

const rates = (cpu: number): Rates => ({ cpu, iops: 0, netMbps: 0, diskMBps: 0 });
const hostLoad = (host: string, seconds: number, guests: Record<string, number> = {}): HostLoad => ({
  host,
  at: '2026-11-27T10:00:05.000Z',
  seconds,
  load: rates(Object.values(guests).reduce((a, b) => a + b, 0)),
  guests: Object.fromEntries(Object.entries(guests).map(([g, c]) => [g, rates(c)])),
  unmeasured: [],
});
const fleet = (...hosts: HostLoad[]): FleetLoad => ({ at: '2026-11-27T10:00:05.000Z', hosts, total: rates(hosts.reduce((a, h) => a + h.load.cpu, 0)), failed: [] });

describe('loadLine and topText', () => {
  it('say the seconds each host was really measured over, not the interval asked for', () => {
    const slow = fleet(hostLoad('host-a', 4.02, { web: 1 }), hostLoad('host-b', 4.04));
    expect(loadLine(slow, 1)).toMatch(/^Measured load over 4\.0 s: /);
    expect(topText('tokyo', slow, 1)).toMatch(/^tokyo at \S+, over 4\.0 s: /);
  });

  it('give the range when hosts were measured over different spans', () => {
    expect(loadLine(fleet(hostLoad('host-a', 5.01), hostLoad('host-b', 6.2)), 5)).toMatch(/^Measured load over 5\.0–6\.2 s per host: /);
  });

  it('fall back on the interval asked for when no host was measured', () => {
    expect(loadLine(fleet(), 5)).toMatch(/^Measured load over 5 s: /);
  });
});

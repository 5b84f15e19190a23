import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseStats } from '../../lib/load/counters';
import { ROOT } from '../helpers/project';

const XENTOP = readFileSync(join(ROOT, 'test/fixtures/xen/xentop-b.txt'), 'utf8');

/**
 * The xen provider's stats verb against the recording ssh stand-in (test/xen/bin), whose fake host
 * answers `xentop` with recorded output (test/fixtures/xen/xentop-b.txt).
 */
describe('xen provider: stats from xentop -b', () => {
  let dir: string;
  let record: string;
  const host = { name: 'xen-a', address: 'root@xen-a' };
  const stats = () => {
    const r = spawnSync(join(ROOT, 'providers/xen/stats'), ['--host', 'xen-a'], {
      input: JSON.stringify({ fleet: 'tokyo', host }),
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(ROOT, 'test/xen/bin')}:${process.env.PATH}`, HVKIT_XEN_RECORD: record, HVKIT_XEN_ROOT: dir },
    });
    return { code: r.status, err: r.stderr, result: r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop()!) : undefined };
  };
  const xentopSays = (text: string) => {
    mkdirSync(join(dir, 'root@xen-a'), { recursive: true });
    writeFileSync(join(dir, 'root@xen-a', 'xentop.out'), text);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hvkit-xen-stats-'));
    record = join(dir, 'record.jsonl');
    writeFileSync(record, '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs xentop -b -f -i 1 over ssh and reads its counters per guest, Domain-0 left out, a name with spaces read whole', () => {
    xentopSays(XENTOP);
    const before = Date.now();
    const { code, err, result } = stats();
    expect(code, err).toBe(0);
    const ssh = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]).filter((c) => c[0] === 'ssh').map((c) => c.slice(c.indexOf('--') + 1).join(' '));
    expect(ssh).toEqual(['root@xen-a xentop -b -f -i 1']);
    const got = parseStats('xen-a', result);
    expect(Date.parse(got.at)).toBeGreaterThanOrEqual(before);
    expect(got.guests).toEqual({
      'memcached-01': { cpuSeconds: 1830, diskReadOps: 5120, diskWriteOps: 20480, diskReadBytes: 163840 * 512, diskWriteBytes: 655360 * 512, netRxBytes: 1200640 * 1024, netTxBytes: 931520 * 1024, memoryUsedMiB: 2048 },
      // A domain hvkit did not create, its name holding spaces (xl allows them), its MAXMEM `no limit`.
      'my scratch box': { cpuSeconds: 310, diskReadOps: 10, diskWriteOps: 20, diskReadBytes: 800 * 512, diskWriteBytes: 1600 * 512, netRxBytes: 200 * 1024, netTxBytes: 100 * 1024, memoryUsedMiB: 512 },
      'web-01': { cpuSeconds: 12844, diskReadOps: 210433, diskWriteOps: 118002, diskReadBytes: 11452944 * 512, diskWriteBytes: 8233016 * 512, netRxBytes: 2960040 * 1024, netTxBytes: 8120328 * 1024, memoryUsedMiB: 5632 },
    });
    expect(got.totals).toMatchObject({ cpuSeconds: 14984, diskReadOps: 215563, memoryUsedMiB: 8192 });
  });

  it('reads the last table when xentop printed several iterations (-i 2)', () => {
    const later = XENTOP.replace('xentop - 10:00:05', 'xentop - 10:00:06').replace('      12844    0.0', '      12846  200.0');
    xentopSays(XENTOP + later);
    expect(parseStats('xen-a', stats().result).guests['web-01'].cpuSeconds).toBe(12846);
  });

  it('fails in one line when xentop printed no table, rather than reporting no guests', () => {
    xentopSays('xentop: could not obtain domain information\n');
    const { code, err } = stats();
    expect(code).toBe(1);
    expect(err.trim().split('\n').pop()).toBe('stats: xentop printed no table (no NAME STATE … header)');
  });
});

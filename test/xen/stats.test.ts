import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseStats } from '../../lib/load/counters';
import { ROOT } from '../helpers/project';

const XENTOP = readFileSync(join(ROOT, 'test/fixtures/xen/xentop-b.txt'), 'utf8');
const XL_LIST = readFileSync(join(ROOT, 'test/fixtures/xen/xl-list.txt'), 'utf8');

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
  const xentopSays = (text: string, xlList = XL_LIST) => {
    mkdirSync(join(dir, 'root@xen-a'), { recursive: true });
    writeFileSync(join(dir, 'root@xen-a', 'xentop.out'), text);
    writeFileSync(join(dir, 'root@xen-a', 'xl-list.out'), xlList);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hvkit-xen-stats-'));
    record = join(dir, 'record.jsonl');
    writeFileSync(record, '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs xl list and xentop -b -f -i 1 in one ssh round and reads counters per guest, Domain-0 left out, a name with spaces read whole', () => {
    xentopSays(XENTOP);
    const before = Date.now();
    const { code, err, result } = stats();
    expect(code, err).toBe(0);
    const ssh = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]).filter((c) => c[0] === 'ssh').map((c) => c.slice(c.indexOf('--') + 1).join(' '));
    expect(ssh).toEqual(["root@xen-a sh -c 'xl list && echo --hvkit-xentop-- && xentop -b -f -i 1'"]);
    const got = parseStats('xen-a', result);
    expect(Date.parse(got.at)).toBeGreaterThanOrEqual(before);
    expect(got.guests).toEqual({
      'memcached-01': { cpuSeconds: 1830.4, diskReadOps: 5120, diskWriteOps: 20480, diskReadBytes: 163840 * 512, diskWriteBytes: 655360 * 512, netRxBytes: 1200640 * 1024, netTxBytes: 931520 * 1024, memoryUsedMiB: 2048 },
      // A domain hvkit did not create, its name holding spaces (xl allows them), its MAXMEM `no limit`.
      'my scratch box': { cpuSeconds: 310.2, diskReadOps: 10, diskWriteOps: 20, diskReadBytes: 800 * 512, diskWriteBytes: 1600 * 512, netRxBytes: 200 * 1024, netTxBytes: 100 * 1024, memoryUsedMiB: 512 },
      'web-01': { cpuSeconds: 12844.7, diskReadOps: 210433, diskWriteOps: 118002, diskReadBytes: 11452944 * 512, diskWriteBytes: 8233016 * 512, netRxBytes: 2960040 * 1024, netTxBytes: 8120328 * 1024, memoryUsedMiB: 5632 },
    });
    expect(got.totals).toMatchObject({ cpuSeconds: 14985.3, diskReadOps: 215563, memoryUsedMiB: 8192 });
  });

  it('reads the last table when xentop printed several iterations (-i 2)', () => {
    const later = XENTOP.replace('xentop - 10:00:05', 'xentop - 10:00:06').replace('   210433   118002', '   210999   118002');
    xentopSays(XENTOP + later);
    expect(parseStats('xen-a', stats().result).guests['web-01'].diskReadOps).toBe(210999);
  });

  it("takes CPU time from xl list's tenths of a second, not xentop's whole seconds: 0.5 s over 5 s reads as 0.1 cores", () => {
    xentopSays(XENTOP);
    const first = parseStats('xen-a', stats().result);
    // xentop's CPU(sec) does not move (12844 both times); xl list's Time(s) moves 12844.7 → 12845.2.
    xentopSays(XENTOP, XL_LIST.replace('12844.7', '12845.2'));
    const second = parseStats('xen-a', stats().result);
    expect(second.guests['web-01'].cpuSeconds - first.guests['web-01'].cpuSeconds).toBeCloseTo(0.5, 6);
  });

  it('leaves out a guest xl list did not show (it started between the two commands) rather than mix resolutions', () => {
    xentopSays(XENTOP, XL_LIST.replace(/^web-01 .*\n/m, ''));
    expect(Object.keys(parseStats('xen-a', stats().result).guests)).toEqual(['memcached-01', 'my scratch box']);
  });

  it('fails in one line when xentop printed no table, rather than reporting no guests', () => {
    xentopSays('xentop: could not obtain domain information\n');
    const { code, err } = stats();
    expect(code).toBe(1);
    expect(err.trim().split('\n').pop()).toBe('stats: xentop printed no table (no NAME STATE … header)');
  });
});

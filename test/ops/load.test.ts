import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { measuredLoad } from '../../lib/load/summary';
import { FileSampleStore } from '../../lib/state/file-sample-store';
import { sql } from '../helpers/pg-stores';
import { describeWithPostgres, freshSchema } from '../helpers/postgres';
import { LOCAL_HOST, readState, stackSource, tempProject, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
const b = new Host(fleet, 'host-b', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 4, memory: '1GiB' });
new Guest(a, 'db-01', { role: 'db', vcpus: 1, memory: '512MiB' });
new Guest(b, 'mc-01', { role: 'memcached', vcpus: 1, memory: '512MiB' });
`);

/** Measured load end to end on the local simulator: set-load, then refresh and top read it back as rates. */
describe('measured load on the local provider', () => {
  let p: TempProject;
  const setLoad = (host: string, guest: string, spec: string) => {
    const r = spawnSync(join(p.dir, 'providers/local/set-load'), [host, guest, spec], { cwd: p.dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  };
  const samplesFile = () => join(p.dir, '.hvkit/state/tokyo.json.samples');

  beforeEach(async () => {
    p = tempProject();
    p.writeStack(STACK);
    const r = await p.run(['apply', '--auto-approve']);
    expect(r.code, r.err + r.out).toBe(0);
    setLoad('host-a', 'web-01', 'cpu=3.5,iops=200,netMbps=10');
    setLoad('host-a', 'db-01', 'cpu=0.25,iops=40,memMiB=300');
  });
  afterEach(() => p.cleanup());

  it('refresh measures rates that match the set-load profiles and keeps them beside the state', async () => {
    const r = await p.run(['refresh', '--interval', '1']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('measuring load for 1 s on 2 hosts… (--no-stats skips, --interval sets)\n');
    // The seconds the two reads of each host were really apart: the interval plus a provider call, which a loaded machine can make take any time.
    // Whole disk operations over that time: 240 IOPS measures 240 ± 2 (one operation per guest).
    expect(r.out).toMatch(/^Refreshed 2 hosts: 2 answered, 3 domains\.\nMeasured load over \d+\.\d(?:–\d+\.\d s per host| s): 3\.7[45] cores, (23[89]|24[012]) IOPS, 10\.0 Mbit\/s on 2 hosts \(3 guests\); `hvkit top` shows each\.\nNo drift/);
    const store = new FileSampleStore(samplesFile());
    const kept = await store.read();
    expect(kept.map((s) => s.host)).toEqual(['host-a', 'host-b']);
    const web = kept[0].guests['web-01'];
    expect(web.cpu).toBeCloseTo(3.5, 2);
    expect(web.iops).toBeGreaterThanOrEqual(198);
    expect(web.iops).toBeLessThanOrEqual(202);
    expect(web.netMbps).toBeCloseTo(10, 2);
    expect(web.memoryUsedMiB).toBe(1024);
    expect(kept[0].guests['db-01'].memoryUsedMiB).toBe(300);
    expect(kept[1].guests['mc-01']).toEqual({ cpu: 0, iops: 0, netMbps: 0, diskMBps: 0, memoryUsedMiB: 512 });
    const m = await measuredLoad(store);
    expect(m.guests['web-01'].p95.cpu).toBeCloseTo(3.5, 2);
    expect(m.hosts['host-a'].latest.cpu).toBeCloseTo(3.75, 2);
  });

  it('names a host whose load it could not measure, and still refreshes', async () => {
    const r = await p.run(['refresh', '--interval', '0.2'], { env: { HVKIT_LOCAL_FAULTS: JSON.stringify([{ verb: 'stats', host: 'host-b', fail: 3, message: 'xentop: could not obtain domain information' }]) } });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('measuring load for 0.2 s on 1 host… (--no-stats skips, --interval sets)\nWarning: load of host-b not measured: stats exited with 3: stats: xentop: could not obtain domain information\n');
    expect(r.out).toContain('on 1 host (2 guests)');
    expect((await new FileSampleStore(samplesFile()).read()).map((s) => s.host)).toEqual(['host-a']);
  });

  it('refuses, with a warning naming host and time, load measured by a clock a year ahead, and keeps the next real samples', async () => {
    // A year ahead of whatever day the test runs on (a fixed date would one day stop being ahead).
    const yearAhead = new Date(Math.floor(Date.now() / 1000) * 1000 + 365 * 24 * 3_600_000).toISOString();
    const ahead = await p.run(['refresh', '--interval', '0.2'], { env: { HVKIT_LOCAL_NOW: yearAhead } });
    expect(ahead.code, ahead.err).toBe(0);
    const at = yearAhead.replaceAll('.', '\\.');
    expect(ahead.err).toMatch(new RegExp(`^measuring load[^\\n]*\\nWarning: the load of host-a at ${at} was not kept: it is more than 5 minutes ahead of hvkit's clock \\([^)]+\\); set that host's clock right \\(NTP\\)\\nWarning: the load of host-b at ${at} was not kept: [^\\n]+\\n$`));
    expect(await new FileSampleStore(samplesFile()).read()).toEqual([]);
    const real = await p.run(['refresh', '--interval', '0.2']);
    expect(real.err).toBe('measuring load for 0.2 s on 2 hosts… (--no-stats skips, --interval sets)\n');
    expect((await new FileSampleStore(samplesFile()).read()).map((s) => s.host)).toEqual(['host-a', 'host-b']);
  });

  it('records the refresh even when the measured load cannot be kept, and says why in one line', async () => {
    writeFileSync(samplesFile(), '{"format": 1, "samp');
    const serial = readState(p.dir).serial;
    const r = await p.run(['refresh', '--interval', '0.2']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^measuring load for 0\.2 s on 2 hosts…[^\n]*\nWarning: the measured load was not kept: measured load \S+tokyo\.json\.samples is not JSON \([^\n]*\): delete it; the next `hvkit refresh` starts a new window\n$/);
    expect(readState(p.dir).serial).toBe(serial + 1);
    expect(readFileSync(samplesFile(), 'utf8')).toBe('{"format": 1, "samp');
  });

  it('refresh --no-stats only looks for drift, and a bad --interval is refused in one line', async () => {
    const r = await p.run(['refresh', '--no-stats']);
    expect(r.out).toBe('Refreshed 2 hosts: 2 answered, 3 domains.\nNo drift: the hypervisors run what state records.\n');
    expect(existsSync(samplesFile())).toBe(false);
    const bad = await p.run(['refresh', '--interval', '0']);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe("Error: --interval '0' is not a number of seconds more than 0 and at most 3600 (e.g. --interval 5)\n");
  });

  it('top --once --json shows each host and guest as rates, heaviest first in text, and writes nothing', async () => {
    const serial = readState(p.dir).serial;
    const json = await p.run(['top', '--once', '--json', '--interval', '1']);
    expect(json.code, json.err).toBe(0);
    const doc = JSON.parse(json.out);
    expect(doc).toMatchObject({ fleet: 'tokyo', seconds: 1, failed: [] });
    expect(doc.hosts.map((h: { host: string }) => h.host)).toEqual(['host-a', 'host-b']);
    expect(doc.hosts[0].guests['web-01'].cpu).toBeCloseTo(3.5, 2);
    expect(doc.hosts[0].guests['db-01'].iops).toBeGreaterThanOrEqual(38);
    expect(doc.total.cpu).toBeCloseTo(3.75, 2);

    const text = await p.run(['top', '--interval', '0.5']);
    expect(text.code, text.err).toBe(0);
    const rows = text.out.split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0]);
    expect(rows.slice(0, 5)).toEqual(['host-a', 'web-01', 'db-01', 'host-b', 'mc-01']);
    expect(text.out.split('\n')[1]).toMatch(/^HOST \/ GUEST\s+CPU\s+IOPS\s+Mbit\/s\s+disk MB\/s\s+MEM MiB$/);
    expect(readState(p.dir).serial).toBe(serial);
    expect(existsSync(samplesFile())).toBe(false);
  });
});

describeWithPostgres('measured load kept with a pg state', (conn) => {
  const schema = freshSchema('load');
  afterAll(() => sql(conn, (c) => c.query(`DROP SCHEMA IF EXISTS ${c.escapeIdentifier(schema)} CASCADE`)));

  it("refresh keeps the rates in the samples table of the fleet's schema", async () => {
    const p = tempProject();
    try {
      const env = { HVKIT_PG_CONN: conn, HVKIT_PG_SCHEMA: schema, HVKIT_STATE_BACKEND: 'pg' };
      p.writeStack(STACK);
      expect((await p.run(['apply', '--auto-approve'], { env })).code).toBe(0);
      const set = spawnSync(join(p.dir, 'providers/local/set-load'), ['host-b', 'mc-01', 'cpu=0.75'], { cwd: p.dir, encoding: 'utf8' });
      expect(set.status, set.stderr).toBe(0);
      const r = await p.run(['refresh', '--interval', '0.5'], { env });
      expect(r.code, r.err).toBe(0);
      const rows = await sql(conn, async (c) => (await c.query(`SELECT fleet, host, value FROM ${c.escapeIdentifier(schema)}.samples ORDER BY host`)).rows);
      expect(rows.map((x) => [x.fleet, x.host])).toEqual([['tokyo', 'host-a'], ['tokyo', 'host-b']]);
      expect(JSON.parse(rows[1].value).guests['mc-01'].cpu).toBeCloseTo(0.75, 2);
      expect(existsSync(join(p.dir, '.hvkit/state'))).toBe(false);
    } finally {
      p.cleanup();
    }
  });
});

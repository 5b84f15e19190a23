import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, readState, stackSource, tempProject, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
`);
const STATE = join('.hvkit', 'state', 'tokyo.json');

describe('hvkit state history | show --serial (file backend)', () => {
  let p: TempProject;
  beforeEach(async () => {
    p = tempProject();
    p.writeStack(STACK);
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
  });
  afterEach(() => p.cleanup());

  it('lists what the file keeps, the backup then the current version, and says pg keeps every serial', async () => {
    const serial = readState(p.dir).serial;
    const r = await p.run(['state', 'history', '--fleet', 'tokyo']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`2 versions of the state at ${join(p.dir, STATE)}, lineage ${readState(p.dir).lineage}:`);
    expect(r.out).toMatch(/SERIAL\s+│\s+CREATED\s+│\s+WHO\s+│\s+OPERATION\s+│\s+HOSTS\s+│\s+GUESTS\s+│\s+IN FLIGHT/);
    const serials = [...r.out.matchAll(/^│ (\d+)\s+│/gm)].map((m) => Number(m[1]));
    expect(serials).toEqual([serial - 1, serial]);
    expect(r.err).toBe('Note: the file backend keeps the current version and one backup; --state-backend pg keeps every serial (`hvkit state push --to pg` moves a fleet there).\n');
  });

  it('--json lists the versions as data, oldest first', async () => {
    const s = readState(p.dir);
    const r = await p.run(['state', 'history', '--json', '--fleet', 'tokyo']);
    const versions = JSON.parse(r.out);
    expect(versions.map((v: { serial: number }) => v.serial)).toEqual([s.serial - 1, s.serial]);
    expect(versions[1]).toMatchObject({ serial: s.serial, lineage: s.lineage, hosts: 1, guests: 2, inflight: 0 });
    expect(typeof versions[1].created).toBe('string');
  });

  it('show --serial prints the backup version, byte for byte as stored', async () => {
    const serial = readState(p.dir).serial;
    const r = await p.run(['state', 'show', '--serial', String(serial - 1), '--fleet', 'tokyo']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(readFileSync(join(p.dir, `${STATE}.backup`), 'utf8')));
    expect(JSON.parse(r.out).serial).toBe(serial - 1);
  });

  it('show without --serial prints the current version, as before', async () => {
    const r = await p.run(['state', 'show', '--fleet', 'tokyo']);
    expect(r.out).toBe(JSON.stringify(JSON.parse(readFileSync(join(p.dir, STATE), 'utf8')), null, 2) + '\n');
  });

  it('show --serial of a serial not kept is one line naming the kept ones', async () => {
    const serial = readState(p.dir).serial;
    const r = await p.run(['state', 'show', '--serial', '1', '--fleet', 'tokyo']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`Error: serial 1 is not kept at ${join(p.dir, STATE)}: it keeps serials ${serial - 1} and ${serial}: the file backend keeps the current version and one backup; --state-backend pg keeps every serial (\`hvkit state push --to pg\` moves a fleet there)\n`);
  });

  it('show --serial that is not a serial is one line', async () => {
    const r = await p.run(['state', 'show', '--serial', 'latest', '--fleet', 'tokyo']);
    expect(r.code).toBe(1);
    expect(r.err).toBe("Error: --serial must be a whole number from 1 (`hvkit state history` lists them), got 'latest'\n");
  });

  it('history of no state is one line', async () => {
    const r = await p.run(['state', 'history', '--fleet', 'osaka']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: there is no state at .*osaka\.json: nothing was applied yet/);
  });
});

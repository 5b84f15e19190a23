import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import { canonicalJson } from '../../lib/manifest/canonical';
import { holderName } from '../../lib/state/lock-wait';
import { FileSampleStore } from '../../lib/state/file-sample-store';
import { PgSampleStore } from '../../lib/state/pg-sample-store';
import { pgTarget } from '../../lib/state/private/pg-connection';
import { PgStateStore } from '../../lib/state/pg-store';
import { sample } from '../state/sample-conformance';
import { sql, until } from '../helpers/pg-stores';
import { describeWithPostgres, freshSchema } from '../helpers/postgres';
import { LOCAL_HOST, readState, stackSource, tempProject, type TempProject } from '../helpers/project';

const GUESTS = `
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(a, 'web-02', { role: 'web', vcpus: 1, memory: '1GiB' });
`;
const STACK = stackSource(GUESTS);
const STATE = join('.hvkit', 'state', 'tokyo.json');

describeWithPostgres('the pg state backend from the command line', (conn) => {
  const schemas: string[] = [];
  const schema = () => {
    const s = freshSchema('cli');
    schemas.push(s);
    return s;
  };
  afterAll(async () => {
    await sql(conn, async (c) => {
      for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${c.escapeIdentifier(s)} CASCADE`);
    });
  });
  /** The environment of a run on pg: the connection and schema, nothing else choosing. */
  const pgEnv = (s: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ HVKIT_PG_CONN: conn, HVKIT_PG_SCHEMA: s, HVKIT_STATE_BACKEND: '', ...extra });
  const history = async (p: TempProject, env: NodeJS.ProcessEnv) => {
    const r = await p.run(['state', 'history', '--json', '--fleet', 'tokyo', '--state-backend', 'pg'], { env });
    expect(r.code, r.err).toBe(0);
    return JSON.parse(r.out) as { serial: number; lineage: string; who?: string; operation?: string; hosts: number; guests: number; inflight: number }[];
  };

  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
  });
  afterEach(() => p.cleanup());

  it('apply --state-backend pg keeps the state in the database: plan then has no changes, and nothing is written under .hvkit/state', async () => {
    const env = pgEnv(schema());
    const apply = await p.run(['apply', '--auto-approve', '--state-backend', 'pg'], { env });
    expect(apply.code, apply.err + apply.out).toBe(0);
    const plan = await p.run(['plan', '--detailed-exitcode', '--state-backend', 'pg'], { env });
    expect(plan.code, plan.err + plan.out).toBe(0);
    expect(plan.out).toContain('No changes.');
    expect(existsSync(join(p.dir, '.hvkit', 'state'))).toBe(false);
    // The file backend, asked explicitly, has nothing: the state really is elsewhere.
    const onFile = await p.run(['plan', '--detailed-exitcode', '--state-backend', 'file'], { env });
    expect(onFile.code).toBe(2);
  });

  it('HVKIT_STATE_BACKEND=pg chooses pg; --state-backend file wins over it', async () => {
    const env = pgEnv(schema(), { HVKIT_STATE_BACKEND: 'pg' });
    expect((await p.run(['apply', '--auto-approve'], { env })).code).toBe(0);
    expect(existsSync(join(p.dir, STATE))).toBe(false);
    expect((await p.run(['plan', '--detailed-exitcode'], { env })).code).toBe(0);
    expect((await p.run(['plan', '--detailed-exitcode', '--state-backend', 'file'], { env })).code).toBe(2);
  });

  it("the Fleet's state prop chooses pg and its schema (over HVKIT_PG_SCHEMA); HVKIT_STATE_BACKEND=file wins over it", async () => {
    const s = schema();
    p.writeStack(stackSource(GUESTS, `{ provider: 'local', state: { backend: 'pg', schema: '${s}' } }`));
    const env = pgEnv('hvkit_not_this_one');
    const apply = await p.run(['apply', '--auto-approve'], { env });
    expect(apply.code, apply.err + apply.out).toBe(0);
    expect(existsSync(join(p.dir, STATE))).toBe(false);
    const inSchema = await sql(conn, async (c) => (await c.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [s])).rowCount);
    expect(inSchema).toBe(1);
    expect((await p.run(['plan', '--detailed-exitcode'], { env })).code).toBe(0);
    expect((await p.run(['plan', '--detailed-exitcode'], { env: { ...env, HVKIT_STATE_BACKEND: 'file' } })).code).toBe(2);
    // Commands that run the app to find the fleet read the prop too.
    const guests = await p.run(['guests', '--json'], { env });
    expect(guests.code, guests.err).toBe(0);
    expect(JSON.parse(guests.out).map((g: { guest: string }) => g.guest)).toEqual(['web-01', 'web-02']);
    const report = await p.run(['report', '--html', 'report.html'], { env });
    expect(report.code, report.err).toBe(0);
    expect(report.out).toBe('Wrote report.html: 1 host, 2 guests.\n');
  });

  it("--fleet without the app, finding no state, names the schema it read and that HVKIT_PG_SCHEMA chooses the one the Fleet's prop names; it creates nothing", async () => {
    const inProp = schema();
    const read = schema();
    p.writeStack(stackSource(GUESTS, `{ provider: 'local', state: { backend: 'pg', schema: '${inProp}' } }`));
    const env = pgEnv(read);
    expect((await p.run(['apply', '--auto-approve'], { env })).code).toBe(0);
    const hint = `; the app did not run, so if the Fleet's state prop names a schema other than ${read}, set HVKIT_PG_SCHEMA to it`;
    for (const args of [['state', 'history'], ['state', 'show']]) {
      const r = await p.run([...args, '--fleet', 'tokyo', '--state-backend', 'pg'], { env });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`^Error: there is no state at postgres://\\S+ \\(schema ${read}, fleet tokyo\\): nothing was applied yet \\(or pass the right --fleet, or name the schema: HVKIT_PG_SCHEMA or the Fleet's state\\.schema\\)${hint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`));
    }
    const list = await p.run(['state', 'list', '--fleet', 'tokyo', '--state-backend', 'pg'], { env });
    expect(list.err).toContain(hint);
    const hosts = await p.run(['hosts', '--fleet', 'tokyo', '--state-backend', 'pg'], { env });
    expect(hosts.err).toMatch(new RegExp(`^Error: there is no state at postgres://\\S+ \\(schema ${read}, fleet tokyo\\): nothing is deployed; .*${hint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`));
    const created = await sql(conn, async (c) => (await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [read])).rowCount);
    expect(created).toBe(0);
    // Told the prop's schema, it finds the state.
    const right = await p.run(['state', 'list', '--fleet', 'tokyo', '--state-backend', 'pg'], { env: pgEnv(inProp) });
    expect(right.out).toBe('tokyo/host-a\ntokyo/host-a/web-01\ntokyo/host-a/web-02\n');
  });

  it('state history lists every serial of an apply, oldest first, with who wrote it and with what', async () => {
    const env = pgEnv(schema());
    expect((await p.run(['apply', '--auto-approve', '--state-backend', 'pg'], { env })).code).toBe(0);
    const versions = await history(p, env);
    const last = versions.at(-1)!;
    expect(last.serial).toBeGreaterThan(2);
    expect(versions.map((v) => v.serial)).toEqual(Array.from({ length: last.serial }, (_, i) => i + 1));
    expect(last).toMatchObject({ hosts: 1, guests: 2, inflight: 0, who: holderName(), operation: 'apply' });
    const text = await p.run(['state', 'history', '--fleet', 'tokyo', '--state-backend', 'pg'], { env });
    expect(text.out).toContain(`${last.serial} versions of the state at postgres://`);
    expect(text.err).toBe('');
  });

  it('state show --serial N prints the version at N; a serial not kept is one line naming the kept range', async () => {
    const env = pgEnv(schema());
    expect((await p.run(['apply', '--auto-approve', '--state-backend', 'pg'], { env })).code).toBe(0);
    const rm = await p.run(['state', 'rm', 'web-02', '--fleet', 'tokyo', '--state-backend', 'pg'], { env });
    expect(rm.code, rm.err).toBe(0);
    const versions = await history(p, env);
    const before = versions.at(-2)!.serial;
    expect(rm.out).toContain(`(the previous version, serial ${before}, is kept: \`hvkit state show --serial ${before}\` prints it); nothing on the hypervisors was touched.`);
    const old = await p.run(['state', 'show', '--serial', String(before), '--fleet', 'tokyo', '--state-backend', 'pg'], { env });
    expect(old.code, old.err).toBe(0);
    expect(Object.keys(JSON.parse(old.out).guests)).toEqual(['web-01', 'web-02']);
    expect(JSON.parse(old.out).serial).toBe(before);
    const now = await p.run(['state', 'show', '--fleet', 'tokyo', '--state-backend', 'pg'], { env });
    expect(Object.keys(JSON.parse(now.out).guests)).toEqual(['web-01']);
    const missing = await p.run(['state', 'show', '--serial', '999', '--fleet', 'tokyo', '--state-backend', 'pg'], { env });
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(new RegExp(`^Error: serial 999 is not kept at postgres://\\S+ \\(schema \\w+, fleet tokyo\\): it keeps serials 1–${before + 1}\\n$`));
  });

  it('push --to pg then pull round-trips the state: lineage, serial and every byte of its canonical form', async () => {
    const s = schema();
    const env = pgEnv(s);
    expect((await p.run(['apply', '--auto-approve'], { env })).code).toBe(0);
    const file = join(p.dir, STATE);
    const bytes = readFileSync(file, 'utf8');
    const { lineage, serial } = readState(p.dir);
    const push = await p.run(['state', 'push', '--to', 'pg'], { env });
    expect(push.code, push.err).toBe(0);
    expect(push.out).toMatch(new RegExp(`^Moved tokyo's state \\(lineage ${lineage}, serial ${serial}, 1 host, 2 guests\\) from ${file} to postgres://\\S+ \\(schema ${s}, fleet tokyo\\)\\.\\nMoved 0 measured-load samples with it \\(from ${file}.samples to postgres://\\S+ \\(schema ${s}, fleet tokyo, measured load\\)\\)\\.\\n$`));
    expect(readFileSync(file, 'utf8')).toBe(bytes);
    // The database now answers for the fleet: plan on pg has nothing to do.
    expect((await p.run(['plan', '--detailed-exitcode', '--state-backend', 'pg'], { env })).code).toBe(0);
    rmSync(join(p.dir, '.hvkit', 'state'), { recursive: true });
    const pull = await p.run(['state', 'pull'], { env });
    expect(pull.code, pull.err).toBe(0);
    const pulled = readFileSync(file, 'utf8');
    // Apply records guests in the order their steps finish; the database keeps them by name. Same
    // content, same lineage and serial: the canonical forms are the same bytes.
    expect(canonicalJson(JSON.parse(pulled))).toBe(canonicalJson(JSON.parse(bytes)));
    expect(readState(p.dir)).toMatchObject({ lineage, serial });
    // And from there, a round trip changes no byte at all.
    const again = pgEnv(schema());
    expect((await p.run(['state', 'push', '--to', 'pg'], { env: again })).code).toBe(0);
    rmSync(join(p.dir, '.hvkit', 'state'), { recursive: true });
    expect((await p.run(['state', 'pull', '--fleet', 'tokyo'], { env: again })).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(pulled);
  });

  it('push moves the measured load kept beside the state file into pg, and pull brings it back, saying how many samples went', async () => {
    const s = schema();
    const env = pgEnv(s);
    expect((await p.run(['apply', '--auto-approve'], { env })).code).toBe(0);
    const file = join(p.dir, STATE);
    // Three 5-minute slots of the last quarter hour: inside the 7-day window whatever the clock says.
    const base = Math.floor(Date.now() / 300_000) * 300_000 - 15 * 60_000;
    const kept = [0, 1, 2].map((i) => ({ ...sample('host-a', 0, i + 1), at: new Date(base + i * 300_000 + 1000).toISOString() }));
    await new FileSampleStore(`${file}.samples`).append(kept);
    const push = await p.run(['state', 'push', '--to', 'pg'], { env });
    expect(push.code, push.err).toBe(0);
    expect(push.out).toMatch(/\nMoved 3 measured-load samples with it \(from \S+tokyo\.json\.samples to postgres:\/\/\S+ \(schema \w+, fleet tokyo, measured load\)\)\.\n$/);
    const inPg = new PgSampleStore(pgTarget(conn, {}), s, 'tokyo');
    try {
      expect(await inPg.read()).toEqual(kept);
    } finally {
      await inPg.close();
    }
    rmSync(join(p.dir, '.hvkit', 'state'), { recursive: true });
    const pull = await p.run(['state', 'pull'], { env });
    expect(pull.code, pull.err).toBe(0);
    expect(pull.out).toMatch(/\nMoved 3 measured-load samples with it \(from postgres:\/\/\S+ \(schema \w+, fleet tokyo, measured load\) to \S+tokyo\.json\.samples\)\.\n$/);
    expect(await new FileSampleStore(`${file}.samples`).read()).toEqual(kept);
  });

  it('push refuses, writing nothing, onto a database state of another lineage', async () => {
    const env = pgEnv(schema());
    expect((await p.run(['apply', '--auto-approve', '--state-backend', 'pg'], { env })).code).toBe(0);
    const before = await history(p, env);
    const other = tempProject();
    try {
      other.writeStack(STACK);
      expect((await other.run(['apply', '--auto-approve'], { env })).code).toBe(0);
      const push = await other.run(['state', 'push', '--to', 'pg'], { env });
      expect(push.code).toBe(1);
      expect(push.err).toMatch(new RegExp(`^Error: state postgres://\\S+ \\(schema \\w+, fleet tokyo\\) holds lineage ${before[0].lineage}, not ${readState(other.dir).lineage}: [^\\n]*nothing was written\\n$`));
    } finally {
      other.cleanup();
    }
    expect(await history(p, env)).toEqual(before);
  });

  it('push refuses, writing nothing, onto a database state at a newer serial; pull refuses onto a newer file', async () => {
    const env = pgEnv(schema());
    expect((await p.run(['apply', '--auto-approve'], { env })).code).toBe(0);
    const pushed = readState(p.dir).serial;
    expect((await p.run(['state', 'push', '--to', 'pg'], { env })).code).toBe(0);
    // The team goes on on pg; the file stays behind.
    expect((await p.run(['state', 'rm', 'web-02', '--fleet', 'tokyo', '--state-backend', 'pg'], { env })).code).toBe(0);
    const before = await history(p, env);
    const again = await p.run(['state', 'push', '--to', 'pg'], { env });
    expect(again.code).toBe(1);
    expect(again.err).toMatch(new RegExp(`^Error: state postgres://\\S+ \\(schema \\w+, fleet tokyo\\) is already at serial ${pushed + 1}, not older than serial ${pushed} being moved there: nothing was written\\n$`));
    expect(await history(p, env)).toEqual(before);
    // And the other way: a file newer than the database is not rolled back by a pull. Someone went on
    // with the file regardless, removing the marker push left beside it.
    rmSync(join(p.dir, `${STATE}.moved`));
    expect((await p.run(['state', 'rm', 'web-02', '--fleet', 'tokyo'], { env })).code).toBe(0);
    expect((await p.run(['state', 'rm', 'web-01', '--fleet', 'tokyo'], { env })).code).toBe(0);
    const file = readFileSync(join(p.dir, STATE), 'utf8');
    const pull = await p.run(['state', 'pull', '--fleet', 'tokyo'], { env });
    expect(pull.code).toBe(1);
    expect(pull.err).toMatch(/is already at serial \d+, not older than serial \d+ being moved there: nothing was written\n$/);
    expect(readFileSync(join(p.dir, STATE), 'utf8')).toBe(file);
  });

  it('look-ups with HVKIT_STATE_BACKEND=pg read the database, not a state file left behind', async () => {
    const env = pgEnv(schema());
    expect((await p.run(['apply', '--auto-approve'], { env })).code).toBe(0);
    expect((await p.run(['state', 'push', '--to', 'pg'], { env })).code).toBe(0);
    expect((await p.run(['state', 'rm', 'web-02', '--fleet', 'tokyo', '--state-backend', 'pg'], { env })).code).toBe(0);
    const onPg = { ...env, HVKIT_STATE_BACKEND: 'pg' };
    const guests = await p.run(['guests', '--json'], { env: onPg });
    expect(guests.code, guests.err).toBe(0);
    expect(JSON.parse(guests.out).map((g: { guest: string }) => g.guest)).toEqual(['web-01']);
    expect((await p.run(['parent', 'web-01'], { env: onPg })).out).toBe('web-01: host-a\n');
    // Without pg chosen, the file (which still records web-02) is refused: it is a stale copy.
    const stale = await p.run(['guests', '--json'], { env });
    expect({ code: stale.code, out: stale.out }).toEqual({ code: 1, out: '' });
    expect(stale.err).toMatch(/^Error: the state of fleet tokyo moved to postgres:\/\/\S+ \(schema \w+, fleet tokyo\) at serial \d+ \(hvkit state push, [^)]+\): pass --state-backend pg/);
  });

  it('after push --to pg, commands on the file backend refuse the file left behind in one line, until state pull brings the state back', async () => {
    const s = schema();
    const env = pgEnv(s);
    expect((await p.run(['apply', '--auto-approve'], { env })).code).toBe(0);
    const { serial } = readState(p.dir);
    const bytes = readFileSync(join(p.dir, STATE), 'utf8');
    const push = await p.run(['state', 'push', '--to', 'pg'], { env });
    expect(push.code, push.err).toBe(0);
    const moved = JSON.parse(readFileSync(join(p.dir, `${STATE}.moved`), 'utf8'));
    expect(moved.to).toMatch(new RegExp(`^postgres://\\S+ \\(schema ${s}, fleet tokyo\\)$`));
    // The schema is not the default one: the advice names it, or following it would read another schema.
    const line = `Error: the state of fleet tokyo moved to ${moved.to} at serial ${serial} (hvkit state push, ${moved.at}): pass --state-backend pg or set HVKIT_STATE_BACKEND=pg (and HVKIT_PG_SCHEMA=${s}, unless the Fleet's state prop names it); \`hvkit state pull\` brings it back\n`;
    for (const args of [['state', 'list', '--fleet', 'tokyo'], ['plan'], ['state', 'rm', 'web-02', '--fleet', 'tokyo']]) {
      const r = await p.run(args, { env });
      expect({ args, code: r.code, err: r.err }).toEqual({ args, code: 1, err: line });
    }
    expect(readFileSync(join(p.dir, STATE), 'utf8')).toBe(bytes);
    // Nothing was written on pg since the push: pull brings back that very version, and the marker goes.
    const pull = await p.run(['state', 'pull', '--fleet', 'tokyo'], { env });
    expect(pull.code, pull.err).toBe(0);
    expect(existsSync(join(p.dir, `${STATE}.moved`))).toBe(false);
    const list = await p.run(['state', 'list', '--fleet', 'tokyo'], { env });
    expect(list.code, list.err).toBe(0);
    expect((await p.run(['plan', '--detailed-exitcode'], { env })).code).toBe(0);
  });

  it("names the lock's real holder — user@host, pid, command, since — when waiting and when giving up", async () => {
    const s = schema();
    const env = pgEnv(s);
    const holder = new PgStateStore({ conn, env: {}, schema: s, fleet: 'tokyo' });
    try {
      const held = await holder.lock('apply');
      const r = await p.run(['apply', '--auto-approve', '--state-backend', 'pg', '--lock-timeout', '200ms'], { env });
      expect(r.code).toBe(1);
      expect(r.err).toContain(`Waiting up to 200ms for the state lock held by ${holderName()} (pid ${process.pid}) for 'apply' since ${held.created}...\n`);
      expect(r.err).toContain(`is locked by ${holderName()} (pid ${process.pid}) since ${held.created} for 'apply' (lock ID ${held.id}) (gave up after waiting 200ms)`);
    } finally {
      await holder.close();
    }
  });

  it('state unlock finds a pg lock from --fleet and --state-backend alone (the app does not run), refusing a live session unless --force', async () => {
    const s = schema();
    const env = pgEnv(s);
    p.writeStack('throw new Error("the app must not run");\n');
    const holder = new PgStateStore({ conn, env: {}, schema: s, fleet: 'tokyo' });
    try {
      const held = await holder.lock('apply');
      const refused = await p.run(['state', 'unlock', held.id, '--fleet', 'tokyo', '--state-backend', 'pg'], { env });
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('its database session is still open');
      const forced = await p.run(['state', 'unlock', held.id, '--fleet', 'tokyo', '--state-backend', 'pg', '--force'], { env });
      expect(forced.code, forced.err).toBe(0);
      expect(forced.out).toMatch(new RegExp(`^Released lock ${held.id} on postgres://\\S+ \\(schema ${s}, fleet tokyo\\)\\.\\n$`));
      const probe = new PgStateStore({ conn, env: {}, schema: s, fleet: 'tokyo' });
      try {
        expect(await probe.lockInfo()).toBeUndefined();
      } finally {
        await probe.close();
      }
    } finally {
      await holder.close();
    }
  });

  it('closes every connection it opened, whether the command succeeds or fails', async () => {
    const app = `hvkit_${freshSchema('c')}`;
    const withApp = `${conn}${conn.includes('?') ? '&' : '?'}application_name=${app}`;
    const env = pgEnv(schema(), { HVKIT_PG_CONN: withApp });
    expect((await p.run(['apply', '--auto-approve', '--state-backend', 'pg'], { env })).code).toBe(0);
    expect((await p.run(['state', 'history', '--fleet', 'tokyo', '--state-backend', 'pg'], { env })).code).toBe(0);
    expect((await p.run(['state', 'show', '--serial', '999', '--fleet', 'tokyo', '--state-backend', 'pg'], { env })).code).toBe(1);
    expect((await p.run(['state', 'rm', 'nope', '--fleet', 'tokyo', '--state-backend', 'pg'], { env })).code).toBe(1);
    const left = () => sql(conn, async (c) => Number((await c.query('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [app])).rows[0].n));
    await until('no session of this test left open', async () => (await left()) === 0);
  });
});

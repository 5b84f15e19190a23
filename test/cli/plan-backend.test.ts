import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeWithPostgres, freshSchema } from '../helpers/postgres';
import { LOCAL_HOST, localDomains, stackSource, tempProject, type TempProject } from '../helpers/project';

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
`);

describe('a saved plan records the state backend it was made against', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
  });
  afterEach(() => p.cleanup());

  it('records the file backend, and a plan file of an older hvkit (no backend) still applies', async () => {
    const plan = await p.run(['plan', '--out', 'plan.bin'], { env: { HVKIT_STATE_BACKEND: '' } });
    expect(plan.code, plan.err).toBe(0);
    const saved = JSON.parse(readFileSync(join(p.dir, 'plan.bin'), 'utf8'));
    expect(saved.backend).toEqual({ kind: 'file' });
    delete saved.backend;
    writeFileSync(join(p.dir, 'plan.bin'), JSON.stringify(saved));
    const apply = await p.run(['apply', 'plan.bin'], { env: { HVKIT_STATE_BACKEND: '' } });
    expect(apply.code, apply.err + apply.out).toBe(0);
    expect(localDomains(p.dir)).toEqual(['web-01@host-a']);
  });

  it('a file plan applied with HVKIT_STATE_BACKEND=pg is refused in one line before any database is asked', async () => {
    expect((await p.run(['plan', '--out', 'plan.bin'], { env: { HVKIT_STATE_BACKEND: '' } })).code).toBe(0);
    const apply = await p.run(['apply', 'plan.bin'], { env: { HVKIT_STATE_BACKEND: 'pg', HVKIT_PG_CONN: '', PGHOST: '', PGDATABASE: '' } });
    expect(apply.code).toBe(1);
    expect(apply.err).toBe('Error: this plan was made against the state file, not state in PostgreSQL (schema hvkit): choose the file with --state-backend file or HVKIT_STATE_BACKEND=file. Nothing was applied\n');
    expect(localDomains(p.dir)).toEqual([]);
  });
});

describeWithPostgres('a saved plan made against pg state', (conn) => {
  const schemas: string[] = [];
  afterAll(async () => {
    const c = new pg.Client({ connectionString: conn });
    await c.connect();
    try {
      for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${c.escapeIdentifier(s)} CASCADE`);
    } finally {
      await c.end();
    }
  });
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(STACK);
  });
  afterEach(() => p.cleanup());

  it('records pg and its schema (never the connection), and apply without pg chosen refuses, naming how to choose it', async () => {
    const schema = freshSchema('plb');
    schemas.push(schema);
    const env = { HVKIT_PG_CONN: conn, HVKIT_PG_SCHEMA: schema, HVKIT_STATE_BACKEND: 'pg' };
    const plan = await p.run(['plan', '--out', 'plan.bin'], { env });
    expect(plan.code, plan.err).toBe(0);
    const text = readFileSync(join(p.dir, 'plan.bin'), 'utf8');
    expect(JSON.parse(text).backend).toEqual({ kind: 'pg', schema });
    expect(text).not.toContain(conn);

    const forgot = await p.run(['apply', 'plan.bin'], { env: { ...env, HVKIT_STATE_BACKEND: '' } });
    expect(forgot.code).toBe(1);
    expect(forgot.err).toBe(`Error: this plan was made against state in PostgreSQL (schema ${schema}): choose it with --state-backend pg or HVKIT_STATE_BACKEND=pg. Nothing was applied\n`);
    const otherSchema = await p.run(['apply', 'plan.bin'], { env: { ...env, HVKIT_PG_SCHEMA: 'hvkit_elsewhere' } });
    expect(otherSchema.code).toBe(1);
    expect(otherSchema.err).toContain(`this plan was made against state in PostgreSQL schema ${schema}, not schema hvkit_elsewhere: choose it with HVKIT_PG_SCHEMA=${schema}`);
    expect(localDomains(p.dir)).toEqual([]);

    const apply = await p.run(['apply', '--state-backend', 'pg', 'plan.bin'], { env: { ...env, HVKIT_STATE_BACKEND: '' } });
    expect(apply.code, apply.err + apply.out).toBe(0);
    expect(localDomains(p.dir)).toEqual(['web-01@host-a']);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { PgStateStore } from '../../lib/state/pg-store';
import { emptyState } from '../../lib/state/types';
import { sql } from '../helpers/pg-stores';
import { describeWithPostgres, freshSchema } from '../helpers/postgres';
import { LOCAL_HOST, stackSource, tempProject } from '../helpers/project';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The GRANT statements README's "Team state on PostgreSQL" gives for a CI role: the sql block after its pg-grants marker. */
function documentedGrants(): string[] {
  const at = README.indexOf('<!-- pg-grants -->');
  if (at < 0) throw new Error('README.md has no <!-- pg-grants --> block');
  const block = /```sql\n([\s\S]*?)```/.exec(README.slice(at));
  if (!block) throw new Error('no ```sql block after the pg-grants marker');
  return block[1].split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('--'));
}

const STACK = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
new Guest(a, 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
`);

describeWithPostgres('a CI role with the rights the README grants', (conn) => {
  const schema = freshSchema('grants');
  const role = freshSchema('ci');
  const bare = freshSchema('nobody');
  const as = (user: string) => {
    const u = new URL(conn);
    u.username = user;
    u.password = '';
    return u.toString();
  };
  afterAll(async () => {
    await sql(conn, async (c) => {
      await c.query(`DROP SCHEMA IF EXISTS ${c.escapeIdentifier(schema)} CASCADE`);
      for (const r of [role, bare]) {
        await c.query(`DROP OWNED BY ${c.escapeIdentifier(r)}`).catch(() => undefined);
        await c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(r)}`);
      }
    });
  });

  it('can apply and plan with exactly those grants, on tables its owner made; a role without them is told what it needs', async () => {
    // The owner makes the tables, as its first apply would.
    const owner = new PgStateStore({ conn, env: {}, schema, fleet: 'tokyo' });
    await owner.unlock((await owner.lock('setup')).id);
    await owner.close();
    await sql(conn, async (c) => {
      await c.query(`CREATE ROLE ${c.escapeIdentifier(role)} LOGIN`);
      await c.query(`CREATE ROLE ${c.escapeIdentifier(bare)} LOGIN`);
      for (const g of documentedGrants()) await c.query(g.replaceAll('hvkit_ci', role).replace(/\bhvkit\b/g, schema));
    });

    const p = tempProject();
    try {
      p.writeStack(STACK);
      const env = { HVKIT_PG_CONN: as(role), HVKIT_PG_SCHEMA: schema, HVKIT_STATE_BACKEND: 'pg', PGPASSWORD: undefined };
      const apply = await p.run(['apply', '--auto-approve'], { env });
      expect(apply.code, apply.err + apply.out).toBe(0);
      const plan = await p.run(['plan', '--detailed-exitcode'], { env });
      expect(plan.code, plan.err + plan.out).toBe(0);

      const denied = await p.run(['state', 'list', '--fleet', 'tokyo'], { env: { ...env, HVKIT_PG_CONN: as(bare) } });
      expect(denied.code).toBe(1);
      expect(denied.err.trim().split('\n')).toHaveLength(1);
      expect(denied.err).toContain(`permission denied for schema ${schema}; the user needs USAGE on the schema, SELECT and INSERT on its tables, and UPDATE and DELETE on its locks table`);
    } finally {
      p.cleanup();
    }
  });

  it("leaves a superuser's lock as it was when the CI role may not end its session, and says so in one line", async () => {
    const other = freshSchema('grants');
    const ciRole = freshSchema('ci');
    const holder = new PgStateStore({ conn, env: {}, schema: other, fleet: 'tokyo' });
    const ci = new PgStateStore({ conn: as(ciRole), env: {}, schema: other, fleet: 'tokyo' });
    try {
      await holder.unlock((await holder.lock('setup')).id);
      await sql(conn, async (c) => {
        await c.query(`CREATE ROLE ${c.escapeIdentifier(ciRole)} LOGIN`);
        for (const g of documentedGrants()) await c.query(g.replaceAll('hvkit_ci', ciRole).replace(/\bhvkit\b/g, other));
      });
      const held = await holder.lock('apply');
      const err = await ci.unlock(held.id).catch((e: Error) => e);
      expect(String(err)).toContain(`lock ${held.id} on `);
      expect(String(err)).toContain('could not be ended (');
      expect(String(err)).toContain('so the lock was left as it was');
      expect(await ci.lockInfo()).toEqual(held);
      // The holder was not marked forced: it writes on.
      await holder.write(emptyState('tokyo', '3f0c0000-0000-4000-8000-000000000000'));
      await holder.unlock(held.id);
    } finally {
      await holder.close();
      await ci.close();
      await sql(conn, async (c) => {
        await c.query(`DROP SCHEMA IF EXISTS ${c.escapeIdentifier(other)} CASCADE`);
        await c.query(`DROP OWNED BY ${c.escapeIdentifier(ciRole)}`).catch(() => undefined);
        await c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(ciRole)}`);
      });
    }
  });
});

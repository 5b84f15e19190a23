import { expect, it } from 'vitest';
import { crashSuite } from '../helpers/crash-suite';
import { describeWithPostgres } from '../helpers/postgres';
import { localDomains, spawnCli } from '../helpers/project';
import { pgBackend } from '../helpers/state-backends';

/** kill -9 of apply while it writes state to PostgreSQL, and what a killed holder's lock becomes (crash-pg.test.ts has the other kill points). */
describeWithPostgres('crash safety with the pg state backend', (conn) => {
  crashSuite('kill -9 of apply during its state writes', () => pgBackend(conn), (fixture) => {
    it('a killed apply’s lock goes with its session: the next apply runs at once, without unlock', async () => {
      const { p, state } = fixture();
      const crashed = await spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1'], { ...state.env, HVKIT_TEST_CRASH_AT: 'after-intent:create:web-02' }).done;
      expect(crashed.signal).toBe('SIGKILL');
      const next = await p.run(['apply', '--auto-approve'], { env: state.env });
      expect(next.code, next.err).toBe(0);
      expect(await state.guests()).toEqual(localDomains(p.dir));
      expect(localDomains(p.dir)).toEqual(['db-01@host-b', 'web-01@host-a', 'web-02@host-a']);
    });
  }, 'writes');
});

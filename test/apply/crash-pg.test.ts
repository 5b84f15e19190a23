import { crashSuite } from '../helpers/crash-suite';
import { describeWithPostgres } from '../helpers/postgres';
import { pgBackend } from '../helpers/state-backends';

/**
 * The kill -9 guarantees of the file backend, with state and the intent journal
 * in PostgreSQL: every test its own schema on the shared server. The torn writes
 * are in crash-pg-writes.test.ts, so the two halves run in parallel.
 */
describeWithPostgres('crash safety with the pg state backend', (conn) => {
  crashSuite('kill -9 of apply', () => pgBackend(conn), undefined, 'kill-points');
});

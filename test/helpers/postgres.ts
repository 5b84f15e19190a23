import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { describeWithTool } from './tools';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.ci', 'postgres');

/**
 * The PostgreSQL server the tests share: `.ci/run` starts one with `.ci/postgres`
 * and sets HVKIT_TEST_PG_CONN. Locally: `export HVKIT_TEST_PG_CONN=$(.ci/postgres start /tmp/hvkit-dev-pg 55433)`.
 */
export const sharedPgConn: string | undefined = process.env.HVKIT_TEST_PG_CONN || undefined;

/** A describe block that needs the shared server: runs, skips locally, fails in CI (HVKIT_REQUIRE_TOOLS=1). */
export function describeWithPostgres(title: string, body: (conn: string) => void): void {
  describeWithTool(title, 'PostgreSQL', sharedPgConn !== undefined, 'HVKIT_TEST_PG_CONN is not set (see test/helpers/postgres.ts)', () => body(sharedPgConn!));
}

/** A schema name no other test uses, so tests share the server and never each other's tables. */
export function freshSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Whether this machine can start a private cluster (initdb and pg_ctl on the image). */
export function canStartCluster(): boolean {
  return ['/usr/local/bin/initdb', '/usr/lib/postgresql/15/bin/initdb'].some((f) => spawnSync('test', ['-x', f]).status === 0);
}

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A PostgreSQL cluster of its own, for tests that restart or kill the server
 * under a running apply without disturbing the shared one.
 */
export class PrivateCluster {
  /** Set once started: a describe block hands the cluster to its tests before its beforeAll starts it. */
  dir = '';
  port = 0;
  conn = '';

  private async open(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'hvkit-pg-'));
    this.port = await freePort();
    this.conn = run(['start', this.dir, String(this.port)]).trim();
  }

  /**
   * A describe block with a cluster of its own, started before its tests and removed after
   * them (after the block's own afterAll hooks, which may still close connections to it).
   */
  static describe(title: string, body: (cluster: PrivateCluster) => void): void {
    describeWithTool(title, 'PostgreSQL server binaries', canStartCluster(), 'no initdb/pg_ctl (see .ci/postgres)', () => {
      const cluster = new PrivateCluster();
      beforeAll(() => cluster.open());
      afterAll(() => cluster.destroy());
      body(cluster);
    });
  }

  /** Fast shutdown and start again, as an operator restarting the database. */
  restart(): void {
    run(['restart', this.dir]);
  }
  stop(): void {
    run(['stop', this.dir]);
  }
  startAgain(): void {
    run(['start', this.dir, String(this.port)]);
  }
  /** Immediate shutdown, as a crash. */
  kill(): void {
    run(['kill', this.dir]);
  }
  destroy(): void {
    if (!this.dir) return;
    spawnSync(SCRIPT, ['stop', this.dir], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(args: string[]): string {
  const r = spawnSync(SCRIPT, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`.ci/postgres ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

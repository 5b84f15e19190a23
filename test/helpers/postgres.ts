import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, randomInt } from 'node:crypto';
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

/** The ports Linux hands out to outgoing connections (32768–60999 unless the machine says otherwise). */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo > 0 && hi >= lo) return [lo, hi];
  } catch {
    // Not Linux: take Linux's default.
  }
  return [32768, 60999];
}

/** Whether something can listen on 127.0.0.1:`port` right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A port nobody listens on right now, chosen below the ephemeral range: between this choice and the
 * server binding it (initdb takes seconds), or while a test has the server stopped, no outgoing
 * connection of this busy machine can be given it as its local port, as one could a port from
 * `listen(0)`. Another cluster could still choose it: `open` then tries another.
 */
async function freePort(): Promise<number> {
  const top = Math.min(ephemeralRange()[0], 65536) - 1;
  const bottom = Math.max(10_000, top - 20_000);
  for (;;) {
    const port = bottom + randomInt(top - bottom + 1);
    if (await canListen(port)) return port;
  }
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
    // A port taken between the choice and the server's bind (another test's cluster chose it too): a new cluster on another.
    for (let attempt = 1; ; attempt++) {
      this.dir = mkdtempSync(join(tmpdir(), 'hvkit-pg-'));
      this.port = await freePort();
      try {
        this.conn = run(['start', this.dir, String(this.port)]).trim();
        return;
      } catch (e) {
        this.destroy();
        if (attempt >= 5 || !/could not bind|Address already in use/.test((e as Error).message)) throw e;
      }
    }
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

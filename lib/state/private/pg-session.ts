import pg from 'pg';

/** A query for the rows of pg_locks saying session `pid` holds the advisory lock of keys `k1`, `k2` (SQL expressions). */
export function advisoryHeld(pid: string, k1: string, k2: string): string {
  return `SELECT 1 FROM pg_locks p WHERE p.locktype = 'advisory' AND p.granted AND p.pid = ${pid}
         AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND p.classid = ${k1}::int::oid AND p.objid = ${k2}::int::oid AND p.objsubid = 2`;
}

/**
 * Ends `client`'s session, waiting at most `ms` for the server to acknowledge: a server gone
 * without closing the connection (a partition) never answers, and the process must not hang at exit.
 */
export async function endClient(client: pg.Client, ms = END_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      (socketOf(client) as { destroy?(): void } | undefined)?.destroy?.();
      resolve();
    }, ms);
  });
  try {
    await Promise.race([client.end().catch(() => undefined), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long close() waits for the server to acknowledge the end of a session. */
export const END_TIMEOUT_MS = 5_000;

/** The socket under a pg.Client: pg has no public handle on it, and an idle store must not keep the process alive. */
export function socketOf(client: pg.Client): { ref(): void; unref(): void } | undefined {
  return (client as unknown as { connection?: { stream?: { ref?(): void; unref?(): void } } }).connection?.stream as { ref(): void; unref(): void } | undefined;
}

/** The lock row's id once `hvkit state unlock --force` took it from its holder: the mark that tells it from a restart. */
export function forcedId(id: string): string {
  return `forced:${id}`;
}

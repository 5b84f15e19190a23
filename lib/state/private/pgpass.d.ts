// The `pgpass` package (node-postgres's password-file reader) ships no types: the part hvkit uses.
declare module 'pgpass/lib/helper.js' {
  import type { Stats } from 'node:fs';
  import type { Readable } from 'node:stream';
  const helper: {
    /** PGPASSFILE of `env`, else ~/.pgpass. */
    getFileName(env?: NodeJS.ProcessEnv): string;
    /** False (with a warning on stderr) for a file that is not plain or that group or others can read. */
    usePgPass(stats: Stats, file: string): boolean;
    getPassword(to: { host: string; port: string; database: string; user: string }, stream: Readable, cb: (password: string | undefined) => void): void;
  };
  export default helper;
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { isConnectionError, pgTarget } from '../../../lib/state/private/pg-connection';

describe('pgTarget', () => {
  it('connects as libpq would: PG* variables fill in what the string leaves out, then libpq defaults', () => {
    const t = pgTarget('dbname=state', { PGHOST: 'db.example', PGUSER: 'ci', PGPASSWORD: 'hunter2' });
    expect(t.config).toMatchObject({ host: 'db.example', port: 5432, user: 'ci', password: 'hunter2', database: 'state', ssl: undefined });
    expect(t.display).toBe('postgres://ci@db.example:5432/state');
  });

  it('maps sslmode and the certificate files libpq names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hvkit-pgssl-'));
    writeFileSync(join(dir, 'root.crt'), 'ROOT');
    expect(pgTarget('postgresql://ci@db.example/state?sslmode=require', {}).config.ssl).toEqual({ rejectUnauthorized: false });
    expect(pgTarget(`postgresql://ci@db.example/state?sslmode=verify-full&sslrootcert=${encodeURIComponent(join(dir, 'root.crt'))}`, {}).config.ssl).toEqual({ rejectUnauthorized: true, ca: 'ROOT' });
    expect(pgTarget('postgresql://ci@db.example/state', { PGSSLMODE: 'disable' }).config.ssl).toBeUndefined();
    expect(() => pgTarget(`host=db.example sslmode=verify-ca sslrootcert=${join(dir, 'missing.crt')}`, {})).toThrow(
      `cannot read the sslrootcert file ${join(dir, 'missing.crt')} named by HVKIT_PG_CONN (or the PG* variables): ENOENT`,
    );
  });
});

describe('isConnectionError', () => {
  const dbError = (code: string) => Object.assign(new pg.DatabaseError('x', 1, 'error'), { code });
  const sys = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

  it('is true for a session that is gone: the driver closing, a socket error, SQLSTATE class 08 and 57P01-57P03', () => {
    for (const e of [new Error('Connection terminated unexpectedly'), new Error('Connection terminated'), sys('ECONNRESET'), sys('EPIPE'), sys('ECONNREFUSED'), sys('ETIMEDOUT'), dbError('08006'), dbError('57P01'), dbError('57P02'), dbError('57P03')]) {
      expect(isConnectionError(e), (e as Error).message).toBe(true);
    }
  });

  it('is false for a bug in hvkit or an SQL error the session survives, so neither reads as a lost connection', () => {
    for (const e of [new TypeError("Cannot read properties of undefined (reading 'rows')"), new RangeError('Invalid time value'), dbError('42P01'), dbError('57014'), 'a string']) {
      expect(isConnectionError(e), String(e)).toBe(false);
    }
  });
});

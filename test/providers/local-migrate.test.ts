import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/project';

/** The local provider's `migrate` verb: it moves a guest's disk images, or nothing, never the domain alone. */
describe('local provider: migrate', () => {
  let dir: string;
  const host = (name: string) => ({ name, address: `.hvkit/local/tokyo/${name}`, memory: { totalMiB: 4096 }, cpu: { threads: 8 }, reserve: { memoryMiB: 512 } });
  const guest = (on: string) => ({ name: 'db-01', uuid: 'u-db-01', memoryMiB: 1024, maxMemoryMiB: 1024, vcpus: 1, maxVcpus: 1, disks: [{ on, sizeMiB: 20480 }] });
  const disks = (h: string) => (existsSync(join(dir, `${host(h).address}.disks`)) ? readdirSync(join(dir, `${host(h).address}.disks`)).sort() : []);
  const migrate = (on: string) => spawnSync(join(ROOT, 'providers/local/migrate'), [], {
    cwd: dir, encoding: 'utf8', input: JSON.stringify({ fleet: 'tokyo', host: host('h1'), target: host('h2'), guest: guest(on) }),
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hvkit-local-migrate-'));
    for (const h of ['h1', 'h2']) {
      mkdirSync(join(dir, host(h).address), { recursive: true });
      writeFileSync(join(dir, host(h).address, 'host.json'), JSON.stringify({ name: h, fleet: 'tokyo', memoryMiB: 4096, cpus: 8, threads: 8 }));
    }
    writeFileSync(join(dir, host('h1').address, 'db-01.json'), JSON.stringify({ ...guest('sda'), running: true, config: '' }));
    mkdirSync(join(dir, `${host('h1').address}.disks`));
    writeFileSync(join(dir, `${host('h1').address}.disks`, 'db-01-sda-0.img'), 'data');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses in one line, moving nothing, when a disk it is told to move is on neither host', () => {
    const r = migrate('sdb');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').pop()).toBe('migrate: cannot migrate db-01 from h1 to h2: its disk image db-01-sdb-0.img is on neither host, so it would run on an empty disk; nothing was moved (run `hvkit refresh` and plan again)');
    expect(existsSync(join(dir, host('h1').address, 'db-01.json'))).toBe(true);
    expect(existsSync(join(dir, host('h2').address, 'db-01.json'))).toBe(false);
    expect(disks('h1')).toEqual(['db-01-sda-0.img']);
    expect(disks('h2')).toEqual([]);
  });

  it('moves the domain with its image when the disk is where the plan says', () => {
    const r = migrate('sda');
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(dir, host('h1').address, 'db-01.json'))).toBe(false);
    expect(disks('h1')).toEqual([]);
    expect(readFileSync(join(dir, `${host('h2').address}.disks`, 'db-01-sda-0.img'), 'utf8')).toBe('data');
  });

  it('finishes a migration cut short after the image moved: the image already on the target counts', () => {
    mkdirSync(join(dir, `${host('h2').address}.disks`));
    writeFileSync(join(dir, `${host('h2').address}.disks`, 'db-01-sda-0.img'), 'data');
    rmSync(join(dir, `${host('h1').address}.disks`), { recursive: true });
    const r = migrate('sda');
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(dir, host('h2').address, 'db-01.json'))).toBe(true);
    expect(disks('h2')).toEqual(['db-01-sda-0.img']);
  });
});
